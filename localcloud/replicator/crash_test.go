package replicator_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// TestCrashRevertsNothing writes a few keys over and over in one region
// while the replicator copies them, crashes the replicator (no final save)
// mid-way several times and starts it again on its state file: every
// replica ends with the last value written, the writing region's own
// included.
func TestCrashRevertsNothing(t *testing.T) {
	crashRevertsNothing(t, newWorld(t, false))
}

// TestCrashRevertsNothingSlowSaves is TestCrashRevertsNothing with saves
// spaced far wider than the delay, as on a loaded machine where a save
// takes long: changes are due, and applied, long before the next save,
// and every crash loses what was applied since the last one.
func TestCrashRevertsNothingSlowSaves(t *testing.T) {
	w := newWorld(t, false)
	w.saveInterval = 5 * delay
	w.rep.Crash()
	w.startReplicator()
	crashRevertsNothing(t, w)
}

func crashRevertsNothing(t *testing.T, w *world) {
	t.Helper()
	const keys, rounds, crashes = 4, 60, 3
	last := map[string]string{}
	for c := range crashes {
		for i := range rounds {
			for k := range keys {
				id := fmt.Sprintf("hot%d", k)
				v := strconv.Itoa(c*rounds + i)
				w.put("eu-central-1", id, v)
				last[id] = v
			}
			if i == rounds/2 {
				w.rep.Crash()
				w.startReplicator()
			}
		}
		time.Sleep(delay + 100*time.Millisecond)
		w.rep.Crash()
		w.startReplicator()
	}
	for id, v := range last {
		if got := w.converge(id, func(string) bool { return true }); got != v {
			t.Errorf("%s converged on %q, want the last value written, %q", id, got, v)
		}
	}
	// Every change came from eu-central-1: nothing may come back to it.
	for _, l := range w.rep.Links() {
		if l.To == "eu-central-1" && l.Applied != 0 {
			t.Errorf("link %s->%s applied %d changes into the only region written: echoes", l.From, l.To, l.Applied)
		}
	}
}

// TestCoalescesSupersededChanges changes one item 50 times while the
// replicator is stopped: started again, it finds the 50 changes in the
// stream and writes the item once into each other replica, with the last
// content.
func TestCoalescesSupersededChanges(t *testing.T) {
	w := newWorld(t, false)
	if err := w.rep.Close(); err != nil {
		t.Fatal(err)
	}
	w.rep = nil
	const changes = 50
	for i := range changes {
		w.put("us-east-1", "hot", strconv.Itoa(i))
	}
	w.startReplicator()
	w.converge("hot", is(strconv.Itoa(changes-1)))
	w.drained()
	for _, l := range w.rep.Links() {
		if l.From != "us-east-1" {
			continue
		}
		if l.Applied != changes || l.Writes != 1 {
			t.Errorf("link %s->%s applied %d changes in %d writes, want %d in 1", l.From, l.To, l.Applied, l.Writes, changes)
		}
	}
}

// drained waits until no link has a backlog: a change is counted once its
// write has answered, which may be after it can be read.
func (w *world) drained() {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		busy := false
		for _, l := range w.rep.Links() {
			busy = busy || l.Backlog > 0
		}
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("links still have a backlog after 30 s: %+v", w.rep.Links())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
