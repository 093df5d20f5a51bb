package api

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Pinger is what health needs of the write region's replica: one cheap read
// that proves it answers. *dynamo.Store is one.
type Pinger interface {
	Ping(ctx context.Context) error
}

// States of the write path in GET /v1/health.
const (
	WritePathOK          = "ok"
	WritePathUnavailable = "unavailable"
	// WritePathUnknown is answered while the first probe is still running.
	WritePathUnknown = "unknown"
)

// Bounds of the write-path probe. The probe runs beside the local read, so
// health answers within the local read plus at most writeProbeTimeout
// however the write region fails; a cached result spares the write region a
// probe per Route 53 checker (about one every few seconds per region).
const (
	writeProbeTimeout = 300 * time.Millisecond
	writeProbeTTL     = 5 * time.Second
)

// writePath reports whether the write region's replica answers, from a
// bounded probe whose result is kept for writeProbeTTL. Concurrent health
// requests share one probe: while it runs, the others answer with the
// previous result, so a hanging write region never queues health requests.
type writePath struct {
	probe Pinger
	now   func() time.Time

	mu      sync.Mutex
	checked time.Time // zero until the first probe ends
	state   string
	running bool
}

func newWritePath(probe Pinger, now func() time.Time) *writePath {
	return &writePath{probe: probe, now: now, state: WritePathUnknown}
}

// State returns the write path's state, probing when the cached one is stale.
func (w *writePath) State(ctx context.Context, logger *slog.Logger) string {
	w.mu.Lock()
	if w.running || (!w.checked.IsZero() && w.now().Sub(w.checked) < writeProbeTTL) {
		state := w.state
		w.mu.Unlock()
		return state
	}
	w.running = true
	w.mu.Unlock()

	// The probe must not outlive its bound even when the caller's context
	// would allow more, nor be cut short by a client that hangs up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeProbeTimeout)
	err := w.probe.Ping(ctx)
	cancel()
	state := WritePathOK
	if err != nil {
		state = WritePathUnavailable
		logger.Warn("health: write region unavailable", "error", err)
	}
	w.mu.Lock()
	w.running, w.checked, w.state = false, w.now(), state
	w.mu.Unlock()
	return state
}
