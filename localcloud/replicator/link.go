package replicator

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// batch is how many changes of distinct items one link applies at once.
const batch = 16

// link applies the changes queued from one region to another, oldest
// first, once each is due.
func (r *Replicator) link(from, to string) {
	defer r.wg.Done()
	name := linkName(from, to)
	wait, lastErr := time.Duration(0), ""
	for r.sleep(wait) {
		due, next := r.due(name)
		if len(due) == 0 {
			wait = min(next, r.opts.PollInterval)
			continue
		}
		results := make([]error, len(due))
		applied := make([]bool, len(due))
		var wg sync.WaitGroup
		for i, c := range due {
			wg.Add(1)
			go func() {
				defer wg.Done()
				applied[i], results[i] = r.apply(from, to, c)
			}()
		}
		wg.Wait()
		r.finish(name, due, applied)
		wait = 0
		if err := errors.Join(results...); err != nil {
			if msg := err.Error(); msg != lastErr {
				r.logger.Warn("replicator: apply", "from", from, "to", to, "error", err)
				lastErr = msg
			}
			wait = min(4*r.opts.PollInterval, maxBackoff)
		} else if !slicesAny(applied) {
			// Waiting for the target's reader to catch up.
			wait = r.opts.PollInterval / 2
		}
	}
}

func slicesAny(b []bool) bool {
	for _, x := range b {
		if x {
			return true
		}
	}
	return false
}

// due returns the changes at the head of a queue that are due, at most one
// per item so an item's changes stay in order, and otherwise how long until
// the head is due.
func (r *Replicator) due(name string) ([]change, time.Duration) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.st.Queues[name]
	if len(q) == 0 {
		return nil, r.opts.PollInterval
	}
	if wait := q[0].Seen.Add(r.opts.Delay).Sub(now); wait > 0 {
		return nil, wait
	}
	var out []change
	seen := map[string]bool{}
	for _, c := range q {
		if len(out) == batch || c.Seen.Add(r.opts.Delay).After(now) {
			break
		}
		if !seen[c.Key] {
			out = append(out, c)
		}
		seen[c.Key] = true
	}
	return out, 0
}

// finish drops the applied changes from the queue.
func (r *Replicator) finish(name string, due []change, applied []bool) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	gone := map[string]version{}
	for i, c := range due {
		if applied[i] {
			gone[c.Key] = c.V
			r.lastLag[name] = now.Sub(c.Seen)
			r.applied[name]++
		}
	}
	if len(gone) == 0 {
		return
	}
	q := r.st.Queues[name]
	kept := q[:0]
	for _, c := range q {
		if v, ok := gone[c.Key]; ok && v == c.V {
			delete(gone, c.Key)
			continue
		}
		kept = append(kept, c)
	}
	r.st.Queues[name] = kept
	r.dirty = true
}

// apply brings one change to the replica of to. It reports true when the
// change is done with (written, or older than what the replica holds),
// false when it must wait and be tried again: the target's reader has not
// yet seen what the replica holds, or a local write slipped in.
func (r *Replicator) apply(from, to string, c change) (bool, error) {
	cl, err := r.opts.Clients(from, to)
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	busy := len(r.pending[to][c.Key]) > 0
	r.mu.Unlock()
	if busy {
		return false, nil
	}
	asked := time.Now()
	got, err := cl.DB.GetItem(r.ctx, &dynamodb.GetItemInput{TableName: r.tableName(), Key: c.Keys.toDB(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, fmt.Errorf("read %s in %s: %w", c.Key, to, err)
	}
	current, err := dbItem(got.Item)
	if err != nil {
		return false, err
	}
	held, want := current.hash(), c.Image.hash()

	r.mu.Lock()
	rs := r.st.Replicas[to]
	k, ok := rs.Items[c.Key]
	if !ok {
		if held != "" && !r.polled[to].After(asked) {
			// A local write the target's reader has not seen yet: wait for
			// it, or it would be overwritten without its version.
			r.mu.Unlock()
			return false, nil
		}
		// An item the replicator has never seen change, such as one written
		// before it first ran: whatever is there is older than any change.
		k = known{H: held}
	}
	switch {
	case k.H != held:
		r.mu.Unlock()
		return false, nil
	case !c.V.newer(k.V):
		r.mu.Unlock()
		return true, nil
	case held == want:
		rs.Items[c.Key] = known{V: c.V, H: held}
		r.dirty = true
		r.mu.Unlock()
		return true, nil
	}
	r.pending[to][c.Key] = append(r.pending[to][c.Key], want)
	r.mu.Unlock()

	err = r.write(cl.DB, c, current)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if p := r.pending[to][c.Key]; len(p) > 0 {
			if i := indexOf(p, want); i >= 0 {
				r.pending[to][c.Key] = append(p[:i:i], p[i+1:]...)
			}
		}
		var failed *types.ConditionalCheckFailedException
		if errors.As(err, &failed) {
			return false, nil
		}
		return false, fmt.Errorf("write %s in %s: %w", c.Key, to, err)
	}
	rs.Items[c.Key] = known{V: c.V, H: want}
	r.dirty = true
	return true, nil
}

// write puts or deletes c's item on condition that the replica still holds
// expected (nil: no item).
func (r *Replicator) write(db *dynamodb.Client, c change, expected item) error {
	cond, names, values := condition(c.Keys, expected)
	var err error
	if c.Image == nil {
		_, err = db.DeleteItem(r.ctx, &dynamodb.DeleteItemInput{
			TableName: r.tableName(), Key: c.Keys.toDB(),
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
	} else {
		_, err = db.PutItem(r.ctx, &dynamodb.PutItemInput{
			TableName: r.tableName(), Item: c.Image.toDB(),
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
	}
	return err
}

// condition is "the item is still expected": absent, or present with every
// scalar attribute of expected unchanged. Scalars suffice: a write that
// changes an item changes at least one of them (Hush's items carry the
// time they were recorded).
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
