package localcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hush-scores/hush/internal/loopguard"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/localcloud/frontdoor"
	"github.com/hush-scores/hush/localcloud/statuspage"
)

// edge is what stands in for the custom domain and Route 53: the front
// door over the gateways, one port per vantage, and the status page with
// the drill controls beside it.
type edge struct {
	frontDoor *frontdoor.FrontDoor
	status    *http.Server
	// statusAddr is the status page's host:port.
	statusAddr string
}

// edgeOptions are what openEdge needs.
type edgeOptions struct {
	regions     []Region
	writeRegion func() string
	checks      FrontDoorOptions
	ports       ports
	logger      *slog.Logger
	// status feeds the status page; faults are what the drill controls
	// drive.
	status statuspage.Sources
	faults drill.Breaker
	// failed reports a server that stopped by itself.
	failed func(error)
}

// openEdge starts the front door and the status page. Ports are
// BasePort+OffsetFrontDoor on (see ports.go), or free ones when the base
// port is 0.
func openEdge(o edgeOptions) (_ *edge, err error) {
	var regions []frontdoor.Region
	for _, r := range o.regions {
		regions = append(regions, frontdoor.Region{Name: r.Name, URL: r.URL})
	}
	fd, err := frontdoor.Start(frontdoor.Options{
		Regions: regions, WriteRegion: o.writeRegion,
		Interval: o.checks.CheckInterval, Threshold: o.checks.CheckThreshold, Inverted: o.checks.Inverted,
		Logger: o.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	e := &edge{frontDoor: fd}
	o.status.FrontDoor = fd
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	vantages := append([]string{""}, fd.Regions()...)
	for i, v := range vantages {
		l, err := listen(o.ports.frontDoor(i), "the front door near "+cmp.Or(v, "the write region"))
		if err != nil {
			return nil, err
		}
		if err := fd.Serve(l, v); err != nil {
			l.Close()
			return nil, fmt.Errorf("localcloud: %w", err)
		}
	}
	l, err := listen(o.ports.statusPage(), "the status page")
	if err != nil {
		return nil, err
	}
	e.statusAddr = l.Addr().String()
	mux := http.NewServeMux()
	// The drill controls are for programs on this machine (hush-local
	// drill, the tests); the guard refuses browsers and other machines.
	mux.Handle("/drill/", loopguard.Handler(drill.Handler(o.faults)))
	mux.Handle("/", statuspage.Handler(o.status))
	e.status = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(o.logger.Handler(), slog.LevelError)}
	go func() {
		if err := e.status.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.failed(fmt.Errorf("localcloud: the status page stopped: %w", err))
		}
	}()
	return e, nil
}

// frontDoorURL returns the front door for clients near region ("" for
// the default vantage, near the write region).
func (e *edge) frontDoorURL(region string) string { return e.frontDoor.URL(region) }

// statusURL returns the status page's address.
func (e *edge) statusURL() string { return "http://" + e.statusAddr }

// close stops the front door first (its checks would report the gateways
// stopping), then the status page.
func (e *edge) close() error {
	e.frontDoor.Close()
	if e.status != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.status.Shutdown(ctx); err != nil {
			e.status.Close()
		}
	}
	return nil
}

// writeRegionState tells the status page the write region and whether the
// other regions can reach it.
type writeRegionState struct{ s *Stack }

func (w writeRegionState) WriteRegionState() statuspage.WriteState {
	st := statuspage.WriteState{Region: w.s.WriteRegion(), Reachable: true}
	_, stopped, _ := w.s.dynamo.state()
	for _, n := range w.s.NetworkStates() {
		switch {
		case n.Region != st.Region:
		case n.CutOff:
			st.Reachable, st.Why = false, "cut off from the other regions"
		case n.Down:
			st.Reachable, st.Why = false, "its replica is down"
		}
	}
	if stopped {
		st.Reachable, st.Why = false, "DynamoDB Local is stopped"
	}
	return st
}

// replicationStats tells the status page each replication link's backlog
// and lag, and which links a cut-off or a replica down stalls.
type replicationStats struct{ s *Stack }

func (r replicationStats) ReplicationLinks() []statuspage.Link {
	states := map[string]NetworkState{}
	for _, n := range r.s.NetworkStates() {
		states[n.Region] = n
	}
	var out []statuspage.Link
	for _, l := range r.s.ReplicationLinks() {
		// An empty backlog has no waiting change: the last one's delay
		// says how the link is doing.
		lag := l.Lag
		if l.Backlog == 0 {
			lag = l.LastLag
		}
		from, to := states[l.From], states[l.To]
		note := ""
		switch {
		case from.CutOff || to.CutOff:
			note = "cut off"
		case from.Down || to.Down:
			note = "replica down"
		}
		out = append(out, statuspage.Link{
			From: l.From, To: l.To, Backlog: l.Backlog,
			LagMS: float64(lag.Microseconds()) / 1000, Note: note,
			Applied: l.Applied, Rate: l.Rate, BusyRate: l.BusyRate,
		})
	}
	return out
}
