package replicator

import (
	"encoding/base64"
	"time"
)

// Pending is a change a link has not delivered yet.
type Pending struct {
	// Keys are the item's key attributes as text: a string as it is, a
	// number in decimal, a binary in base64.
	Keys map[string]string
	// Deleted is set when the change deletes the item.
	Deleted bool
	// Values are the item's top-level string and number attributes as the
	// change leaves them (nil when it deletes the item): enough to tell
	// which of several writes of the item is the one waiting.
	Values map[string]string
	// Seen is when the source's reader saw the change (for changes of one
	// item coalesced while they waited, the first of them).
	Seen time.Time
}

// Pending lists the items whose changes, committed in from, the link
// from->to has not delivered yet, oldest first, each item once. It is what
// to would miss if from were lost now: a test compares it with the
// acknowledged writes a new write region lacks. It returns nil for a pair
// of regions that is no link.
func (r *Replicator) Pending(from, to string) []Pending {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queues[linkName(from, to)]
	if q == nil {
		return nil
	}
	var out []Pending
	seen := map[string]bool{}
	for _, e := range q.list {
		if e.gone || seen[e.Key] {
			continue
		}
		seen[e.Key] = true
		p := Pending{Keys: e.Keys.text(), Deleted: e.Image == nil, Seen: e.Seen}
		if e.Image != nil {
			p.Values = e.Image.scalars()
		}
		out = append(out, p)
	}
	return out
}

// text renders the key attributes of an item as text.
func (it item) text() map[string]string {
	out := make(map[string]string, len(it))
	for name, v := range it {
		switch {
		case v.S != nil:
			out[name] = *v.S
		case v.N != nil:
			out[name] = *v.N
		default:
			out[name] = base64.StdEncoding.EncodeToString(v.B)
		}
	}
	return out
}

// scalars returns the string and number attributes of an item as text.
func (it item) scalars() map[string]string {
	out := map[string]string{}
	for name, v := range it {
		switch {
		case v.S != nil:
			out[name] = *v.S
		case v.N != nil:
			out[name] = *v.N
		}
	}
	return out
}
