// Package regionnet emulates the network between the regions of a local
// stack. Every replica of the local global table lives in one DynamoDB Local
// process (a database per signing region); regionnet puts a small HTTP proxy
// in front of it for every pair of regions, a link, so that a client in
// region A reaches region B's replica through the link A->B. The links are
// where the emulated network happens:
//
//   - a cross-region link adds the round trip between its two regions
//     before it forwards a request, so a write routed to another region
//     costs what it would, and a request that opens a new connection also
//     pays for the handshakes (see HandshakeRoundTrips);
//   - a region that is cut off (a partition) hangs every cross-region call
//     into it or out of it until the caller gives up, while the links from
//     the region to itself keep working, so its own gateway and functions
//     still serve it;
//   - a replica that is down refuses every call, from any region, by
//     closing the connection;
//   - a region that is lost is dark: its replica refuses every call, its
//     own region's included, and every cross-region call into or out of it
//     is refused at once, replication included. One thing goes on inside
//     it: the reading of its replica's own stream through its own link
//     (see StreamRead), which stands for the commit-time version AWS gives
//     every change in the replica itself. The replicator so versions what
//     the region committed before the loss when it was committed, not when
//     the region returns, and knows what it has not delivered yet.
//
// Each link listens on 127.0.0.1 only, and refuses with 403 what
// loopguard.Check refuses (a browser's request, a Host that is not a
// loopback name), so no web page in a browser can reach the emulators
// through it.
package regionnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hush-scores/hush/internal/loopguard"
)

// Options configure Start.
type Options struct {
	// Regions are the regions of the stack.
	Regions []string
	// Target is the URL of DynamoDB Local, http://127.0.0.1:PORT.
	Target string
	// RTT returns the round trip between two regions, added to every
	// request from one to the other (package distance has the table); nil
	// means none. It is asked once per pair, at Start.
	RTT func(from, to string) time.Duration
}

// HandshakeRoundTrips is what a new connection costs before its first
// request can go, in round trips of its pair of regions: one for TCP's
// handshake (SYN, SYN-ACK; the ACK travels with the request) and one for
// TLS 1.3's (ClientHello, ServerHello through Finished), as a client in one
// region opening HTTPS to DynamoDB in another pays. A reused connection
// pays nothing more than the request's own round trip, so the first request
// on a connection costs three round trips and every later one costs one.
// DNS is not modelled: a resolver in the caller's region answers in
// milliseconds. TLS 1.2 would add one more round trip; the bounds that
// cross regions leave room for that too (see api's write-path probe).
const HandshakeRoundTrips = 2

// Network is the running set of links.
type Network struct {
	regions []string
	proxy   *httputil.ReverseProxy

	mu    sync.Mutex
	cut   map[string]bool
	down  map[string]bool
	lost  map[string]bool
	links map[string]*link // by from + ">" + to

	closing chan struct{}
	once    sync.Once
}

type link struct {
	from, to string
	// rtt is the round trip between from and to; 0 within a region.
	rtt      time.Duration
	srv      *http.Server
	endpoint string
}

// conn is the state of one client connection to a link.
type conn struct {
	// used is set by the first request: later ones are on a warm connection.
	used atomic.Bool
}

type connKey struct{}

// Start listens on a link for every ordered pair of regions, itself
// included.
func Start(opts Options) (*Network, error) {
	if len(opts.Regions) == 0 {
		return nil, errors.New("regionnet: no regions")
	}
	target, err := url.Parse(opts.Target)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("regionnet: target %q is not a URL", opts.Target)
	}
	n := &Network{
		regions: slices.Clone(opts.Regions), closing: make(chan struct{}),
		cut: map[string]bool{}, down: map[string]bool{}, lost: map[string]bool{}, links: map[string]*link{},
	}
	n.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		// Enough idle connections for a load test's concurrency, so links
		// do not churn through ephemeral ports.
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			// DynamoDB Local is stopped or restarting: the caller sees a
			// dropped connection, as it would without the proxy.
			drop(w)
		},
	}
	for _, from := range opts.Regions {
		for _, to := range opts.Regions {
			var rtt time.Duration
			if from != to && opts.RTT != nil {
				rtt = max(opts.RTT(from, to), 0)
			}
			if err := n.listen(from, to, rtt); err != nil {
				n.Close()
				return nil, err
			}
		}
	}
	return n, nil
}

func key(from, to string) string { return from + ">" + to }

func (n *Network) listen(from, to string, rtt time.Duration) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("regionnet: listen for %s->%s: %w", from, to, err)
	}
	lk := &link{from: from, to: to, rtt: rtt, endpoint: "http://" + l.Addr().String()}
	lk.srv = &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.serve(lk, w, r) }),
		ReadHeaderTimeout: 10 * time.Second,
		// Every connection a client opens to the link is a connection
		// across the emulated network: its first request pays the
		// handshakes.
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &conn{})
		},
	}
	n.links[key(from, to)] = lk
	go func() { _ = lk.srv.Serve(l) }()
	return nil
}

func (n *Network) serve(lk *link, w http.ResponseWriter, r *http.Request) {
	// Browsers' requests (Origin, Sec-Fetch-Site) and a page that rebinds
	// its name to 127.0.0.1 (a foreign Host) are refused: nothing Hush
	// runs sends them, and they would reach the emulators.
	if why := loopguard.Check(r); why != "" {
		http.Error(w, "regionnet: refused: "+string(why), http.StatusForbidden)
		return
	}
	cross := lk.from != lk.to
	n.mu.Lock()
	down := n.down[lk.to]
	partitioned := cross && (n.cut[lk.from] || n.cut[lk.to])
	dark := n.lost[lk.to] && (cross || !StreamRead(r)) || cross && n.lost[lk.from]
	n.mu.Unlock()
	switch {
	case down, dark:
		drop(w)
		return
	case partitioned:
		// Packets into a partition are lost: the caller waits until its own
		// timeout, which is what its bounds are for.
		select {
		case <-r.Context().Done():
		case <-n.closing:
		}
		drop(w)
		return
	}
	if wait := lk.delay(r.Context()); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	n.proxy.ServeHTTP(w, r)
}

// delay is what a request on the link waits before it is forwarded: the
// round trip, and the handshakes when it is the first on its connection.
func (lk *link) delay(ctx context.Context) time.Duration {
	if lk.rtt == 0 {
		return 0
	}
	trips := time.Duration(1)
	if c, ok := ctx.Value(connKey{}).(*conn); ok && !c.used.Swap(true) {
		trips += HandshakeRoundTrips
	}
	return trips * lk.rtt
}

// drop closes the connection without an answer, as a stopped server or a
// reset would.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Without hijacking, 503 is the nearest: the SDK also retries it.
	w.WriteHeader(http.StatusServiceUnavailable)
}

// Endpoint returns the URL a client in region from uses to reach region
// to's replica; "" for a region the network does not know.
func (n *Network) Endpoint(from, to string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if lk, ok := n.links[key(from, to)]; ok {
		return lk.endpoint
	}
	return ""
}

// RTT returns the round trip the link from->to adds to a request on a
// warm connection; 0 within a region or for a region the network does not
// know.
func (n *Network) RTT(from, to string) time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	if lk, ok := n.links[key(from, to)]; ok {
		return lk.rtt
	}
	return 0
}

func (n *Network) set(m map[string]bool, region string, on bool) error {
	if !slices.Contains(n.regions, region) {
		return fmt.Errorf("regionnet: %q is not a region of this network (%v)", region, n.regions)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	m[region] = on
	return nil
}

// CutOff partitions region from the others: every cross-region call into
// or out of it hangs until the caller gives up. Calls within the region go
// on.
func (n *Network) CutOff(region string) error { return n.set(n.cut, region, true) }

// Reconnect ends the partition of region.
func (n *Network) Reconnect(region string) error { return n.set(n.cut, region, false) }

// TakeDown makes region's replica refuse every call, its own region's
// included.
func (n *Network) TakeDown(region string) error { return n.set(n.down, region, true) }

// BringUp makes region's replica answer again.
func (n *Network) BringUp(region string) error { return n.set(n.down, region, false) }

// Lose makes region dark: its replica refuses every call, its own
// region's included, and every cross-region call into or out of it is
// refused at once (replication too), until Return. Only its own stream
// stays readable from within it (StreamRead). Lose is apart from CutOff
// and TakeDown: Return does not undo them, nor they it.
func (n *Network) Lose(region string) error { return n.set(n.lost, region, true) }

// Return ends the loss of region: its links answer as they did before.
func (n *Network) Return(region string) error { return n.set(n.lost, region, false) }

// streamTarget starts the X-Amz-Target of every DynamoDB Streams call.
const streamTarget = "DynamoDBStreams_20120810."

// StreamRead reports whether r reads a table's stream, or describes the
// table to find it: what the replicator's reader of a region does, and
// nothing the functions do. A lost region serves these on its own link
// only.
func StreamRead(r *http.Request) bool {
	t := r.Header.Get("X-Amz-Target")
	return strings.HasPrefix(t, streamTarget) || t == "DynamoDB_20120810.DescribeTable"
}

// State is what is wrong with one region's network. A lost region is also
// reported cut off and down: it is both, and more.
type State struct {
	Region string
	CutOff bool
	Down   bool
	Lost   bool
}

// States returns the state of every region, in the network's order.
func (n *Network) States() []State {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]State, len(n.regions))
	for i, r := range n.regions {
		lost := n.lost[r]
		out[i] = State{Region: r, CutOff: n.cut[r] || lost, Down: n.down[r] || lost, Lost: lost}
	}
	return out
}

// Close stops every link; hung calls are dropped.
func (n *Network) Close() error {
	n.once.Do(func() { close(n.closing) })
	n.mu.Lock()
	links := make([]*link, 0, len(n.links))
	for _, lk := range n.links {
		links = append(links, lk)
	}
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var errs []error
	for _, lk := range links {
		if err := lk.srv.Shutdown(ctx); err != nil {
			errs = append(errs, lk.srv.Close())
		}
	}
	return errors.Join(errs...)
}
