package replicator

import "time"

// entry is a change waiting in a link's queue.
type entry struct {
	change
	// h is the hash of the change's image, which its echo carries; size
	// the size of its encoding.
	h    string
	size int
	// maybe is set when the change may have been written already: it was
	// loaded from a saved state, or a write of it failed without an answer
	// saying it did not commit. Such a change is never dropped unrecorded.
	maybe bool
	// busy is set while a round applies it.
	busy bool
	// gone is set once it left the queue.
	gone bool
	// n is how many changes it stands for: itself and those it replaced.
	n int
	// gen is the first save whose state holds its content (see
	// Replicator.snapGen); it is not written before that save is done.
	gen uint64
}

// queue is a link's changes, in the order they were first seen, with at
// most one change per item that no round is applying (waiting) besides
// the one a round applies.
type queue struct {
	list    []*entry
	waiting map[string]*entry
	// applying are the entries a round applies now, by item.
	applying map[string]*entry
	// live counts the entries still queued, backlog the changes they
	// stand for.
	live, backlog int
	// recent are the changes done within the last durabilityGrace, saved
	// with the queue (see durabilityGrace).
	recent []doneChange
}

// doneChange is a change done at a time.
type doneChange struct {
	c  change
	at time.Time
}

// durabilityGrace is how long a change stays in the saved queue after it
// was done. DynamoDB Local acknowledges a TransactWriteItems a moment
// before it is durable: killed in between, it rolls the transaction back
// when it starts again, the replicator's own writes included. A change done
// within the grace before a crash is therefore checked again after it
// (found done, or written again); the window measured is milliseconds.
const durabilityGrace = 2 * time.Second

// done keeps c among the recent changes, dropping those past the grace.
func (q *queue) done(c change, now time.Time) {
	q.trim(now)
	q.recent = append(q.recent, doneChange{c: c, at: now})
}

func (q *queue) trim(now time.Time) {
	i := 0
	for i < len(q.recent) && now.Sub(q.recent[i].at) > durabilityGrace {
		i++
	}
	q.recent = q.recent[i:]
}

func newQueue() *queue {
	return &queue{waiting: map[string]*entry{}, applying: map[string]*entry{}}
}

// forKey returns the queued entries of an item: the one being applied,
// then the one waiting.
func (q *queue) forKey(key string) []*entry {
	var out []*entry
	if e := q.applying[key]; e != nil && !e.gone {
		out = append(out, e)
	}
	if e := q.waiting[key]; e != nil {
		out = append(out, e)
	}
	return out
}

// changes returns the changes to save: the recent ones done, then the
// queued ones.
func (q *queue) changes(now time.Time) []change {
	q.trim(now)
	out := make([]change, 0, len(q.recent)+q.live)
	for _, d := range q.recent {
		out = append(out, d.c)
	}
	for _, e := range q.list {
		if !e.gone {
			out = append(out, e.change)
		}
	}
	return out
}

// oldest returns when the oldest queued change was seen.
func (q *queue) oldest() (time.Time, bool) {
	for _, e := range q.list {
		if !e.gone {
			return e.Seen, true
		}
	}
	return time.Time{}, false
}

// remove takes e out of the queue.
func (q *queue) remove(e *entry) {
	if e.gone {
		return
	}
	e.gone = true
	q.live--
	q.backlog -= e.n
	if q.waiting[e.Key] == e {
		delete(q.waiting, e.Key)
	}
}

// compact drops the entries that left the queue from its list, once they
// are many.
func (q *queue) compact() {
	if len(q.list) < 64 || q.live > len(q.list)/2 {
		return
	}
	kept := make([]*entry, 0, q.live)
	for _, e := range q.list {
		if !e.gone {
			kept = append(kept, e)
		}
	}
	q.list = kept
}

// enqueueLocked queues c on q, the link into region to. A change of the
// same item still waiting is replaced (coalesced): it keeps its place and
// its time seen, with c's content and version; if it may have been written
// already, it becomes an echo entry of to first, since its record may
// still come. maybe marks c as possibly written (loaded from a saved
// state, so already saved); any other change waits for the next save
// before it may be written (see savedLocked). r.mu must be held.
func (r *Replicator) enqueueLocked(to string, q *queue, c change, maybe bool, now time.Time) bool {
	h, size := c.Image.digest()
	gen := r.snapGen + 1
	if maybe {
		gen = 0
	}
	if w := q.waiting[c.Key]; w != nil {
		if !c.V.newer(w.V) {
			return false
		}
		if w.maybe {
			r.addEchoLocked(to, w, now)
		}
		w.Keys, w.Image, w.V, w.h, w.size, w.maybe, w.gen = c.Keys, c.Image, c.V, h, size, maybe, gen
		w.n++
		q.backlog++
		r.dirty = true
		return true
	}
	e := &entry{change: c, h: h, size: size, maybe: maybe, n: 1, gen: gen}
	q.list = append(q.list, e)
	q.waiting[c.Key] = e
	q.live++
	q.backlog++
	r.dirty = true
	return false
}

// addEchoLocked records that e's write into region to may come back on
// its stream.
func (r *Replicator) addEchoLocked(to string, e *entry, now time.Time) {
	rs := r.replicas[to]
	rs.Echoes[e.Key] = append(rs.Echoes[e.Key], echo{H: e.h, V: e.V, At: now})
	r.dirty = true
}
