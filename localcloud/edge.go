package localcloud

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/hush-scores/hush/internal/loopguard"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/localcloud/frontdoor"
	"github.com/hush-scores/hush/localcloud/statuspage"
)

// FrontDoorOptions configure the front door's health checks.
type FrontDoorOptions struct {
	// CheckInterval is the time between two checks of a region; 0 means
	// Route 53's default, 30 s.
	CheckInterval time.Duration
	// CheckThreshold is the number of consecutive failed (or passed) checks
	// that take a region out (or bring it back); 0 means Route 53's
	// default, 3.
	CheckThreshold int
	// Inverted lists the regions whose checks start inverted, as
	// hush:failoverDrill does in the cloud, but without needing hush:domain.
	Inverted []string
}

// startEdge starts what stands in for the custom domain and Route 53: the
// front door over the gateways, one port per vantage, and the status page
// with the drill controls beside it. Ports are basePort+OffsetFrontDoor on
// (see ports.go), or free ones when basePort is 0.
func (s *Stack) startEdge(opts FrontDoorOptions, basePort int, logger *slog.Logger) error {
	var regions []frontdoor.Region
	for _, r := range s.info.Regions {
		regions = append(regions, frontdoor.Region{Name: r.Name, URL: r.URL})
	}
	fd, err := frontdoor.Start(frontdoor.Options{
		Regions: regions, WriteRegion: s.WriteRegion,
		Interval: opts.CheckInterval, Threshold: opts.CheckThreshold, Inverted: opts.Inverted,
		Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("localcloud: %w", err)
	}
	s.frontDoor = fd
	port := func(offset int) int {
		if basePort == 0 {
			return 0
		}
		return basePort + offset
	}
	vantages := append([]string{""}, fd.Regions()...)
	for i, v := range vantages {
		l, err := listenFor(port(OffsetFrontDoor+i), "the front door near "+cmp.Or(v, "the write region"))
		if err != nil {
			return err
		}
		if err := fd.Serve(l, v); err != nil {
			l.Close()
			return fmt.Errorf("localcloud: %w", err)
		}
	}
	s.info.FrontDoorURL = fd.URL("")
	for i := range s.info.Regions {
		s.info.Regions[i].FrontDoorURL = fd.URL(s.info.Regions[i].Name)
	}

	l, err := listenFor(port(OffsetStatusPage), "the status page")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	// The drill controls are for programs on this machine (hush-local
	// drill, the tests); the guard refuses browsers and other machines.
	mux.Handle("/drill/", loopguard.Handler(drill.Handler(drillControl{s})))
	mux.Handle("/", statuspage.Handler(statuspage.Sources{
		Stack: s.info.Stack, FrontDoor: fd, WriteRegion: writeRegionState{s}, Replication: replicationStats{s},
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError)}
	s.servers = append(s.servers, srv)
	go s.serve(srv, l, "status page")
	s.info.StatusURL = "http://" + l.Addr().String()
	return nil
}

func listenFor(port int, what string) (net.Listener, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("localcloud: port %d for %s is busy (is another local stack running? choose other ports with -base-port): %w", port, what, err)
	}
	return l, nil
}

// SetInvertedCheck inverts region's health check at the front door, or
// stops inverting it.
func (s *Stack) SetInvertedCheck(region string, inverted bool) error {
	if err := s.frontDoor.SetInverted(region, inverted); err != nil {
		return fmt.Errorf("localcloud: %w", err)
	}
	return nil
}

// writeRegionState tells the status page the write region and whether the
// other regions can reach it.
type writeRegionState struct{ s *Stack }

func (w writeRegionState) WriteRegionState() statuspage.WriteState {
	st := statuspage.WriteState{Region: w.s.WriteRegion(), Reachable: true}
	w.s.mu.Lock()
	stopped := w.s.dynamoStopped
	w.s.mu.Unlock()
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

// drillControl is the stack as the drill endpoints drive it.
type drillControl struct{ s *Stack }

func (d drillControl) Break(ctx context.Context, f drill.Fault, region string) error {
	return d.set(ctx, f, region, true)
}

func (d drillControl) Restore(ctx context.Context, f drill.Fault, region string) error {
	return d.set(ctx, f, region, false)
}

func (d drillControl) set(ctx context.Context, f drill.Fault, region string, broken bool) error {
	if d.s.info.URL(region) == "" {
		return fmt.Errorf("localcloud: %q is not a region of this stack", region)
	}
	switch f {
	case drill.Gateway:
		if broken {
			return d.s.StopGateway(ctx, region)
		}
		return d.s.StartGateway(ctx, region)
	case drill.Invert:
		return d.s.SetInvertedCheck(region, broken)
	case drill.Replica:
		if broken {
			return d.s.TakeReplicaDown(region)
		}
		return d.s.BringReplicaUp(region)
	case drill.CutOff:
		if broken {
			return d.s.CutOff(region)
		}
		return d.s.Reconnect(region)
	}
	return fmt.Errorf("localcloud: this local stack cannot %s a region", f)
}

func (d drillControl) SetWriteRegion(ctx context.Context, region string) error {
	return d.s.SetWriteRegion(ctx, region)
}
