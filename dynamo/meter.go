package dynamo

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Meter counts the requests a DynamoDB client makes and the capacity
// DynamoDB reports for them: it asks every GetItem, Query and
// TransactWriteItems for ReturnConsumedCapacity TOTAL and adds up the
// answers. DynamoDB Local 3.x reports capacity by DynamoDB's rules (checked
// 2026-11-29: a 5,000-byte item costs 2 units to read strongly, 1 unit
// eventually in a Query, 5 to put and 10 to put in a transaction), so the
// figures need no model of item sizes. Load tools install it; the
// handlers do not, so production requests carry no extra parameter.
type Meter struct {
	mu    sync.Mutex
	usage Usage
}

// Usage is what a Meter counted.
type Usage struct {
	// Requests per operation name (GetItem, Query, TransactWriteItems).
	Requests map[string]int
	// ReadUnits and WriteUnits as DynamoDB reported them; a transaction's
	// units are write units, doubled as transactions are.
	ReadUnits  float64
	WriteUnits float64
	// WrittenBytes is the size of what the transactions wrote, by
	// DynamoDB's item-size rules: for a put the item, for an update its key
	// and new values, for a delete its key. A global table replicates about
	// this much to every other region.
	WrittenBytes int
}

// Install adds the meter to a client's options, as dynamodb.New takes them.
func (m *Meter) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("hushMeter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				askCapacity(in.Parameters)
				out, md, err := next.HandleInitialize(ctx, in)
				written := 0
				if tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && err == nil {
					written = txSize(tx)
				}
				read, write := reported(out.Result)
				m.mu.Lock()
				if m.usage.Requests == nil {
					m.usage.Requests = map[string]int{}
				}
				m.usage.Requests[awsmiddleware.GetOperationName(ctx)]++
				m.usage.ReadUnits += read
				m.usage.WriteUnits += write
				m.usage.WrittenBytes += written
				m.mu.Unlock()
				return out, md, err
			}), middleware.After)
	})
}

// Take returns what the meter counted since the last Take and starts again.
func (m *Meter) Take() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usage
	m.usage = Usage{}
	if u.Requests == nil {
		u.Requests = map[string]int{}
	}
	return u
}

func askCapacity(params any) {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	case *dynamodb.QueryInput:
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	case *dynamodb.TransactWriteItemsInput:
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	}
}

func reported(result any) (read, write float64) {
	units := func(c *types.ConsumedCapacity) float64 {
		if c == nil {
			return 0
		}
		return aws.ToFloat64(c.CapacityUnits)
	}
	switch out := result.(type) {
	case *dynamodb.GetItemOutput:
		return units(out.ConsumedCapacity), 0
	case *dynamodb.QueryOutput:
		return units(out.ConsumedCapacity), 0
	case *dynamodb.TransactWriteItemsOutput:
		for i := range out.ConsumedCapacity {
			write += units(&out.ConsumedCapacity[i])
		}
	}
	return read, write
}

func txSize(tx *dynamodb.TransactWriteItemsInput) int {
	n := 0
	for _, op := range tx.TransactItems {
		switch {
		case op.Put != nil:
			n += itemSize(op.Put.Item)
		case op.Update != nil:
			n += itemSize(op.Update.Key) + itemSize(op.Update.ExpressionAttributeValues)
		case op.Delete != nil:
			n += itemSize(op.Delete.Key)
		}
	}
	return n
}

// itemSize follows DynamoDB's documented item-size rules closely enough
// for an estimate: names and strings by their UTF-8 length, a number by
// about half its digits plus one, three bytes of overhead for a list or
// map and one per element.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return (len(v.Value)+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		return 3 + len(v.Value) + itemSize(v.Value)
	case *types.AttributeValueMemberL:
		n := 3 + len(v.Value)
		for _, e := range v.Value {
			n += valueSize(e)
		}
		return n
	}
	return 0
}
