// Package frontdoor is the local stand-in for a stack's custom domain and its
// Route 53 latency records: one address per client vantage that forwards
// each request to the nearest healthy region, with health checks that follow
// Route 53's rules (health.go says which, and what is simplified).
//
// A client says where it is by the port it calls: each region of the stack
// has a front-door port whose vantage is that region, and a default port
// whose vantage is the stack's current write region, so a client that writes
// and then reads through the default port reads its own writes (through a
// vantage port it may read from a replica that has not caught up yet).
//
// Paths are the domain's: /v1/... with no stage, as the base path mapping
// serves them. The front door never retries a request in another region, as
// DNS does not: a request sent to a region that fails gets that failure.
package frontdoor

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hush-scores/hush/internal/statusrec"
)

// HeaderRegion is the header the front door adds to every answer, naming the
// region it sent the request to. It is local only: DNS adds nothing.
const HeaderRegion = "X-Hush-Region"

// keptRequests is how many recent requests each region keeps.
const keptRequests = 15

// keptEvents is how many health and routing changes the front door keeps.
const keptEvents = 100

// Region is one region behind the front door.
type Region struct {
	Name string
	// URL is the region's stage URL (http://host:port/<stage>): requests go
	// to URL + path, health checks to URL + /v1/health, the target the
	// cloud's check probes.
	URL string
}

// Options configure a front door.
type Options struct {
	// Regions are the stack's regions, home first.
	Regions []Region
	// WriteRegion returns the stack's current write region, the vantage of
	// the default port; nil means the first region.
	WriteRegion func() string
	// Interval between health checks of a region; 0 means Route 53's
	// default, DefaultInterval.
	Interval time.Duration
	// Threshold is the number of consecutive failed (or passed) checks
	// that turn a region unhealthy (or healthy again); 0 means
	// DefaultThreshold. Route 53 allows 1 to 10.
	Threshold int
	// ConnectTimeout and ResponseTimeout are a check's time limits; 0 means
	// Route 53's 4 s and 2 s. Tests with short intervals may shorten them.
	ConnectTimeout  time.Duration
	ResponseTimeout time.Duration
	// Inverted lists the regions whose checks start inverted, as
	// hush:failoverDrill does in the cloud.
	Inverted []string
	// Logger receives health changes; nil discards them.
	Logger *slog.Logger
}

// Request is one request the front door forwarded.
type Request struct {
	At        time.Time `json:"at"`
	Vantage   string    `json:"vantage"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	LatencyMS float64   `json:"latencyMs"`
	// Error says why the region gave no answer (the front door then
	// answers 502).
	Error string `json:"error,omitempty"`
}

// Event is a change the front door noticed: a region's health, or where a
// vantage routes.
type Event struct {
	Seq int       `json:"seq"`
	At  time.Time `json:"at"`
	// Region is the region whose health changed, or the region a vantage
	// now routes to.
	Region string `json:"region"`
	// Vantage is set on routing changes; Healthy on health changes.
	Vantage string `json:"vantage,omitempty"`
	Healthy *bool  `json:"healthy,omitempty"`
	Text    string `json:"text"`
}

// regionState is what the front door knows of one region.
type regionState struct {
	Region
	healthURL string
	verdict   verdict
	inverted  bool
	since     time.Time
	inFlight  int
	checks    []Check
	requests  []Request
	served    int
	failed    int
	proxy     *httputil.ReverseProxy
}

// healthy is the status routing uses: measured, then inverted.
func (r *regionState) healthy() bool { return r.verdict.healthy != r.inverted }

// FrontDoor routes requests to regions by vantage and health.
type FrontDoor struct {
	opts   Options
	names  []string
	order  map[string][]string
	prober *http.Client
	limit  time.Duration
	log    *slog.Logger

	mu       sync.Mutex
	regions  map[string]*regionState
	events   []Event
	seq      int
	routes   map[string]string // vantage ("" = default) -> region
	vantages map[string]string // vantage -> front-door URL, as served
	servers  []*http.Server
	// changed is closed and replaced on every event, to wake waiters.
	changed chan struct{}

	stop    context.CancelFunc
	running sync.WaitGroup
}

// Start checks every region once an interval from now on, until Close.
// Serve then answers on the vantages' addresses.
func Start(opts Options) (*FrontDoor, error) {
	if len(opts.Regions) == 0 {
		return nil, errors.New("frontdoor: no regions")
	}
	opts.Interval = cmp.Or(opts.Interval, DefaultInterval)
	opts.Threshold = cmp.Or(opts.Threshold, DefaultThreshold)
	opts.ConnectTimeout = cmp.Or(opts.ConnectTimeout, DefaultConnectTimeout)
	opts.ResponseTimeout = cmp.Or(opts.ResponseTimeout, DefaultResponseTimeout)
	if opts.Interval < 0 || opts.Threshold < 1 || opts.Threshold > maxThreshold {
		return nil, fmt.Errorf("frontdoor: interval %s and threshold %d: want a positive interval and a threshold of 1 to %d", opts.Interval, opts.Threshold, maxThreshold)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	fd := &FrontDoor{
		opts: opts, order: map[string][]string{}, regions: map[string]*regionState{},
		routes: map[string]string{}, vantages: map[string]string{}, changed: make(chan struct{}),
		prober: newProber(opts.ConnectTimeout, opts.ResponseTimeout),
		limit:  opts.ConnectTimeout + opts.ResponseTimeout,
		log:    opts.Logger,
	}
	now := time.Now()
	for _, r := range opts.Regions {
		if _, dup := fd.regions[r.Name]; dup || r.Name == "" {
			return nil, fmt.Errorf("frontdoor: region %q is empty or listed twice", r.Name)
		}
		target, err := url.Parse(r.URL)
		if err != nil || target.Host == "" {
			return nil, fmt.Errorf("frontdoor: region %s: bad URL %q", r.Name, r.URL)
		}
		fd.names = append(fd.names, r.Name)
		fd.regions[r.Name] = &regionState{
			Region: r, healthURL: strings.TrimRight(r.URL, "/") + "/v1/health",
			verdict: verdict{healthy: true}, since: now, proxy: fd.newProxy(r.Name, target),
		}
	}
	for _, name := range fd.names {
		fd.order[name] = Order(name, fd.names)
	}
	for _, name := range opts.Inverted {
		r, ok := fd.regions[name]
		if !ok {
			return nil, fmt.Errorf("frontdoor: inverted check of %q, which is not one of the regions %s", name, strings.Join(fd.names, ", "))
		}
		r.inverted = true
	}
	fd.mu.Lock()
	fd.updateRoutesLocked(now, "start")
	fd.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	fd.stop = cancel
	for _, name := range fd.names {
		fd.running.Add(1)
		go fd.checkLoop(ctx, fd.regions[name])
	}
	return fd, nil
}

// Regions returns the regions' names, home first.
func (fd *FrontDoor) Regions() []string { return slices.Clone(fd.names) }

// Order returns the regions from nearest to farthest from vantage.
func (fd *FrontDoor) Order(vantage string) []string { return slices.Clone(fd.order[vantage]) }

// checkLoop starts a check of r at once and then every interval.
func (fd *FrontDoor) checkLoop(ctx context.Context, r *regionState) {
	defer fd.running.Done()
	tick := time.NewTicker(fd.opts.Interval)
	defer tick.Stop()
	var checks sync.WaitGroup
	defer checks.Wait()
	for {
		fd.mu.Lock()
		start := r.inFlight < maxInFlight
		if start {
			r.inFlight++
		}
		fd.mu.Unlock()
		if start {
			checks.Add(1)
			go func() {
				defer checks.Done()
				c := probe(ctx, fd.prober, r.healthURL, fd.limit)
				if ctx.Err() != nil {
					return // stopping: an aborted check says nothing of the region
				}
				fd.record(r, c)
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// record applies one check's outcome to r.
func (fd *FrontDoor) record(r *regionState, c Check) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	r.inFlight--
	r.checks = appendKept(r.checks, c, keptChecks)
	was := r.healthy()
	if !r.verdict.observe(c.Pass, fd.opts.Threshold) || r.healthy() == was {
		return
	}
	now := time.Now()
	r.since = now
	why := fmt.Sprintf("%d consecutive checks passed", fd.opts.Threshold)
	if !c.Pass {
		why = fmt.Sprintf("%d consecutive checks failed (last: %s)", fd.opts.Threshold, checkText(c))
	}
	if r.inverted {
		why += ", and the check is inverted"
	}
	fd.healthEventLocked(now, r, why)
}

func checkText(c Check) string {
	if c.Error != "" {
		return c.Error
	}
	return fmt.Sprintf("status %d", c.Status)
}

// healthEventLocked logs r's new status and the routing it changes.
func (fd *FrontDoor) healthEventLocked(now time.Time, r *regionState, why string) {
	healthy := r.healthy()
	word := "unhealthy"
	if healthy {
		word = "healthy"
	}
	fd.log.Info("front door: region "+word, "region", r.Name, "why", why)
	fd.eventLocked(Event{At: now, Region: r.Name, Healthy: &healthy, Text: fmt.Sprintf("%s is %s: %s", r.Name, word, why)})
	fd.updateRoutesLocked(now, r.Name+" is "+word)
}

// SetInverted inverts the health check of region, or stops inverting it. It
// takes effect at once.
func (fd *FrontDoor) SetInverted(region string, inverted bool) error {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	r, ok := fd.regions[region]
	if !ok {
		return fmt.Errorf("frontdoor: %q is not one of the regions %s", region, strings.Join(fd.names, ", "))
	}
	if r.inverted == inverted {
		return nil
	}
	r.inverted = inverted
	now := time.Now()
	r.since = now
	why := "its check was inverted"
	if !inverted {
		why = "its check is no longer inverted"
	}
	fd.healthEventLocked(now, r, why)
	return nil
}

// Route is where a vantage's requests go now.
type Route struct {
	// Region is the region requests go to.
	Region string `json:"region"`
	// AllUnhealthy is true when no region is healthy, so every one counts
	// as healthy and the nearest answers, as Route 53 does.
	AllUnhealthy bool `json:"allUnhealthy"`
}

// vantageOf resolves the default vantage ("") to the write region.
func (fd *FrontDoor) vantageOf(vantage string) string {
	if vantage != "" {
		return vantage
	}
	if fd.opts.WriteRegion != nil {
		if w := fd.opts.WriteRegion(); fd.order[w] != nil {
			return w
		}
	}
	return fd.names[0]
}

// routeLocked picks the nearest healthy region of vantage, or the nearest of
// all when none is healthy.
func (fd *FrontDoor) routeLocked(vantage string) Route {
	order := fd.order[fd.vantageOf(vantage)]
	for _, name := range order {
		if fd.regions[name].healthy() {
			return Route{Region: name}
		}
	}
	return Route{Region: order[0], AllUnhealthy: true}
}

// Route returns where vantage's requests go now; "" is the default vantage.
func (fd *FrontDoor) Route(vantage string) Route {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.routeLocked(vantage)
}

// updateRoutesLocked logs every vantage whose route changed.
func (fd *FrontDoor) updateRoutesLocked(now time.Time, cause string) {
	for _, v := range append([]string{""}, fd.names...) {
		rt := fd.routeLocked(v)
		if fd.routes[v] == rt.Region {
			continue
		}
		first := fd.routes[v] == ""
		fd.routes[v] = rt.Region
		if first {
			continue
		}
		name := v
		if v == "" {
			name = "default (write region " + fd.vantageOf("") + ")"
		}
		text := fmt.Sprintf("vantage %s now routes to %s (%s)", name, rt.Region, cause)
		if rt.AllUnhealthy {
			text += "; every region is unhealthy, so all count as healthy and the nearest answers"
		}
		fd.eventLocked(Event{At: now, Region: rt.Region, Vantage: cmp.Or(v, "default"), Text: text})
	}
}

// Resync logs routing changes that came from outside the front door's
// health checks: a new write region moves the default vantage.
func (fd *FrontDoor) Resync(cause string) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	fd.updateRoutesLocked(time.Now(), cause)
}

func (fd *FrontDoor) eventLocked(e Event) {
	fd.seq++
	e.Seq = fd.seq
	fd.events = appendKept(fd.events, e, keptEvents)
	close(fd.changed)
	fd.changed = make(chan struct{})
}

// Changed returns a channel closed at the next event.
func (fd *FrontDoor) Changed() <-chan struct{} {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.changed
}

func appendKept[T any](s []T, v T, keep int) []T {
	s = append(s, v)
	if len(s) > keep {
		s = slices.Delete(s, 0, len(s)-keep)
	}
	return s
}

// Handler returns the front door of vantage: a region's name, or "" for the
// default vantage, the write region.
func (fd *FrontDoor) Handler(vantage string) (http.Handler, error) {
	if vantage != "" && fd.order[vantage] == nil {
		return nil, fmt.Errorf("frontdoor: vantage %q is not one of the regions %s", vantage, strings.Join(fd.names, ", "))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fd.mu.Lock()
		rt := fd.routeLocked(vantage)
		r := fd.regions[rt.Region]
		fd.mu.Unlock()
		w.Header().Set(HeaderRegion, r.Name)
		rec := statusrec.New(w)
		var proxyErr string
		start := time.Now()
		ctx := withClientAddr(context.WithValue(req.Context(), errKey{}, &proxyErr), req.RemoteAddr)
		r.proxy.ServeHTTP(rec, req.WithContext(ctx))
		fd.mu.Lock()
		defer fd.mu.Unlock()
		r.served++
		if proxyErr != "" {
			r.failed++
		}
		r.requests = appendKept(r.requests, Request{
			At: start, Vantage: cmp.Or(vantage, "default"), Method: req.Method, Path: statusrec.Path(req.URL.Path),
			Status: cmp.Or(rec.Status(), http.StatusOK), LatencyMS: ms(time.Since(start)), Error: proxyErr,
		}, keptRequests)
	}), nil
}

// errKey carries where the proxy's error handler writes why a region did
// not answer.
type errKey struct{}

// newProxy forwards to one region: /v1/x on the front door is the stage's
// /<stage>/v1/x, as an empty base path mapping makes it.
func (fd *FrontDoor) newProxy(region string, target *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// No X-Forwarded-* headers: API Gateway behind a custom domain
			// sees the client, and the handlers read none of them.
		},
		// From the client's own address, as API Gateway sees it (clientaddr.go).
		Transport: &perClientTransport{dialTimeout: 2 * time.Second},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			why := describe(err)
			if p, ok := req.Context().Value(errKey{}).(*string); ok {
				*p = why
			}
			fd.log.Warn("front door: region did not answer", "region", region, "error", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			_ = json.NewEncoder(w).Encode(map[string]string{
				"message": fmt.Sprintf("front door: %s did not answer (%s); the front door does not retry in another region", region, why),
			})
		},
	}
}

// Serve answers for vantage on l until Close; "" is the default vantage.
// It returns at once; the URL of the vantage is then in Snapshot.
func (fd *FrontDoor) Serve(l net.Listener, vantage string) error {
	h, err := fd.Handler(vantage)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(fd.log.Handler(), slog.LevelError)}
	fd.mu.Lock()
	fd.servers = append(fd.servers, srv)
	fd.vantages[vantage] = "http://" + l.Addr().String()
	fd.mu.Unlock()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fd.log.Error("front door: stopped serving", "vantage", vantage, "error", err)
		}
	}()
	return nil
}

// URL returns the address serving vantage ("" = default), or "" when none
// does.
func (fd *FrontDoor) URL(vantage string) string {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.vantages[vantage]
}

// Close stops the health checks and the servers.
func (fd *FrontDoor) Close() error {
	fd.stop()
	fd.running.Wait()
	fd.mu.Lock()
	servers := fd.servers
	fd.servers = nil
	fd.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
	}
	return errors.Join(errs...)
}
