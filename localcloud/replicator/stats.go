package replicator

import "time"

// rateWindow is the span over which LinkStats.Rate counts.
const rateWindow = 5 * time.Second

// LinkStats is the state of one replication link.
type LinkStats struct {
	From, To string
	// Backlog is the number of changes seen but not yet applied; a change
	// superseded while it waits counts once with the one replacing it.
	Backlog int
	// Lag is how long the oldest change of the backlog has waited since it
	// was seen; zero when the backlog is empty.
	Lag time.Duration
	// LastLag is how long the last applied change took from being seen to
	// being applied (Delay included).
	LastLag time.Duration
	// Applied counts the changes done since the replicator started: written
	// into the target, superseded there by a newer change, or found there
	// already.
	Applied int64
	// Writes counts the item writes the link made; fewer than Applied when
	// changes of one item were coalesced.
	Writes int64
	// Rate is the changes applied per second over the last five seconds.
	Rate float64
	// BusyRate is the changes applied per second of the time the link had
	// a backlog (since the replicator started): what it sustains when it
	// has work, whatever the idle time around it.
	BusyRate float64
}

// linkStats are a link's counters.
type linkStats struct {
	applied, writes int64
	lastLag         time.Duration
	// recent are the applied counts of the last seconds, by Unix second.
	recent map[int64]int64
	// busy is the time the link had a backlog, up to busySince when it has
	// one now.
	busy      time.Duration
	busySince time.Time
}

// done counts n changes applied at now, the last one seen at seen.
func (s *linkStats) done(n int, now, seen time.Time) {
	if n == 0 {
		return
	}
	if s.recent == nil {
		s.recent = map[int64]int64{}
	}
	s.applied += int64(n)
	s.recent[now.Unix()] += int64(n)
	s.lastLag = now.Sub(seen)
	for sec := range s.recent {
		if sec < now.Add(-2*rateWindow).Unix() {
			delete(s.recent, sec)
		}
	}
}

// backlog notes whether the link has a backlog at now.
func (s *linkStats) backlog(has bool, now time.Time) {
	switch {
	case has && s.busySince.IsZero():
		s.busySince = now
	case !has && !s.busySince.IsZero():
		s.busy += now.Sub(s.busySince)
		s.busySince = time.Time{}
	}
}

func (s *linkStats) rate(now time.Time) float64 {
	var n int64
	for sec, c := range s.recent {
		if sec > now.Add(-rateWindow).Unix() && sec <= now.Unix() {
			n += c
		}
	}
	return float64(n) / rateWindow.Seconds()
}

func (s *linkStats) busyRate(now time.Time) float64 {
	busy := s.busy
	if !s.busySince.IsZero() {
		busy += now.Sub(s.busySince)
	}
	if busy <= 0 {
		return 0
	}
	return float64(s.applied) / busy.Seconds()
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
			q, st := r.queues[name], r.stats[name]
			s := LinkStats{
				From: from, To: to, Backlog: q.backlog, LastLag: st.lastLag, Applied: st.applied, Writes: st.writes,
				Rate: st.rate(now), BusyRate: st.busyRate(now),
			}
			if oldest, ok := q.oldest(); ok {
				s.Lag = now.Sub(oldest)
			}
			out = append(out, s)
		}
	}
	return out
}
