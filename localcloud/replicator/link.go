package replicator

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// maxTransactBytes keeps a round's transaction under DynamoDB's 4 MB.
const maxTransactBytes = 3 << 20

// link applies the changes queued from one region to another, oldest
// first, once each is due, a round at a time.
func (r *Replicator) link(from, to string) {
	defer r.wg.Done()
	name := linkName(from, to)
	wait, lastErr := time.Duration(0), ""
	for r.sleep(wait) {
		due, next := r.pick(name)
		if len(due) == 0 {
			wait = min(next, r.opts.PollInterval)
			continue
		}
		progress, err := r.round(from, to, due)
		wait = 0
		switch {
		case err != nil:
			if msg := err.Error(); msg != lastErr {
				r.logger.Warn("replicator: apply", "from", from, "to", to, "error", err)
				lastErr = msg
			}
			wait = min(4*r.opts.PollInterval, maxBackoff)
		case !progress:
			// Waiting for the target's reader to catch up.
			lastErr = ""
			wait = r.opts.PollInterval / 2
		default:
			lastErr = ""
		}
	}
}

// pick returns the due changes at the head of a link's queue, at most
// Batch of distinct items and maxTransactBytes of content, marked as being
// applied; with none due, how long until the head is.
func (r *Replicator) pick(name string) ([]*entry, time.Duration) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queues[name]
	q.compact()
	var (
		out   []*entry
		bytes int
	)
	for _, e := range q.list {
		if e.gone || e.busy || q.applying[e.Key] != nil {
			continue
		}
		if !r.savedLocked(e) {
			// Not in the state file yet: written now and the replicator
			// killed before the next save, its record would come back
			// with nothing saved to recognise it by (see "State and crash
			// safety").
			continue
		}
		if wait := e.Seen.Add(r.opts.Delay).Sub(now); wait > 0 {
			if len(out) == 0 {
				return nil, wait
			}
			break
		}
		size := e.size
		if len(out) == r.opts.Batch || len(out) > 0 && bytes+size > maxTransactBytes {
			break
		}
		bytes += size
		e.busy = true
		q.applying[e.Key] = e
		if q.waiting[e.Key] == e {
			delete(q.waiting, e.Key)
		}
		out = append(out, e)
	}
	return out, r.opts.PollInterval
}

// round applies due changes to the replica of to: one read of what it
// holds, then one conditional transaction of those that are newer. It
// reports whether any change was done with.
func (r *Replicator) round(from, to string, due []*entry) (progress bool, err error) {
	name := linkName(from, to)
	settled := map[*entry]bool{}
	defer func() {
		// Whatever was not done with waits for the next round.
		r.mu.Lock()
		for _, e := range due {
			if !settled[e] {
				r.releaseLocked(to, r.queues[name], e)
			}
		}
		r.mu.Unlock()
	}()
	cl, err := r.opts.Clients(from, to)
	if err != nil {
		return false, err
	}
	current, err := r.readTarget(cl.DB, due)
	if err != nil {
		return false, fmt.Errorf("read %d items in %s: %w", len(due), to, err)
	}
	// Taken once the answer is in, not before the call: the read is served
	// anywhere up to then (a cross-region link adds its round trips first),
	// and a write committed in the target meanwhile is in what it returns.
	// Only a stream read that started after the answer has surely seen it.
	answered := time.Now()
	writes, expected, progress := r.triage(to, name, due, current, answered, settled)
	if len(writes) == 0 {
		return progress, nil
	}
	werr := r.transact(cl.DB, writes, expected)
	if err := r.recordWrite(to, name, writes, werr, settled); err != nil {
		return progress, err
	}
	// Committed, or cancelled by local writes that slipped in (they wait).
	return progress || werr == nil, nil
}

// triage compares each due change with what the target held in a read
// answered by answered: a change the target already holds, or that a newer
// one there supersedes, is done with (settled); a change newer than what it
// holds is to be written, conditional on the target still holding that
// (expected); a change whose target holds a write its reader has not seen
// yet waits.
func (r *Replicator) triage(to, name string, due []*entry, current map[string]item, answered time.Time, settled map[*entry]bool) (writes []*entry, expected []item, progress bool) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	rs, q, st := r.replicas[to], r.queues[name], r.stats[name]
	for _, e := range due {
		cur, read := current[e.Key]
		if !read || e.gone {
			continue
		}
		held := cur.hash()
		k, ok := rs.Items[e.Key]
		if !ok || k.H != held {
			if (ok || held != "") && !r.polled[to].After(answered) {
				// A write the target's reader has not seen yet: wait for it,
				// or it would be overwritten without its version.
				continue
			}
			// The reader has read everything committed before the read was
			// answered (a read of the stream that started after that found
			// nothing more), and the replica still holds something else: an
			// item written before the replicator first ran, or a write
			// DynamoDB Local rolled back when it was killed (it acknowledges
			// a transaction a moment before it is durable). Either is older
			// than any change.
			k = known{H: held}
		}
		switch {
		case !e.V.newer(k.V):
			// The target holds a newer change: this one is superseded.
		case held == e.h:
			rs.Items[e.Key] = known{V: e.V, H: held}
			r.dirty = true
		default:
			writes, expected = append(writes, e), append(expected, cur)
			continue
		}
		r.doneLocked(q, st, e, now)
		settled[e] = true
		progress = true
	}
	return writes, expected, progress
}

// recordWrite notes how the transaction of writes into to ended (err):
// committed, each change is done with and its echo expected; cancelled by
// a failed condition only (local writes slipped in), they wait for the
// target's reader and recordWrite returns nil; without an answer saying it
// did not commit, each may have landed and its record may come.
func (r *Replicator) recordWrite(to, name string, writes []*entry, err error, settled map[*entry]bool) error {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) {
			// No answer saying it did not commit: its record may come.
			for _, e := range writes {
				e.maybe = true
			}
		}
		if errors.As(err, &cancelled) && conditionsOnly(cancelled) {
			return nil
		}
		return fmt.Errorf("write %d items in %s: %w", len(writes), to, err)
	}
	rs, q, st := r.replicas[to], r.queues[name], r.stats[name]
	st.writes += int64(len(writes))
	for _, e := range writes {
		if !e.gone {
			// Its record is still to come on the target's stream.
			rs.Items[e.Key] = known{V: e.V, H: e.h}
			r.addEchoLocked(to, e, now)
		}
		r.doneLocked(q, st, e, now)
		settled[e] = true
	}
	return nil
}

// doneLocked takes e out of the queue as applied.
func (r *Replicator) doneLocked(q *queue, st *linkStats, e *entry, now time.Time) {
	if q.applying[e.Key] == e {
		delete(q.applying, e.Key)
	}
	e.busy = false
	if !e.gone {
		q.remove(e)
		q.done(e.change, now)
		st.done(e.n, now, e.Seen)
	}
	st.backlog(q.live > 0, now)
	r.dirty = true
}

// releaseLocked puts e back to wait after a round that did not apply it;
// a newer change of its item queued meanwhile replaces it.
func (r *Replicator) releaseLocked(to string, q *queue, e *entry) {
	if q.applying[e.Key] == e {
		delete(q.applying, e.Key)
	}
	e.busy = false
	if e.gone {
		return
	}
	if w := q.waiting[e.Key]; w != nil && w != e {
		if e.maybe {
			r.addEchoLocked(to, e, time.Now())
		}
		n := e.n
		q.remove(e)
		w.n += n
		q.backlog += n
		r.dirty = true
		return
	}
	q.waiting[e.Key] = e
}

// conditionsOnly reports whether a cancelled transaction failed only on
// its conditions (and items cancelled with them).
func conditionsOnly(err *types.TransactionCanceledException) bool {
	failed := false
	for _, reason := range err.CancellationReasons {
		switch aws.ToString(reason.Code) {
		case "None", "":
		case "ConditionalCheckFailed":
			failed = true
		default:
			return false
		}
	}
	return failed
}

// readTarget reads the items of due in the target with one strongly
// consistent BatchGetItem: by item key, the item (nil when absent). Keys
// DynamoDB left unprocessed are missing from the result.
func (r *Replicator) readTarget(db *dynamodb.Client, due []*entry) (map[string]item, error) {
	keys := make([]map[string]types.AttributeValue, len(due))
	names := map[string]bool{}
	for i, e := range due {
		keys[i] = e.Keys.toDB()
		for n := range e.Keys {
			names[n] = true
		}
	}
	out, err := db.BatchGetItem(r.ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		r.opts.Table: {Keys: keys, ConsistentRead: aws.Bool(true)},
	}})
	if err != nil {
		return nil, err
	}
	got := make(map[string]item, len(due))
	for _, e := range due {
		got[e.Key] = nil
	}
	for _, k := range out.UnprocessedKeys[r.opts.Table].Keys {
		it, err := dbItem(k)
		if err != nil {
			return nil, err
		}
		delete(got, keyOf(it))
	}
	for _, raw := range out.Responses[r.opts.Table] {
		it, err := dbItem(raw)
		if err != nil {
			return nil, err
		}
		keys := item{}
		for n := range names {
			keys[n] = it[n]
		}
		if _, ok := got[keyOf(keys)]; ok {
			got[keyOf(keys)] = it
		}
	}
	return got, nil
}

// transact writes every change of writes, each on condition that the
// target still holds its expected item (nil: none), in one transaction.
// A transaction DynamoDB refuses as a whole (too large, say) is split.
func (r *Replicator) transact(db *dynamodb.Client, writes []*entry, expected []item) error {
	ops := make([]types.TransactWriteItem, len(writes))
	for i, e := range writes {
		cond, names, values := condition(e.Keys, expected[i])
		if e.Image == nil {
			ops[i] = types.TransactWriteItem{Delete: &types.Delete{
				TableName: r.tableName(), Key: e.Keys.toDB(),
				ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			}}
		} else {
			ops[i] = types.TransactWriteItem{Put: &types.Put{
				TableName: r.tableName(), Item: e.Image.toDB(),
				ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			}}
		}
	}
	_, err := db.TransactWriteItems(r.ctx, &dynamodb.TransactWriteItemsInput{TransactItems: ops})
	var api smithy.APIError
	if err != nil && len(writes) > 1 && errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		half := len(writes) / 2
		if err := r.transact(db, writes[:half], expected[:half]); err != nil {
			return err
		}
		return r.transact(db, writes[half:], expected[half:])
	}
	return err
}

// condition is "the item is still expected": absent, or present with every
// scalar attribute of expected unchanged. Scalars suffice: a write that
// changes an item changes at least one of them (Hush's items carry the
// time they were recorded, standing lines their counts).
func condition(keys, expected item) (string, map[string]string, map[string]types.AttributeValue) {
	var keyName string
	for k := range keys {
		if keyName == "" || k < keyName {
			keyName = k
		}
	}
	names := map[string]string{"#k": keyName}
	if expected == nil {
		return "attribute_not_exists(#k)", names, nil
	}
	attrs := make([]string, 0, len(expected))
	for a, v := range expected {
		if v.S != nil || v.N != nil || v.BOOL != nil || v.B != nil {
			attrs = append(attrs, a)
		}
	}
	sort.Strings(attrs)
	parts := []string{"attribute_exists(#k)"}
	values := map[string]types.AttributeValue{}
	for i, a := range attrs {
		n, p := "#a"+strconv.Itoa(i), ":a"+strconv.Itoa(i)
		names[n] = a
		values[p] = expected[a].toDB()
		parts = append(parts, n+" = "+p)
	}
	if len(values) == 0 {
		values = nil
	}
	return strings.Join(parts, " AND "), names, values
}
