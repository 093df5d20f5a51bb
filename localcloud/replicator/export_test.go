package replicator

import "time"

// Crash stops the replicator as SIGKILL would: its goroutines end (writes
// already sent still land) and nothing more is saved, so the state file is
// whatever the last periodic save left.
func (r *Replicator) Crash() {
	r.cancel()
	r.wg.Wait()
}

// Polled returns when the last read of region's stream that found nothing
// new started.
func (r *Replicator) Polled(region string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.polled[region]
}
