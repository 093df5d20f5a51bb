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

// read follows region's stream until the replicator stops.
func (r *Replicator) read(region string) {
	defer r.wg.Done()
	var (
		sh      = &shards{iters: map[string]*string{}}
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
		if n == 0 {
			// Every record committed before start has now been seen.
			r.mu.Lock()
			r.polled[region] = start
			r.mu.Unlock()
		}
		wait = r.opts.PollInterval
		if n > 0 {
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
	closed := r.st.Replicas[region].Closed
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
		position := r.st.Replicas[region].Positions[id]
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
		if err := r.process(region, id, out.Records, out.NextShardIterator == nil); err != nil {
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

// process takes the records of one shard of region's stream: a change the
// replicator wrote is its own echo and goes no further; a change that
// leaves the item as the replicator knows it changes nothing; anything else
// is a new change, versioned now and queued for every other region.
func (r *Replicator) process(region, shard string, records []stypes.Record, closed bool) error {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.st.Replicas[region]
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
		if echoes := r.pending[region][key]; len(echoes) > 0 {
			if i := indexOf(echoes, h); i >= 0 {
				r.pending[region][key] = append(echoes[:i:i], echoes[i+1:]...)
				continue
			}
		}
		if k, ok := rs.Items[key]; ok && k.H == h {
			continue
		}
		c := change{Key: key, Keys: keys, Image: image, Seen: now}
		c.V = version{T: r.tickLocked(now), R: region}
		rs.Items[key] = known{V: c.V, H: h}
		for _, to := range r.opts.Regions {
			if to != region {
				name := linkName(region, to)
				r.st.Queues[name] = append(r.st.Queues[name], c)
			}
		}
	}
	if closed {
		rs.Closed[shard] = true
		r.dirty = true
	}
	return nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
