// Package replicator turns the replicas of the local stack (one database
// per region in one DynamoDB Local) into a global table: it copies every
// committed change of one replica to every other one after a delay, the
// way DynamoDB global tables (multi-Region eventual consistency) do.
//
// How it works:
//
//   - A reader per region follows that replica's stream (NEW_AND_OLD_IMAGES)
//     through the region's own link. Each change it has not caused itself
//     gets a version when the reader first sees it: the replicator's clock
//     in nanoseconds (never going backwards) and the region it came from.
//     Stream records carry only whole seconds (ApproximateCreationDateTime),
//     too coarse to order writes, hence the clock of its own.
//   - Every change is queued on a link per other region and applied there
//     once Delay has passed since it was seen, through the link from the
//     source to the target region, so a cut-off or a replica that is down
//     stops it, and the change waits in the queue until the link is back.
//   - Last writer wins: a change is applied only when its version is newer
//     than the version of what the target holds, and the write is
//     conditional on the target still holding exactly that, so a local
//     write that slips in between makes the change wait and compare again.
//     Every replica therefore ends with the change of the highest version.
//   - A change the replicator wrote is recognised when it comes back on the
//     target's stream and is not sent on: nothing is echoed.
//
// State (stream positions, queued changes, the version of every item in
// every replica) lives in memory and is saved as one JSON file in Dir at
// most every SaveInterval, atomically (write and rename); the stream
// positions and the queues are saved together, so a change read from a
// stream is either in a saved queue or will be read again. On start the
// replicator loads the file and resumes each stream after its saved
// position (TRIM_HORIZON for a stream it has never read), so a restart of
// the replicator, or of DynamoDB Local whose data and streams are kept in
// its data directory, loses nothing. Changes applied in the last
// SaveInterval before a crash of the replicator itself may be applied once
// more after it; they carry the same content.
package replicator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// Defaults of Options.
const (
	DefaultDelay        = 500 * time.Millisecond
	DefaultPollInterval = 100 * time.Millisecond
	DefaultSaveInterval = 200 * time.Millisecond
	stateFile           = "replicator.json"
)

// Clients are the clients a link uses: the table and the stream of the
// replica of region To, as reached from region From.
type Clients struct {
	DB      *dynamodb.Client
	Streams *dynamodbstreams.Client
}

// Options configure Start.
type Options struct {
	// Regions are the regions, each with a replica.
	Regions []string
	// Table is the table's name, the same in every replica.
	Table string
	// Delay is how long after a change is seen it is applied elsewhere;
	// 0 means DefaultDelay, a negative value none.
	Delay time.Duration
	// Dir keeps the state file; required.
	Dir string
	// Clients returns the clients of the replica of to as reached from
	// from. They should bound each call (a few seconds): a call into a
	// partition hangs until the client gives up.
	Clients func(from, to string) (Clients, error)
	// Logger receives errors; nil discards them.
	Logger *slog.Logger
	// PollInterval is how often an idle stream is read; 0 means the default.
	PollInterval time.Duration
	// SaveInterval is how often changed state is saved; 0 means the default.
	SaveInterval time.Duration
}

// version orders changes: last writer wins. T is the replicator's clock in
// nanoseconds when the change was first seen, R the region it was made in,
// which breaks ties the same way everywhere.
type version struct {
	T int64  `json:"t"`
	R string `json:"r"`
}

func (v version) newer(w version) bool {
	if v.T != w.T {
		return v.T > w.T
	}
	return v.R > w.R
}

// change is one committed change of one item.
type change struct {
	Key   string  `json:"key"`
	Keys  item    `json:"keys"`
	Image item    `json:"image"` // nil: the item was deleted
	V     version `json:"v"`
	// Seen is when the source's reader saw it, for the delay and the lag.
	Seen time.Time `json:"seen"`
}

// known is what the replicator knows of an item in one replica: the
// version and the content (hash) it holds.
type known struct {
	V version `json:"v"`
	H string  `json:"h"`
}

type replicaState struct {
	Items map[string]known `json:"items"`
	// Positions are the last sequence number processed per shard.
	Positions map[string]string `json:"positions"`
	// Closed shards have been read to their end.
	Closed map[string]bool `json:"closed"`
}

type state struct {
	Clock    int64                    `json:"clock"`
	Replicas map[string]*replicaState `json:"replicas"`
	Queues   map[string][]change      `json:"queues"` // by link "from>to"
}

// Replicator runs the readers and the links.
type Replicator struct {
	opts   Options
	logger *slog.Logger
	path   string

	mu    sync.Mutex
	st    state
	dirty bool
	// pending are changes written to a replica whose echo has not come back
	// on its stream yet, by region, key, then content hash.
	pending map[string]map[string][]string
	// lastLag is, per link, how long the last applied change took from
	// being seen to being applied.
	lastLag map[string]time.Duration
	applied map[string]int64
	// polled is, per region, when the last complete read of its stream
	// started: every change committed before it has been seen.
	polled map[string]time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start loads the saved state and starts a reader per region and an
// applier per link.
func Start(opts Options) (*Replicator, error) {
	if len(opts.Regions) == 0 || opts.Table == "" || opts.Dir == "" || opts.Clients == nil {
		return nil, errors.New("replicator: Regions, Table, Dir and Clients are required")
	}
	if opts.Delay == 0 {
		opts.Delay = DefaultDelay
	}
	if opts.Delay < 0 {
		opts.Delay = 0
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.SaveInterval <= 0 {
		opts.SaveInterval = DefaultSaveInterval
	}
	r := &Replicator{
		opts: opts, logger: opts.Logger, path: filepath.Join(opts.Dir, stateFile),
		pending: map[string]map[string][]string{}, lastLag: map[string]time.Duration{}, applied: map[string]int64{}, polled: map[string]time.Time{},
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if err := r.load(); err != nil {
		return nil, err
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	for _, region := range opts.Regions {
		r.pending[region] = map[string][]string{}
		r.wg.Add(1)
		go r.read(region)
		for _, to := range opts.Regions {
			if to != region {
				r.wg.Add(1)
				go r.link(region, to)
			}
		}
	}
	r.wg.Add(1)
	go r.saveLoop()
	return r, nil
}

func linkName(from, to string) string { return from + ">" + to }

func (r *Replicator) load() error {
	r.st = state{Replicas: map[string]*replicaState{}, Queues: map[string][]change{}}
	b, err := os.ReadFile(r.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("replicator: read state: %w", err)
	default:
		if err := json.Unmarshal(b, &r.st); err != nil {
			return fmt.Errorf("replicator: state file %s is damaged (delete it to replicate from the start of each stream): %w", r.path, err)
		}
	}
	if r.st.Replicas == nil {
		r.st.Replicas = map[string]*replicaState{}
	}
	if r.st.Queues == nil {
		r.st.Queues = map[string][]change{}
	}
	for _, region := range r.opts.Regions {
		rs := r.st.Replicas[region]
		if rs == nil {
			rs = &replicaState{}
			r.st.Replicas[region] = rs
		}
		if rs.Items == nil {
			rs.Items = map[string]known{}
		}
		if rs.Positions == nil {
			rs.Positions = map[string]string{}
		}
		if rs.Closed == nil {
			rs.Closed = map[string]bool{}
		}
	}
	return nil
}

// save writes the state if it changed; r.mu must not be held.
func (r *Replicator) save() error {
	r.mu.Lock()
	if !r.dirty {
		r.mu.Unlock()
		return nil
	}
	b, err := json.Marshal(&r.st)
	r.dirty = false
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("replicator: encode state: %w", err)
	}
	tmp := r.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("replicator: save state: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("replicator: save state: %w", err)
	}
	return nil
}

func (r *Replicator) saveLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.opts.SaveInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			if err := r.save(); err != nil {
				r.logger.Error("replicator: save", "error", err)
			}
		}
	}
}

// tick returns the next version time: now, but never at or before the last.
func (r *Replicator) tickLocked(now time.Time) int64 {
	t := now.UnixNano()
	if t <= r.st.Clock {
		t = r.st.Clock + 1
	}
	r.st.Clock = t
	return t
}

// sleep waits d or until the replicator stops; it reports whether to go on.
func (r *Replicator) sleep(d time.Duration) bool {
	select {
	case <-r.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// LinkStats is the state of one replication link.
type LinkStats struct {
	From, To string
	// Backlog is the number of changes seen but not yet applied.
	Backlog int
	// Lag is how long the oldest change of the backlog has waited since it
	// was seen; zero when the backlog is empty.
	Lag time.Duration
	// LastLag is how long the last applied change took from being seen to
	// being applied (Delay included).
	LastLag time.Duration
	// Applied counts the changes applied since the replicator started.
	Applied int64
}

// Links returns the stats of every link, ordered by source then target
// in the order of Options.Regions.
func (r *Replicator) Links() []LinkStats {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []LinkStats
	for _, from := range r.opts.Regions {
		for _, to := range r.opts.Regions {
			if from == to {
				continue
			}
			name := linkName(from, to)
			q := r.st.Queues[name]
			s := LinkStats{From: from, To: to, Backlog: len(q), LastLag: r.lastLag[name], Applied: r.applied[name]}
			if len(q) > 0 {
				s.Lag = now.Sub(q[0].Seen)
			}
			out = append(out, s)
		}
	}
	return out
}

// Delay returns how long a change waits before it is applied elsewhere.
func (r *Replicator) Delay() time.Duration { return r.opts.Delay }

// Close stops the readers and links and saves the state.
func (r *Replicator) Close() error {
	r.cancel()
	r.wg.Wait()
	r.mu.Lock()
	r.dirty = true
	r.mu.Unlock()
	return r.save()
}

// tableName is the table as an SDK string.
func (r *Replicator) tableName() *string { return aws.String(r.opts.Table) }
