// Package replicator turns the replicas of the local stack (one database
// per region in one DynamoDB Local) into a global table: it copies every
// committed change of one replica to every other one after a delay, the
// way DynamoDB global tables (multi-Region eventual consistency) do, and
// never undoes a write a replica acknowledged, whenever the replicator or
// DynamoDB Local is killed.
//
// # How it works
//
//   - A reader per region follows that replica's stream (NEW_AND_OLD_IMAGES)
//     through the region's own link, in sequence order.
//   - Each change the reader finds that the replicator did not cause
//     itself gets a version: a time no earlier than its commit, and the
//     region it was committed in (see Versions).
//   - The change is queued on a link per other region and applied there
//     once Delay has passed since it was seen, through the link from the
//     source to the target region, so a cut-off or a replica that is down
//     stops it, and the change waits in the queue until the link is back.
//   - A change of an item that a newer change of the same item supersedes
//     while it waits is replaced by the newer one (coalesced), which keeps
//     the older one's place in the queue: a hot item (a standing line that
//     every match updates) is written once per round, with its latest
//     content, instead of once per change.
//   - A link applies up to Batch changes of distinct items per round: one
//     strongly consistent BatchGetItem reads what the target holds, and one
//     TransactWriteItems writes the changes that are newer than that, each
//     Put or Delete conditional on the target still holding exactly what
//     was read. A local write that slips in between fails its condition;
//     the change waits for the target's reader to see that write and
//     compares versions again. Last writer wins: every replica ends with
//     the change of the highest version.
//   - A change the replicator wrote is recognised when it comes back on
//     the target's stream (its echo) and is not sent on (see Echoes).
//
// # Versions
//
// A version is (T, R): T an instant in nanoseconds no earlier than the
// change's commit, R the region that committed it, which breaks ties the
// same way everywhere. Versions compare by T, then R, so they order commits
// across regions, not only within one; a returning region's writes can be
// placed against the writes made elsewhere while it was away by the same
// comparison. DynamoDB Local's stream records carry their creation time
// rounded to the minute, too coarse to order writes, so T is the time the
// GetRecords answer that returned the record arrived: an upper bound of the
// commit, at most one poll interval (PollInterval plus the call) above it
// while the replicator runs. It is never the time a change is first looked
// at later on: after a restart, Start reads every stream to its end before
// it returns, and the local stack starts its gateways only afterwards, so
// the backlog of a crash is versioned before any newer write can commit.
// Within a region, a change's T is also above the version the item held in
// that replica before it, so a write made over a replicated value always
// wins over it, and a region's changes of one item keep their commit order.
// The resolution across regions is one poll: two regions' writes of one
// item committed within a poll interval of each other, or both while the
// replicator was down, are ordered by when their readers saw them, then by
// region; that needs two regions writing one item at once, which one write
// region rules out.
//
// # Echoes
//
// A record on a target's stream is the replicator's own write, and goes no
// further, when its content matches either an echo entry (written by the
// replicator, its record not yet read) or a change still queued into that
// region (the write may have landed although its answer was lost: a
// timeout, a crash, DynamoDB Local killed). Both are part of the saved
// state; nothing about echoes is kept only in memory, and no item
// attribute marks them (an UpdateItem's ADD keeps whatever was stored).
// An identical local write in the target is taken for the echo, which is
// harmless: the target holds what the change would have written.
//
// # State and crash safety
//
// State (stream positions, queued changes, echo entries, the version and
// content hash of every item in every replica) lives in memory and is saved
// as one JSON file in Dir, atomically (write and rename), at most every
// SaveInterval (longer when a save takes long). A queued change is written
// only once a saved state holds it (its content, as queued): write ahead,
// then apply. From then on it moves from a queue to an echo entry, and an
// echo entry or queued change is consumed by its record, in one step under
// one lock, so every later saved state holds it too, or a stream position
// past its record; every saved state therefore holds each change the
// replicator may have written whose record lies past the saved stream
// position, as a queued change or an echo entry. A change done
// stays in the saved queue for two more seconds (durabilityGrace), and is
// checked again after a restart. On start the replicator loads the file
// and resumes each stream after its saved position (TRIM_HORIZON for a
// stream it has never read).
//
// Before it writes, a link compares what the target holds with what the
// target's reader last saw there. When they differ it waits for the reader,
// unless the reader has read everything committed before the comparison's
// read was answered (a read of the stream that started after the answer
// arrived found nothing more; the call's start is not enough, since a
// cross-region read is served a round trip or more after it, and a write
// committed meanwhile is in its answer): then the replica holds something
// no record explains (an item written before the replicator first ran, or
// a write DynamoDB Local rolled back) and it counts as older than any
// change.
//
// The failure windows that remain, and why none loses an acknowledged
// write (with one write region; moving it by force may drop what it had
// not replicated):
//
//   - Killed after reading records but before saving: the records are read
//     again after the restart and get a version then, before any newer
//     write (Start reads to the end first); the write region's changes of
//     one item keep their order and stay above what the other replicas
//     hold. None of the changes they made was written before the crash:
//     a change waits in its queue until a save holds it, however long
//     saves take. (Written earlier, the echo would come back with nothing
//     saved to recognise it by: after the restart the source's records
//     are coalesced anew into other content than was written, or the
//     target's stream is read before the source's; the echo would be
//     taken for a change of the target and sent back, reverting newer
//     writes of the write region.) A save that fails holds replication
//     up until one succeeds.
//   - Killed after a write into a target but before saving its outcome:
//     the saved queue still holds the change, so its record is recognised
//     as an echo, and applying it again finds it done.
//   - DynamoDB Local killed during a write: the transaction committed
//     entirely or not at all; either way the change is still queued, and a
//     committed one is recognised as above.
//   - DynamoDB Local killed within milliseconds of acknowledging one of the
//     replicator's transactions: it rolls the transaction back when it
//     starts again (measured: a kill right after the answer lost it, one
//     50 ms after did not). The change is still in the saved queue
//     (durabilityGrace), the target's reader finds nothing for it, and the
//     link writes it again.
//   - Killed while a superseded change waits: a change that may have been
//     written is turned into an echo entry when a newer one replaces it,
//     never dropped.
//   - Echo entries whose record never comes (a write whose answer was lost
//     and that did not commit) are dropped once the target's reader has
//     read past the time they were made, with a margin.
//
// What no replicator can undo: DynamoDB Local's roll-back also hits the
// application's own transactions in the write region, which the client
// was told had succeeded. That is the emulator's window, not replication's;
// the crash tests kill a quarter of a second after the last answer.
//
// Changes applied in the last SaveInterval before a crash are compared
// again after it and found done; nothing is written twice.
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
	// DefaultBatch is DynamoDB's limit of items in one TransactWriteItems
	// and one BatchGetItem.
	DefaultBatch = 100
	stateFile    = "replicator.json"
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
	// A change is applied only once a save holds it, so a SaveInterval
	// above Delay lengthens the delay.
	SaveInterval time.Duration
	// Batch is how many changes of distinct items a link applies in one
	// round (one read, one transaction); 0 means DefaultBatch.
	Batch int
}

// version orders changes: last writer wins. T is an instant in
// nanoseconds no earlier than the commit, R the region it was committed
// in, which breaks ties the same way everywhere.
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
	// Seen is when the source's reader saw it (for a coalesced change, the
	// first of those it replaced), for the delay and the lag.
	Seen time.Time `json:"seen"`
}

// known is what the replicator knows of an item in one replica: the
// version and the content (hash) it holds.
type known struct {
	V version `json:"v"`
	H string  `json:"h"`
}

// echo is a write of the replicator into a replica whose record has not
// been read yet, or may come (a write whose answer was lost).
type echo struct {
	H  string    `json:"h"`
	V  version   `json:"v"`
	At time.Time `json:"at"`
}

type replicaState struct {
	Items map[string]known `json:"items"`
	// Positions are the last sequence number processed per shard.
	Positions map[string]string `json:"positions"`
	// Closed shards have been read to their end.
	Closed map[string]bool `json:"closed"`
	// Echoes are, by item key, the replicator's writes whose records are
	// still to come, oldest first.
	Echoes map[string][]echo `json:"echoes,omitempty"`
}

// state is what is saved.
type state struct {
	Replicas map[string]*replicaState `json:"replicas"`
	Queues   map[string][]change      `json:"queues"` // by link "from>to"
}

// Replicator runs the readers and the links.
type Replicator struct {
	opts   Options
	logger *slog.Logger
	path   string

	mu       sync.Mutex
	replicas map[string]*replicaState
	queues   map[string]*queue
	dirty    bool
	stats    map[string]*linkStats
	// polled is, per region, when the last complete read of its stream
	// started: every change committed before it has been seen.
	polled map[string]time.Time
	// saveTook is how long the last save took, which spaces the next.
	saveTook time.Duration
	// snapGen counts the states taken to be saved; savedGen is the last of
	// them that is in the file. A queued change holding the content of
	// state n or later (entry.gen > savedGen) is not written yet.
	snapGen, savedGen uint64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// catchUpBound bounds the read of every stream that Start does before it
// returns.
const catchUpBound = 20 * time.Second

// Start loads the saved state, reads every stream to its end (so a backlog
// left by a crash is versioned before anything can write again), then
// starts a reader per region and an applier per link.
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
	if opts.Batch <= 0 || opts.Batch > DefaultBatch {
		opts.Batch = DefaultBatch
	}
	r := &Replicator{
		opts: opts, logger: opts.Logger, path: filepath.Join(opts.Dir, stateFile),
		queues: map[string]*queue{}, stats: map[string]*linkStats{}, polled: map[string]time.Time{},
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if err := r.load(); err != nil {
		return nil, err
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	readers := make(map[string]*shards, len(opts.Regions))
	deadline := time.Now().Add(catchUpBound)
	for _, region := range opts.Regions {
		readers[region] = r.catchUp(region, deadline)
	}
	for _, region := range opts.Regions {
		r.wg.Add(1)
		go r.read(region, readers[region])
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
	var st state
	b, err := os.ReadFile(r.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("replicator: read state: %w", err)
	default:
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("replicator: state file %s is damaged (delete it to replicate from the start of each stream): %w", r.path, err)
		}
	}
	r.replicas = map[string]*replicaState{}
	for _, region := range r.opts.Regions {
		rs := st.Replicas[region]
		if rs == nil {
			rs = &replicaState{}
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
		if rs.Echoes == nil {
			rs.Echoes = map[string][]echo{}
		}
		r.replicas[region] = rs
	}
	now := time.Now()
	for _, from := range r.opts.Regions {
		for _, to := range r.opts.Regions {
			if from == to {
				continue
			}
			name := linkName(from, to)
			q := newQueue()
			r.queues[name] = q
			r.stats[name] = &linkStats{}
			// A saved change may have been written before the crash: it
			// stays queued as such, and one superseded by a later saved
			// change of its item (a state file of an older version, which
			// did not coalesce) becomes an echo entry.
			for _, c := range st.Queues[name] {
				r.enqueueLocked(to, q, c, true, now)
			}
			r.stats[name].backlog(q.live > 0, now)
		}
	}
	return nil
}

// save writes the state if it changed; r.mu must not be held.
func (r *Replicator) save() error {
	began := time.Now()
	r.mu.Lock()
	if !r.dirty {
		r.mu.Unlock()
		return nil
	}
	st := state{Replicas: r.replicas, Queues: make(map[string][]change, len(r.queues))}
	for name, q := range r.queues {
		st.Queues[name] = q.changes(began)
	}
	b, err := json.Marshal(&st)
	r.dirty = false
	r.snapGen++
	gen := r.snapGen
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("replicator: encode state: %w", err)
	}
	tmp := r.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("replicator: save state: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("replicator: save state: %w", err)
	}
	r.mu.Lock()
	r.saveTook = time.Since(began)
	r.savedGen = max(r.savedGen, gen)
	r.mu.Unlock()
	return nil
}

// savedLocked reports whether the state file holds e's content as queued,
// so that e may be written; r.mu must be held.
func (r *Replicator) savedLocked(e *entry) bool { return e.gen <= r.savedGen }

// saveLoop saves every SaveInterval, or every four times what the last
// save took when that is longer: a big backlog makes a big file, and
// saving it must not take the machine from the replication itself.
func (r *Replicator) saveLoop() {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		wait := max(r.opts.SaveInterval, 4*r.saveTook)
		r.mu.Unlock()
		if !r.sleep(wait) {
			return
		}
		if err := r.save(); err != nil {
			r.logger.Error("replicator: save", "error", err)
		}
	}
}

// sleep waits d or until the replicator stops; it reports whether to go on.
func (r *Replicator) sleep(d time.Duration) bool {
	if d <= 0 {
		return r.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return false
	case <-t.C:
		return true
	}
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
