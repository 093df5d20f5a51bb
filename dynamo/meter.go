package dynamo

import (
	"context"
	"strings"
	"sync"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/hush-scores/hush/iampolicy/awscall"
)

// Meter counts the requests a DynamoDB client makes and their capacity: it
// asks every GetItem, Query and TransactWriteItems for
// ReturnConsumedCapacity TOTAL and adds up the answers. Checked against
// DynamoDB Local 3.3.1 on 2026-11-29: its read units follow DynamoDB's
// rules (a 5,000-byte item costs 2 units read strongly, 1 read eventually),
// but its transactions do not (five 1 KB puts in one transaction report 2
// units, not 10). So write units are computed here from the items by
// DynamoDB's documented rules (writeUnits), and what Local reported is
// kept beside them. Load tools install the meter; the handlers do not, so
// production requests carry no extra parameter.
//
// Calls on the write-region partition (the fence's belief reads and lease
// renewals, the operator's moves) are counted apart, in Usage.Control: they
// are not what a request costs but what a function instance spends about
// once a second whichever request happens to ask, so counting them into the
// request that triggered them would make a request's figures a matter of
// timing.
type Meter struct {
	mu    sync.Mutex
	usage Usage
}

// Usage is what a Meter counted.
type Usage struct {
	// Requests per operation name (GetItem, Query, TransactWriteItems),
	// calls on the write-region partition left out (see Control).
	Requests map[string]int
	// Auths counts the IAM authorisations every call needed, those on the
	// write-region partition included: each an action on a table or index
	// of a region (a transaction needs one per item, by its own action).
	// The Pulumi mock test compares the functions' grants with these.
	Auths map[awscall.Auth]int
	// Control is what the calls on the write-region partition made and
	// cost; none of it is in Requests or the units below.
	Control ControlUsage
	// ReadUnits and WriteUnits as DynamoDB reported them; a transaction's
	// units are write units, doubled as transactions are.
	ReadUnits  float64
	WriteUnits float64
	// ReportedWriteUnits is what DynamoDB (Local) reported for the writes.
	ReportedWriteUnits float64
	// ReplicaWriteUnits is what the same writes cost in each other region
	// of a global table, where they arrive as standard (not transactional)
	// writes: one unit per started KB of each item and index entry.
	ReplicaWriteUnits float64
	// WrittenBytes is the size of what the transactions wrote, by
	// DynamoDB's item-size rules: for a put the item, for an update its key
	// and new values, for a delete its key. A global table replicates about
	// this much to every other region.
	WrittenBytes int
}

// ControlUsage is what the calls on the write-region partition (PK
// WRITEREGION) made and cost.
type ControlUsage struct {
	// Requests per operation name (Query for a read of the views,
	// UpdateItem for a renewal, a seed, a move or a mark).
	Requests map[string]int
	// ReadUnits and WriteUnits as DynamoDB reported them. A view is one
	// small item written as a standard write, so what DynamoDB (Local)
	// reports for it follows the documented rules; a global table also
	// replicates each view write to every other region.
	ReadUnits  float64
	WriteUnits float64
}

// Install adds the meter to a client's options, as dynamodb.New takes them.
func (m *Meter) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("hushMeter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				control := onWriteRegion(in.Parameters)
				askCapacity(in.Parameters, control)
				auths := awscall.Of(ctx, in.Parameters)
				out, md, err := next.HandleInitialize(ctx, in)
				written, units, replica := 0, 0.0, 0.0
				if tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && err == nil {
					written = txSize(tx)
					units, replica = writeUnits(tx)
				}
				read, write := reported(out.Result)
				m.mu.Lock()
				defer m.mu.Unlock()
				m.usage.init()
				for _, a := range auths {
					m.usage.Auths[a]++
				}
				if control {
					m.usage.Control.Requests[awsmiddleware.GetOperationName(ctx)]++
					m.usage.Control.ReadUnits += read
					m.usage.Control.WriteUnits += write
					return out, md, err
				}
				m.usage.Requests[awsmiddleware.GetOperationName(ctx)]++
				m.usage.ReadUnits += read
				m.usage.WriteUnits += units
				m.usage.ReplicaWriteUnits += replica
				m.usage.ReportedWriteUnits += write
				m.usage.WrittenBytes += written
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
	u.init()
	return u
}

// init makes the maps of u that are still nil.
func (u *Usage) init() {
	if u.Requests == nil {
		u.Requests = map[string]int{}
	}
	if u.Auths == nil {
		u.Auths = map[awscall.Auth]int{}
	}
	if u.Control.Requests == nil {
		u.Control.Requests = map[string]int{}
	}
}

// askCapacity asks the calls the meter prices for their consumed capacity:
// reads and transactions, and the updates of the write-region views
// (control), whose write units are priced from DynamoDB's answer.
func askCapacity(params any, control bool) {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	case *dynamodb.QueryInput:
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	case *dynamodb.TransactWriteItemsInput:
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	case *dynamodb.UpdateItemInput:
		if control {
			in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
		}
	}
}

// onWriteRegion reports whether a call works on the write-region partition:
// a Query of the base table whose key condition compares a key with
// WRITEREGION (the only partition key without a '#', so no other key of
// the table can equal it), or a call on a single item whose PK is
// WRITEREGION.
func onWriteRegion(params any) bool {
	switch in := params.(type) {
	case *dynamodb.QueryInput:
		return in.IndexName == nil && keyConditionOn(aws.ToString(in.KeyConditionExpression), in.ExpressionAttributeValues, writeRegionPK)
	case *dynamodb.GetItemInput:
		return pkIs(in.Key, writeRegionPK)
	case *dynamodb.UpdateItemInput:
		return pkIs(in.Key, writeRegionPK)
	case *dynamodb.PutItemInput:
		return pkIs(in.Item, writeRegionPK)
	case *dynamodb.DeleteItemInput:
		return pkIs(in.Key, writeRegionPK)
	}
	return false
}

func pkIs(key map[string]types.AttributeValue, pk string) bool {
	v, ok := key[AttrPK].(*types.AttributeValueMemberS)
	return ok && v.Value == pk
}

// keyConditionOn reports whether the key condition cond refers to a value
// placeholder whose value is the string want.
func keyConditionOn(cond string, values map[string]types.AttributeValue, want string) bool {
	tokens := strings.FieldsFunc(cond, func(r rune) bool {
		return r != ':' && r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, t := range tokens {
		if v, ok := values[t].(*types.AttributeValueMemberS); ok && v.Value == want {
			return true
		}
	}
	return false
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
	case *dynamodb.UpdateItemOutput:
		return 0, units(out.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		for i := range out.ConsumedCapacity {
			write += units(&out.ConsumedCapacity[i])
		}
	}
	return read, write
}

// writeUnits applies DynamoDB's documented write rules to a transaction:
// two units per started KB of each item written in a transaction, plus one
// unit per started KB for each item whose write changes GSI1 (a put of an
// item with GSI1 keys, the delete of a player link). An update's item size
// is estimated from its key and values (a standing item, well under 1 KB).
func writeUnits(tx *dynamodb.TransactWriteItemsInput) (units, replica float64) {
	kb := func(n int) float64 { return float64((n + 1023) / 1024) }
	for _, op := range tx.TransactItems {
		table, index := 0.0, 0.0
		switch {
		case op.Put != nil:
			size := itemSize(op.Put.Item)
			table = kb(size)
			if _, ok := op.Put.Item[AttrGSI1PK]; ok {
				index = kb(size)
			}
		case op.Update != nil:
			table = kb(itemSize(op.Update.Key) + itemSize(op.Update.ExpressionAttributeValues))
		case op.Delete != nil:
			table = 1
			if sk, ok := op.Delete.Key[AttrSK].(*types.AttributeValueMemberS); ok && strings.HasPrefix(sk.Value, prefixPlayerLink) {
				index = 1
			}
		}
		units += 2*table + index
		replica += table + index
	}
	return units, replica
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
