package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hush-scores/hush/writeregion"
)

// BeliefSource says what a function believes of the write region, from its
// own region's replica; *writeregion.Fence is one, and so is the read
// function's cache (package wiring). Each call may read the replica, so a
// source caches (writeregion.DefaultBeliefTTL).
type BeliefSource interface {
	Belief(ctx context.Context) (writeregion.Belief, error)
}

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
//
// writeProbeTimeout must hold a probe on a cold connection from prod's
// farthest region: us-east-1 to eu-central-1 is about 90 ms, and the first
// call of a new Lambda environment opens a connection, so it pays TCP's and
// TLS 1.3's handshakes before its request, three round trips, 270 ms,
// before DynamoDB and a 256 MB function's share of a CPU do any work. The
// former 300 ms left nothing for them, so the first health check in
// us-east-1 after every cold start reported the write path unavailable
// (for the 5 s the result is kept). 600 ms holds that, or TLS 1.2's extra
// round trip (360 ms), with room to spare, and keeps health within the
// 1 s its callers are promised and well inside the 2 s Route 53 waits for
// an answer.
const (
	writeProbeTimeout = 600 * time.Millisecond
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
	if w.probe == nil {
		return w.state // unprobed: a fixed answer
	}
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
