package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hush-scores/hush/writeregion"
)

// world is a global table of views in memory for the command's tests:
// writeregion.MemControl replicas, which replicate whenever the operator
// waits, on a clock that moves only then.
type world struct {
	mu       sync.Mutex
	now      time.Time
	replicas map[string]*writeregion.MemControl
	all      []*writeregion.MemControl
}

// newWorld returns a world of regions seeded with writes going to
// writeRegion at epoch 1.
func newWorld(t *testing.T, regions []string, writeRegion string) *world {
	t.Helper()
	w := &world{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), replicas: map[string]*writeregion.MemControl{}}
	for _, r := range regions {
		m := writeregion.NewMemControl(r)
		if _, err := m.Seed(t.Context(), writeregion.View{WriteRegion: writeRegion, Epoch: 1, State: writeregion.Open, Changed: w.now, By: "seed"}); err != nil {
			t.Fatal(err)
		}
		w.replicas[r] = m
		w.all = append(w.all, m)
	}
	writeregion.Replicate(w.all...)
	return w
}

func (w *world) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

// Sleep moves the clock and lets replication catch up.
func (w *world) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
	writeregion.Replicate(w.all...)
	return nil
}

var errDown = errors.New("connection refused")

// setDown takes region's replica down (every call refused) or brings it
// up with whatever it held.
func (w *world) setDown(region string, down bool) {
	if down {
		w.replicas[region].Cut(errDown)
		return
	}
	w.replicas[region].Cut(nil)
}

// own returns the view region's replica holds of itself.
func (w *world) own(region string) (writeregion.View, bool) { return w.replicas[region].Own() }

func (w *world) controls() map[string]writeregion.Control {
	out := map[string]writeregion.Control{}
	for r, m := range w.replicas {
		out[r] = m
	}
	return out
}
