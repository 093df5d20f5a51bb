// Package txconflict makes DynamoDB Local cancel conflicting transactions
// as DynamoDB does. DynamoDB cancels a TransactWriteItems at once, with
// the reason TransactionConflict for each item another transaction in
// progress holds, and the caller retries; DynamoDB Local instead queues the
// second transaction until the first is done. Queued, a burst of writes to
// one tournament (every write updates its players' standing items) waits
// in line past the write bound and ends in 503s that AWS would never give,
// while the store's contention path (retry, then 429) never runs.
//
// A Model is shared by every function client of a local cloud. Its
// middleware marks the items of each transaction it lets through as held
// until the call returns, and answers a transaction that touches a held
// item as DynamoDB does: HTTP 400, TransactionCanceledException, one
// reason per item (TransactionConflict for the held ones, None for the
// others). The answer is made below the SDK's deserializer, so the caller
// sees exactly the error DynamoDB's answer makes.
//
// Modelled: conflicts between TransactWriteItems calls made through the
// local cloud's function clients, by item (table, key, region). Not
// modelled: conflicts with single-item writes or with clients outside the
// local cloud (the replicator, tools), which DynamoDB Local still queues;
// and DynamoDB's choice of which of two transactions to cancel: here the
// later one always loses.
package txconflict

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Reason is the cancellation reason of an item another transaction holds.
const Reason = "TransactionConflict"

// Model tracks the items of the transactions in progress.
type Model struct {
	// KeyAttrs are the names of the table's key attributes (partition key
	// first); an item's key is read from them.
	KeyAttrs []string

	mu   sync.Mutex
	held map[string]bool
	// conflicts counts the transactions cancelled, for tests and logs.
	conflicts int
}

// Conflicts returns how many transactions the model has cancelled.
func (m *Model) Conflicts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conflicts
}

// Install adds the model to a DynamoDB client's options.
func (m *Model) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, m.addTo)
}

type cancelKey struct{}

func (m *Model) addTo(st *middleware.Stack) error {
	hold := middleware.InitializeMiddlewareFunc("hushTxConflict",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
			if !ok {
				return next.HandleInitialize(ctx, in)
			}
			keys := m.keys(awsmiddleware.GetRegion(ctx), tx)
			if reasons, conflict := m.acquire(keys); conflict {
				ctx = middleware.WithStackValue(ctx, cancelKey{}, reasons)
				return next.HandleInitialize(ctx, in)
			}
			defer m.release(keys)
			return next.HandleInitialize(ctx, in)
		})
	if err := st.Initialize.Add(hold, middleware.After); err != nil {
		return err
	}
	answer := middleware.DeserializeMiddlewareFunc("hushTxConflictAnswer",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			reasons, cancelled := middleware.GetStackValue(ctx, cancelKey{}).([]string)
			if !cancelled {
				return next.HandleDeserialize(ctx, in)
			}
			return middleware.DeserializeOutput{RawResponse: cancelledResponse(in.Request, reasons)}, middleware.Metadata{}, nil
		})
	return st.Deserialize.Add(answer, middleware.After)
}

// keys returns the held-item key of each item of tx, in order; "" for an
// item whose key cannot be read (it then conflicts with nothing).
func (m *Model) keys(region string, tx *dynamodb.TransactWriteItemsInput) []string {
	out := make([]string, len(tx.TransactItems))
	for i, it := range tx.TransactItems {
		var table *string
		var item map[string]types.AttributeValue
		switch {
		case it.Put != nil:
			table, item = it.Put.TableName, it.Put.Item
		case it.Update != nil:
			table, item = it.Update.TableName, it.Update.Key
		case it.Delete != nil:
			table, item = it.Delete.TableName, it.Delete.Key
		case it.ConditionCheck != nil:
			table, item = it.ConditionCheck.TableName, it.ConditionCheck.Key
		}
		if table == nil {
			continue
		}
		parts := []string{region, *table}
		for _, a := range m.KeyAttrs {
			parts = append(parts, scalar(item[a]))
		}
		out[i] = strings.Join(parts, "\x00")
	}
	return out
}

func scalar(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S" + v.Value
	case *types.AttributeValueMemberN:
		return "N" + v.Value
	case *types.AttributeValueMemberB:
		return "B" + string(v.Value)
	}
	return ""
}

// acquire marks keys held, or, when any is held already, returns the
// reason of each item and true.
func (m *Model) acquire(keys []string) ([]string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held == nil {
		m.held = map[string]bool{}
	}
	reasons := make([]string, len(keys))
	conflict := false
	for i, k := range keys {
		reasons[i] = "None"
		if k != "" && m.held[k] {
			reasons[i], conflict = Reason, true
		}
	}
	if conflict {
		m.conflicts++
		return reasons, true
	}
	for _, k := range keys {
		if k != "" {
			m.held[k] = true
		}
	}
	return nil, false
}

func (m *Model) release(keys []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.held, k)
	}
}

// cancelledResponse is DynamoDB's answer to a cancelled transaction: 400,
// JSON 1.0, the reasons in order.
func cancelledResponse(req any, reasons []string) *smithyhttp.Response {
	type reason struct {
		Code    string
		Message string `json:",omitempty"`
	}
	list := make([]reason, len(reasons))
	for i, r := range reasons {
		list[i] = reason{Code: r}
		if r == Reason {
			list[i].Message = "Transaction is ongoing for the item"
		}
	}
	body, _ := json.Marshal(map[string]any{
		"__type":              "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
		"Message":             "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(reasons, ", ") + "]",
		"CancellationReasons": list,
	})
	var r *http.Request
	if sr, ok := req.(*smithyhttp.Request); ok {
		r = sr.Request
	}
	return &smithyhttp.Response{Response: &http.Response{
		StatusCode: http.StatusBadRequest, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"local-tx-conflict"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}}
}
