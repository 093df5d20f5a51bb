package replicator

// Crash stops the replicator as SIGKILL would: its goroutines end (writes
// already sent still land) and nothing more is saved, so the state file is
// whatever the last periodic save left.
func (r *Replicator) Crash() {
	r.cancel()
	r.wg.Wait()
}
