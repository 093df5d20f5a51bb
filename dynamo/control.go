package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/writeregion"
)

// Attribute names of a write-region view (writeregion.View), snake_case
// like the rest of the table.
const (
	attrWriteRegion = "write_region"
	attrEpoch       = "epoch"
	attrState       = "state"
	attrLeaseUntil  = "lease_until"
	attrChanged     = "changed"
	attrBy          = "by"
	attrDrain       = "drain"
	// attrLeaseBy records who asked for the latest lease, for the
	// operator's eyes only.
	attrLeaseBy = "lease_by"
)

// controlAPI is the part of the DynamoDB client a Control uses.
type controlAPI interface {
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Control keeps the write-region views in one region's replica of the
// table. It implements writeregion.Control: every call is one request to
// that replica, strongly consistent there, and every write is a conditional
// UpdateItem of the replica's own view only, so no view is ever written in
// two replicas and replication never has to settle a conflict on one.
//
// A refused condition costs no second read: the refusal carries the view as
// it stands (ReturnValuesOnConditionCheckFailure), which is what the caller
// needs to learn the newer belief.
type Control struct {
	client controlAPI
	table  string
	region string
}

var _ writeregion.Control = (*Control)(nil)

// NewControl returns the Control of the replica of region in the table
// named table. client must reach that region's replica: the conditions of
// the fence are only worth anything when evaluated where the view is
// written. Build client with ConfigureClient (or ConfigureWriteClient) so a
// dead replica fails fast.
func NewControl(client *dynamodb.Client, table, region string) *Control {
	return &Control{client: client, table: table, region: region}
}

// Region returns the region of the replica.
func (c *Control) Region() string { return c.region }

// Views returns every view the replica holds, with one consistent Query of
// the write-region partition: its own view as it stands and the other
// replicas' views as replicated so far. A replica never seeded returns none
// and no error; the caller decides what no view means.
func (c *Control) Views(ctx context.Context) ([]writeregion.View, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(AttrPK).Equal(expression.Value(writeRegionPK)),
	).Build()
	if err != nil {
		return nil, c.wrap(internal(err), "views")
	}
	out, err := c.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(c.table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, c.wrap(classify(err), "views")
	}
	views := make([]writeregion.View, 0, len(out.Items))
	for _, item := range out.Items {
		v, err := unmarshalView(item)
		if err != nil {
			return nil, c.wrap(internal(err), "views")
		}
		views = append(views, v)
	}
	return views, nil
}

// Seed writes v as the replica's own view when the replica has none, so
// the configuration of a stack seeds the write region once and a later
// deployment never reverts a move made at run time. v.Replica is ignored:
// a Control writes only its own replica's view.
func (c *Control) Seed(ctx context.Context, v writeregion.View) (writeregion.View, error) {
	if err := checkBelief(v.Of()); err != nil {
		return writeregion.View{}, c.wrap(internal(err), "seed")
	}
	by := v.By
	if by == "" {
		by = "seed"
	}
	changed := v.Changed
	if changed.IsZero() {
		changed = time.Now()
	}
	u := setBelief(v.Of(), changed, by)
	cond := expression.AttributeNotExists(expression.Name(AttrPK))
	return c.update(ctx, "seed", u, cond)
}

// Renew grants a lease on b until the given time when the replica's own
// view says b and b is open, or when the view holds an older epoch than b:
// then the view adopts b, which is how a replica that missed a move while
// cut off catches up on its first renewal. A view never goes back to an
// older epoch, and a paused or moved view never grants the old belief.
func (c *Control) Renew(ctx context.Context, b writeregion.Belief, until time.Time, by string) (writeregion.View, error) {
	if b.State != writeregion.Open {
		// A lease on a paused belief admits nothing; asking for one is a
		// bug of the caller, not something the view should record.
		return writeregion.View{}, c.wrap(internal(fmt.Errorf("a lease on a %s belief", b.State)), "renew")
	}
	same := expression.Name(attrWriteRegion).Equal(expression.Value(b.WriteRegion)).
		And(expression.Name(attrEpoch).Equal(expression.Value(b.Epoch))).
		And(expression.Name(attrState).Equal(expression.Value(string(writeregion.Open))))
	cond := same.Or(expression.Name(attrEpoch).LessThan(expression.Value(b.Epoch)))
	// The belief's attributes are written again on every renewal: equal
	// when the view already says b, and the adoption when it was older.
	// Changed and by stay those of the last Set or Seed, so they keep saying
	// who decided the belief; the lease's holder goes to lease_by.
	u := expression.Set(expression.Name(attrWriteRegion), expression.Value(b.WriteRegion)).
		Set(expression.Name(attrEpoch), expression.Value(b.Epoch)).
		Set(expression.Name(attrState), expression.Value(string(b.State))).
		Set(expression.Name(attrLeaseUntil), expression.Value(formatViewTime(until))).
		Set(expression.Name(attrLeaseBy), expression.Value(by))
	return c.update(ctx, "renew", u, cond)
}

// Set makes the replica's own view say b: a move when the view's epoch is
// older than b's, a pause or a resume when the epoch and the write region
// are the same. It returns the view as it was before, whose LeaseUntil is
// the end of the last lease it granted, so a move knows how long to wait.
func (c *Control) Set(ctx context.Context, b writeregion.Belief, by string) (writeregion.View, error) {
	if err := checkBelief(b); err != nil {
		return writeregion.View{}, c.wrap(internal(err), "set")
	}
	cond := expression.Name(attrEpoch).LessThan(expression.Value(b.Epoch)).Or(
		expression.Name(attrEpoch).Equal(expression.Value(b.Epoch)).
			And(expression.Name(attrWriteRegion).Equal(expression.Value(b.WriteRegion))))
	return c.updateOld(ctx, "set", setBelief(b, time.Now(), by), cond)
}

// Mark writes token as the drain marker of the replica's own view. The
// operator marks the old write region's view and waits until every other
// replica holds the copy with this token.
func (c *Control) Mark(ctx context.Context, token string) error {
	u := expression.Set(expression.Name(attrDrain), expression.Value(token))
	_, err := c.update(ctx, "mark", u, expression.AttributeExists(expression.Name(AttrPK)))
	return err
}

// checkBelief refuses a belief no view may hold: a view without a write
// region or with a state other than open or paused would admit nothing and
// confuse every reader.
func checkBelief(b writeregion.Belief) error {
	switch {
	case b.WriteRegion == "":
		return errors.New("a belief without a write region")
	case b.State != writeregion.Open && b.State != writeregion.Paused:
		return fmt.Errorf("unknown state %q", b.State)
	}
	return nil
}

// setBelief is the update that makes a view say b, recording when and by
// whom.
func setBelief(b writeregion.Belief, changed time.Time, by string) expression.UpdateBuilder {
	return expression.Set(expression.Name(attrWriteRegion), expression.Value(b.WriteRegion)).
		Set(expression.Name(attrEpoch), expression.Value(b.Epoch)).
		Set(expression.Name(attrState), expression.Value(string(b.State))).
		Set(expression.Name(attrChanged), expression.Value(formatViewTime(changed))).
		Set(expression.Name(attrBy), expression.Value(by))
}

// update applies u to the replica's own view on condition cond and returns
// the view after it.
func (c *Control) update(ctx context.Context, op string, u expression.UpdateBuilder, cond expression.ConditionBuilder) (writeregion.View, error) {
	return c.apply(ctx, op, u, cond, types.ReturnValueAllNew)
}

// updateOld applies u like update and returns the view before it.
func (c *Control) updateOld(ctx context.Context, op string, u expression.UpdateBuilder, cond expression.ConditionBuilder) (writeregion.View, error) {
	return c.apply(ctx, op, u, cond, types.ReturnValueAllOld)
}

func (c *Control) apply(ctx context.Context, op string, u expression.UpdateBuilder, cond expression.ConditionBuilder, rv types.ReturnValue) (writeregion.View, error) {
	expr, err := expression.NewBuilder().WithUpdate(u).WithCondition(cond).Build()
	if err != nil {
		return writeregion.View{}, c.wrap(internal(err), "%s", op)
	}
	out, err := c.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(c.table),
		Key:                                 viewKey(c.region),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        rv,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		if ccf.Item == nil {
			// Only Seed's condition fails on a missing view; for every
			// other call a missing view is a replica not seeded.
			return writeregion.View{}, c.wrap(writeregion.ErrNoView, "%s", op)
		}
		v, uerr := unmarshalView(ccf.Item)
		if uerr != nil {
			return writeregion.View{}, c.wrap(internal(uerr), "%s", op)
		}
		return v, c.wrap(writeregion.ErrRefused, "%s: the view says %s at epoch %d, %s", op, v.WriteRegion, v.Epoch, v.State)
	case err != nil:
		return writeregion.View{}, c.wrap(classify(err), "%s", op)
	}
	if out.Attributes == nil {
		// ALL_OLD of a view that did not exist before (a seed).
		return writeregion.View{Replica: c.region}, nil
	}
	v, err := unmarshalView(out.Attributes)
	if err != nil {
		return writeregion.View{}, c.wrap(internal(err), "%s", op)
	}
	return v, nil
}

func (c *Control) wrap(err error, format string, args ...any) error {
	return fmt.Errorf("write region view of %s: "+format+": %w", append(append([]any{c.region}, args...), err)...)
}

func viewKey(region string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: writeRegionPK},
		AttrSK: &types.AttributeValueMemberS{Value: viewSK(region)},
	}
}

// formatViewTime writes a time of a view as RFC 3339 in UTC with nine
// fractional digits, readable in the console.
func formatViewTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// unmarshalView reads a view item. A view's attributes are few and fixed,
// so they are read one by one rather than through attributevalue, which
// would need a second struct for the epoch's number.
func unmarshalView(item map[string]types.AttributeValue) (writeregion.View, error) {
	sk := stringAttr(item, AttrSK)
	region, ok := parseViewSK(sk)
	if !ok {
		return writeregion.View{}, fmt.Errorf("view key %q", sk)
	}
	v := writeregion.View{
		Replica:     region,
		WriteRegion: stringAttr(item, attrWriteRegion),
		State:       writeregion.State(stringAttr(item, attrState)),
		By:          stringAttr(item, attrBy),
		Drain:       stringAttr(item, attrDrain),
	}
	n, ok := item[attrEpoch].(*types.AttributeValueMemberN)
	if !ok {
		return writeregion.View{}, fmt.Errorf("view of %s has no epoch", region)
	}
	epoch, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return writeregion.View{}, fmt.Errorf("view of %s: epoch %q: %w", region, n.Value, err)
	}
	v.Epoch = epoch
	if v.LeaseUntil, err = parseViewTime(item, attrLeaseUntil); err != nil {
		return writeregion.View{}, fmt.Errorf("view of %s: %w", region, err)
	}
	if v.Changed, err = parseViewTime(item, attrChanged); err != nil {
		return writeregion.View{}, fmt.Errorf("view of %s: %w", region, err)
	}
	return v, nil
}

func parseViewTime(item map[string]types.AttributeValue, name string) (time.Time, error) {
	s := stringAttr(item, name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: %w", name, s, err)
	}
	return t, nil
}

// parseViewSK returns the region of a view's SK.
func parseViewSK(sk string) (string, bool) {
	region, ok := strings.CutPrefix(sk, prefixView)
	return region, ok && region != ""
}
