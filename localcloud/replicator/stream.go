package replicator

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// maxBackoff bounds the wait between attempts on a replica that fails.
const maxBackoff = time.Second

// echoMargin is how long after the target's reader has read past an echo
// entry's time the entry is kept anyway, in case a stream shows a record
// later than its commit.
const echoMargin = 10 * time.Second

// catchUp reads region's stream until it has nothing more, an error, or
// deadline, and returns the reader's state to go on from.
func (r *Replicator) catchUp(region string, deadline time.Time) *shards {
	sh := &shards{iters: map[string]*string{}}
	for time.Now().Before(deadline) {
		start := time.Now()
		n, err := r.poll(region, sh)
		if err != nil {
			return &shards{iters: map[string]*string{}}
		}
		if n == 0 {
			r.caughtUp(region, start)
			return sh
		}
	}
	return sh
}

// caughtUp notes that a read of region's stream that started at start
// found nothing new: every change committed before start has been seen,
// and echo entries older than that (with a margin) will not come.
func (r *Replicator) caughtUp(region string, start time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.polled[region] = start
	rs := r.replicas[region]
	for key, es := range rs.Echoes {
		kept := es[:0]
		for _, e := range es {
			if e.At.Add(echoMargin).After(start) {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 {
			delete(rs.Echoes, key)
		} else {
			rs.Echoes[key] = kept
		}
		if len(kept) != len(es) {
			r.dirty = true
		}
	}
}

// read follows region's stream until the replicator stops.
func (r *Replicator) read(region string, sh *shards) {
	defer r.wg.Done()
	var (
		wait    = time.Duration(0)
		lastErr string
	)
	for r.sleep(wait) {
		start := time.Now()
		n, err := r.poll(region, sh)
		if err != nil {
			// A stopped DynamoDB Local, a replica taken down: start again
			// from the saved positions once it answers.
			if msg := err.Error(); msg != lastErr {
				r.logger.Warn("replicator: read stream", "region", region, "error", err)
				lastErr = msg
			}
			sh = &shards{iters: map[string]*string{}}
			wait = min(max(2*wait, r.opts.PollInterval), maxBackoff)
			continue
		}
		lastErr = ""
		wait = r.opts.PollInterval
		if n == 0 {
			r.caughtUp(region, start)
		} else {
			wait = 0 // more may be waiting
		}
	}
}

// shards is what a reader knows of its stream between polls.
type shards struct {
	arn   string
	list  []stypes.Shard
	at    time.Time          // when list was read
	iters map[string]*string // by shard
}

// shardsTTL is how long a reader trusts its list of shards. DynamoDB opens
// a new shard every few hours; asking on every poll would only load
// DynamoDB Local, which runs every region's transactions too.
const shardsTTL = 5 * time.Second

// poll reads every open shard of region's stream once and returns how many
// records it processed.
func (r *Replicator) poll(region string, sh *shards) (int, error) {
	c, err := r.opts.Clients(region, region)
	if err != nil {
		return 0, err
	}
	ctx := r.ctx
	if sh.arn == "" {
		out, err := c.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: r.tableName()})
		if err != nil {
			return 0, fmt.Errorf("describe table: %w", err)
		}
		if out.Table == nil || out.Table.LatestStreamArn == nil {
			return 0, fmt.Errorf("table %s in %s has no stream", r.opts.Table, region)
		}
		sh.arn = *out.Table.LatestStreamArn
	}
	streamArn := sh.arn
	if sh.list == nil || time.Since(sh.at) > shardsTTL {
		desc, err := c.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamArn)})
		if err != nil {
			return 0, fmt.Errorf("describe stream: %w", err)
		}
		sh.list, sh.at = desc.StreamDescription.Shards, time.Now()
	}
	iters := sh.iters
	r.mu.Lock()
	closed := r.replicas[region].Closed
	present := map[string]bool{}
	for _, s := range sh.list {
		present[aws.ToString(s.ShardId)] = true
	}
	r.mu.Unlock()
	total := 0
	for _, sh := range sh.list {
		id := aws.ToString(sh.ShardId)
		r.mu.Lock()
		done := closed[id]
		parentOpen := sh.ParentShardId != nil && present[*sh.ParentShardId] && !closed[*sh.ParentShardId]
		position := r.replicas[region].Positions[id]
		r.mu.Unlock()
		// A child's records follow its parent's, so it waits for it.
		if done || parentOpen {
			continue
		}
		iter := iters[id]
		if iter == nil {
			in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(streamArn), ShardId: aws.String(id), ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon}
			if position != "" {
				in.ShardIteratorType, in.SequenceNumber = stypes.ShardIteratorTypeAfterSequenceNumber, aws.String(position)
			}
			out, err := c.Streams.GetShardIterator(ctx, in)
			if err != nil {
				return total, fmt.Errorf("shard iterator of %s: %w", id, err)
			}
			iter = out.ShardIterator
		}
		out, err := c.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
		if err != nil {
			delete(iters, id)
			return total, fmt.Errorf("records of %s: %w", id, err)
		}
		if err := r.process(region, id, out.Records, out.NextShardIterator == nil, time.Now()); err != nil {
			return total, err
		}
		total += len(out.Records)
		iters[id] = out.NextShardIterator
		if out.NextShardIterator == nil {
			delete(iters, id)
		}
	}
	return total, nil
}

// keyOf names an item by its key attributes; encoding/json sorts the names.
func keyOf(keys item) string {
	b, err := json.Marshal(keys)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// process takes the records of one shard of region's stream, returned by
// a GetRecords answer that arrived at at: a change the replicator wrote is
// its own echo and goes no further; a change that leaves the item as the
// replicator knows it changes nothing; anything else is a new change,
// versioned and queued for every other region.
func (r *Replicator) process(region, shard string, records []stypes.Record, closed bool, at time.Time) error {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.replicas[region]
	for _, rec := range records {
		if rec.Dynamodb == nil {
			continue
		}
		keys, err := streamItem(rec.Dynamodb.Keys)
		if err != nil {
			return err
		}
		image, err := streamItem(rec.Dynamodb.NewImage)
		if err != nil {
			return err
		}
		if rec.EventName == stypes.OperationTypeRemove {
			image = nil
		}
		key, h := keyOf(keys), image.hash()
		rs.Positions[shard] = aws.ToString(rec.Dynamodb.SequenceNumber)
		r.dirty = true
		if r.echoLocked(region, key, h, now) {
			continue
		}
		k, ok := rs.Items[key]
		if ok && k.H == h {
			continue
		}
		// No earlier than the commit, and above what the item held here, so
		// a write over a replicated value wins over it.
		t := at.UnixNano()
		if ok && t <= k.V.T {
			t = k.V.T + 1
		}
		c := change{Key: key, Keys: keys, Image: image, V: version{T: t, R: region}, Seen: now}
		rs.Items[key] = known{V: c.V, H: h}
		for _, to := range r.opts.Regions {
			if to != region {
				name := linkName(region, to)
				r.enqueueLocked(to, r.queues[name], c, false, now)
				r.stats[name].backlog(true, now)
			}
		}
	}
	if closed {
		rs.Closed[shard] = true
		r.dirty = true
	}
	return nil
}

// echoLocked reports whether a record of region's stream leaving key with
// content h is the replicator's own write: an echo entry, or a change
// queued into region (applied, or being applied, with its answer not yet
// counted). It consumes what it matched and notes what region now holds.
func (r *Replicator) echoLocked(region, key, h string, now time.Time) bool {
	rs := r.replicas[region]
	note := func(v version) {
		if k, ok := rs.Items[key]; !ok || v.newer(k.V) {
			rs.Items[key] = known{V: v, H: h}
		}
	}
	if es := rs.Echoes[key]; len(es) > 0 {
		for i, e := range es {
			if e.H == h {
				if len(es) == 1 {
					delete(rs.Echoes, key)
				} else {
					rs.Echoes[key] = append(es[:i:i], es[i+1:]...)
				}
				note(e.V)
				return true
			}
		}
	}
	for _, from := range r.opts.Regions {
		if from == region {
			continue
		}
		name := linkName(from, region)
		q := r.queues[name]
		for _, e := range q.forKey(key) {
			if e.h == h {
				note(e.V)
				q.remove(e)
				q.done(e.change, now)
				r.stats[name].done(e.n, now, e.Seen)
				r.stats[name].backlog(q.live > 0, now)
				return true
			}
		}
	}
	return false
}
