package frontdoor

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var prod = []string{"eu-central-1", "eu-west-1", "us-east-1"}

func TestOrder(t *testing.T) {
	tests := []struct {
		name    string
		vantage string
		regions []string
		want    []string
	}{
		{"near Frankfurt", "eu-central-1", prod, []string{"eu-central-1", "eu-west-1", "us-east-1"}},
		{"near Ireland", "eu-west-1", prod, []string{"eu-west-1", "eu-central-1", "us-east-1"}},
		{"near Virginia", "us-east-1", prod, []string{"us-east-1", "eu-west-1", "eu-central-1"}},
		{"stage", "eu-west-1", []string{"eu-central-1", "eu-west-1"}, []string{"eu-west-1", "eu-central-1"}},
		{"unknown pairs last, in stack order", "eu-west-1", []string{"sa-east-1", "me-south-1", "us-east-1", "eu-west-1"}, []string{"eu-west-1", "us-east-1", "sa-east-1", "me-south-1"}},
		{"vantage outside the list", "eu-west-2", prod, []string{"eu-central-1", "eu-west-1", "us-east-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Order(tt.vantage, tt.regions); !slices.Equal(got, tt.want) {
				t.Errorf("Order(%s, %v) = %v, want %v", tt.vantage, tt.regions, got, tt.want)
			}
		})
	}
}

func TestRTTIsSymmetricAndCoversTheStacks(t *testing.T) {
	for _, a := range prod {
		for _, b := range prod {
			ab, ok1 := RTT(a, b)
			ba, ok2 := RTT(b, a)
			if !ok1 || !ok2 || ab != ba {
				t.Errorf("RTT(%s, %s) = %v %v, RTT(%s, %s) = %v %v: want the same known figure", a, b, ab, ok1, b, a, ba, ok2)
			}
		}
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		name   string
		checks string // p = pass, f = fail
		want   string // the status after each check: H or U
	}{
		{"new check is healthy", "", ""},
		{"two failures are not enough", "ff", "HH"},
		{"three consecutive failures", "fff", "HHU"},
		{"a pass resets the count", "ffpff", "HHHHH"},
		{"three passes to recover", "fffppp", "HHUUUH"},
		{"a failure resets the recovery", "fffppfppp", "HHUUUUUUH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verdict{healthy: true}
			var got strings.Builder
			for _, c := range tt.checks {
				v.observe(c == 'p', 3)
				got.WriteString(map[bool]string{true: "H", false: "U"}[v.healthy])
			}
			if got.String() != tt.want {
				t.Errorf("after %q: %s, want %s", tt.checks, got.String(), tt.want)
			}
		})
	}
}

func TestProbeFollowsRoute53Rules(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			fmt.Fprint(w, `{"status":"ok"}`)
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		default:
			http.Error(w, "no", map[string]int{"/missing": 404, "/down": 503}[r.URL.Path])
		}
	}))
	t.Cleanup(srv.Close)
	refused := closedPort(t)
	client := newProber(time.Second, 100*time.Millisecond)
	tests := []struct {
		name      string
		url       string
		pass      bool
		status    int
		errorText string
	}{
		{"2xx is healthy", srv.URL + "/ok", true, 200, ""},
		{"3xx is healthy and not followed", srv.URL + "/moved", true, 302, ""},
		{"4xx is healthy: the cloud's alarm counts 5xx only", srv.URL + "/missing", true, 404, ""},
		{"5xx is unhealthy", srv.URL + "/down", false, 503, ""},
		{"no status within the limit", srv.URL + "/slow", false, 0, "timed out"},
		{"refused", "http://" + refused + "/ok", false, 0, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := probe(t.Context(), client, tt.url, 5*time.Second)
			if got.Pass != tt.pass || got.Status != tt.status || got.Error != tt.errorText {
				t.Errorf("probe(%s) = pass %v status %d error %q, want %v %d %q", tt.url, got.Pass, got.Status, got.Error, tt.pass, tt.status, tt.errorText)
			}
		})
	}
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// fakeRegion is a region's gateway: it answers /prod/v1/health and any
// other /prod path with its name, and can be told to fail either.
type fakeRegion struct {
	name string
	srv  *httptest.Server
	// health is the status /v1/health answers; 0 means 200.
	health atomic.Int32
	// hangUp makes every other path drop the connection without answering.
	hangUp atomic.Bool
	hits   atomic.Int32
	mu     sync.Mutex
	paths  []string
}

func newFakeRegion(t *testing.T, name string) *fakeRegion {
	t.Helper()
	f := &fakeRegion{name: name}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/prod/v1/health" {
			if code := f.health.Load(); code != 0 {
				w.WriteHeader(int(code))
				return
			}
			fmt.Fprintf(w, `{"status":"ok","region":%q,"write_path":"ok"}`, name)
			return
		}
		f.hits.Add(1)
		f.mu.Lock()
		f.paths = append(f.paths, r.URL.RequestURI())
		f.mu.Unlock()
		if f.hangUp.Load() {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		fmt.Fprintf(w, "answered by %s", name)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

type fixture struct {
	fd      *FrontDoor
	regions map[string]*fakeRegion
}

func newFixture(t *testing.T, opts Options, names ...string) *fixture {
	t.Helper()
	fx := &fixture{regions: map[string]*fakeRegion{}}
	for _, n := range names {
		f := newFakeRegion(t, n)
		fx.regions[n] = f
		opts.Regions = append(opts.Regions, Region{Name: n, URL: f.srv.URL + "/prod"})
	}
	if opts.Interval == 0 {
		opts.Interval = 20 * time.Millisecond
	}
	if opts.Threshold == 0 {
		opts.Threshold = 2
	}
	fd, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	fx.fd = fd
	return fx
}

// answer is what a client got through the front door.
type answer struct {
	status int
	region string // the front door's HeaderRegion
}

// get sends a request through vantage's front door.
func (fx *fixture) get(t *testing.T, vantage, path string) (answer, string) {
	t.Helper()
	h, err := fx.fd.Handler(vantage)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return answer{status: rec.Code, region: rec.Header().Get(HeaderRegion)}, rec.Body.String()
}

// waitRoute waits until vantage routes to want; health checks run every
// 20 ms, so the 10 s limit only guards against a hang.
func (fx *fixture) waitRoute(t *testing.T, vantage, want string) Route {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rt := fx.fd.Route(vantage)
		if rt.Region == want {
			return rt
		}
		if time.Now().After(deadline) {
			t.Fatalf("vantage %q routes to %s, want %s; events:\n%s", vantage, rt.Region, want, eventText(fx.fd.Snapshot().Events))
		}
		select {
		case <-fx.fd.Changed():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func eventText(es []Event) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "  %d %s\n", e.Seq, e.Text)
	}
	return b.String()
}

func TestFailsOverToTheNextNearestAndBack(t *testing.T) {
	fx := newFixture(t, Options{}, prod...)
	a, body := fx.get(t, "eu-west-1", "/v1/hello")
	if body != "answered by eu-west-1" || a.region != "eu-west-1" {
		t.Fatalf("before: %q (region header %q), want eu-west-1's answer", body, a.region)
	}

	fx.regions["eu-west-1"].health.Store(503)
	fx.waitRoute(t, "eu-west-1", "eu-central-1")
	if _, body := fx.get(t, "eu-west-1", "/v1/hello"); body != "answered by eu-central-1" {
		t.Errorf("during: %q, want the next nearest region, eu-central-1", body)
	}
	// Other vantages keep their own region.
	if _, body := fx.get(t, "us-east-1", "/v1/hello"); body != "answered by us-east-1" {
		t.Errorf("near us-east-1 during: %q, want us-east-1", body)
	}
	snap := fx.fd.Snapshot()
	west := snap.Regions[1]
	if west.Healthy || west.Measured || west.Inverted {
		t.Errorf("eu-west-1 in the snapshot: healthy %v measured %v inverted %v, want all false", west.Healthy, west.Measured, west.Inverted)
	}
	if n := len(west.Checks); n == 0 || west.Checks[n-1].Status != 503 {
		t.Errorf("eu-west-1's last checks %+v, want a 503 last", west.Checks)
	}
	if c := snap.Regions[0].Checks; len(c) == 0 || c[0].WritePath != "ok" || !c[0].Pass {
		t.Errorf("eu-central-1's checks %+v, want passes that read the write path from the answer", c)
	}

	fx.regions["eu-west-1"].health.Store(0)
	fx.waitRoute(t, "eu-west-1", "eu-west-1")
	if _, body := fx.get(t, "eu-west-1", "/v1/hello"); body != "answered by eu-west-1" {
		t.Errorf("after: %q, want eu-west-1 back", body)
	}
	var texts []string
	for _, e := range fx.fd.Snapshot().Events {
		texts = append(texts, e.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"eu-west-1 is unhealthy: 2 consecutive checks failed (last: status 503)",
		"vantage eu-west-1 now routes to eu-central-1",
		"eu-west-1 is healthy: 2 consecutive checks passed",
		"vantage eu-west-1 now routes to eu-west-1",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("events lack %q:\n%s", want, all)
		}
	}
}

func TestNeverRetriesInAnotherRegion(t *testing.T) {
	// Checks every hour: the first one (at start) passes, and no other
	// runs, so the front door keeps sending eu-west-1's clients there.
	fx := newFixture(t, Options{Interval: time.Hour}, prod...)
	fx.regions["eu-west-1"].hangUp.Store(true)
	a, body := fx.get(t, "eu-west-1", "/v1/hello")
	if a.status != http.StatusBadGateway || !strings.Contains(body, "does not retry") {
		t.Errorf("answer = %d %q, want 502 saying the front door does not retry", a.status, body)
	}
	for _, other := range []string{"eu-central-1", "us-east-1"} {
		if n := fx.regions[other].hits.Load(); n != 0 {
			t.Errorf("%s got %d requests, want none: the front door must not retry elsewhere", other, n)
		}
	}
	reqs := fx.fd.Snapshot().Regions[1].Requests
	if len(reqs) != 1 || reqs[0].Status != 502 || reqs[0].Error == "" || reqs[0].Vantage != "eu-west-1" {
		t.Errorf("eu-west-1's recent requests = %+v, want one 502 with an error, vantage eu-west-1", reqs)
	}
}

func TestEveryRegionUnhealthyCountsAsHealthy(t *testing.T) {
	fx := newFixture(t, Options{}, prod...)
	for _, f := range fx.regions {
		f.health.Store(500)
	}
	// Each vantage goes back to its nearest region.
	for _, v := range prod {
		rt := fx.waitAllUnhealthy(t, v)
		if rt.Region != v {
			t.Errorf("vantage %s routes to %s, want its own region when all are unhealthy", v, rt.Region)
		}
	}
	if _, body := fx.get(t, "us-east-1", "/v1/hello"); body != "answered by us-east-1" {
		t.Errorf("near us-east-1: %q, want us-east-1", body)
	}
}

func (fx *fixture) waitAllUnhealthy(t *testing.T, vantage string) Route {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rt := fx.fd.Route(vantage)
		if rt.AllUnhealthy {
			return rt
		}
		if time.Now().After(deadline) {
			t.Fatalf("vantage %s: %+v, want every region unhealthy; events:\n%s", vantage, rt, eventText(fx.fd.Snapshot().Events))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInvertedCheck(t *testing.T) {
	fx := newFixture(t, Options{Inverted: []string{"eu-west-1"}}, prod...)
	if rt := fx.fd.Route("eu-west-1"); rt.Region != "eu-central-1" {
		t.Fatalf("a region whose check starts inverted: vantage routes to %s, want eu-central-1", rt.Region)
	}
	if err := fx.fd.SetInverted("eu-west-1", false); err != nil {
		t.Fatal(err)
	}
	if rt := fx.fd.Route("eu-west-1"); rt.Region != "eu-west-1" {
		t.Errorf("inversion removed: routes to %s, want eu-west-1 at once", rt.Region)
	}
	// Inverted and failing counts as healthy, as Route 53 has it.
	fx.regions["us-east-1"].health.Store(503)
	fx.waitRoute(t, "us-east-1", "eu-west-1")
	if err := fx.fd.SetInverted("us-east-1", true); err != nil {
		t.Fatal(err)
	}
	if rt := fx.fd.Route("us-east-1"); rt.Region != "us-east-1" {
		t.Errorf("failing and inverted: routes to %s, want us-east-1", rt.Region)
	}
	if err := fx.fd.SetInverted("sa-east-1", true); err == nil || !strings.Contains(err.Error(), "not one of the regions") {
		t.Errorf("SetInverted of a foreign region: %v, want an error naming the regions", err)
	}
}

func TestDefaultVantageIsTheWriteRegion(t *testing.T) {
	var write atomic.Value
	write.Store("eu-central-1")
	fx := newFixture(t, Options{WriteRegion: func() string { return write.Load().(string) }}, prod...)
	if _, body := fx.get(t, "", "/v1/hello"); body != "answered by eu-central-1" {
		t.Errorf("default vantage: %q, want the write region eu-central-1", body)
	}
	write.Store("us-east-1")
	fx.fd.Resync("write region moved")
	if _, body := fx.get(t, "", "/v1/hello"); body != "answered by us-east-1" {
		t.Errorf("default vantage after the move: %q, want us-east-1", body)
	}
	evs := fx.fd.Snapshot().Events
	if len(evs) == 0 || !strings.Contains(evs[len(evs)-1].Text, "vantage default (write region us-east-1) now routes to us-east-1 (write region moved)") {
		t.Errorf("last event: %s", eventText(evs))
	}
}

func TestPathsAreTheDomainsMappedToTheStage(t *testing.T) {
	fx := newFixture(t, Options{}, prod...)
	for _, p := range []string{"/v1/tournament/t1/results?limit=2&cursor=a%2Fb", "/v1/player/Ann%20Lee/matches", "/nothing"} {
		fx.get(t, "eu-central-1", p)
	}
	f := fx.regions["eu-central-1"]
	f.mu.Lock()
	defer f.mu.Unlock()
	want := []string{"/prod/v1/tournament/t1/results?limit=2&cursor=a%2Fb", "/prod/v1/player/Ann%20Lee/matches", "/prod/nothing"}
	if !slices.Equal(f.paths, want) {
		t.Errorf("the region saw %q, want %q", f.paths, want)
	}
}

func TestServeRecordsRequests(t *testing.T) {
	fx := newFixture(t, Options{}, prod...)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.fd.Serve(l, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, fx.fd.URL("us-east-1")+"/v1/hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "answered by us-east-1" {
		t.Errorf("through the port: %q", body)
	}
	snap := fx.fd.Snapshot()
	east := snap.Regions[2]
	if east.Served != 1 || len(east.Requests) != 1 || east.Requests[0].Path != "/v1/hello" || east.Requests[0].Status != 200 {
		t.Errorf("us-east-1: served %d, requests %+v; want the one GET /v1/hello with 200", east.Served, east.Requests)
	}
	var v VantageStatus
	for _, vs := range snap.Vantages {
		if vs.Name == "us-east-1" {
			v = vs
		}
	}
	if v.URL != fx.fd.URL("us-east-1") || v.Location != "us-east-1" || v.RoutesTo != "us-east-1" || !slices.Equal(v.Order, []string{"us-east-1", "eu-west-1", "eu-central-1"}) {
		t.Errorf("vantage us-east-1 in the snapshot = %+v", v)
	}
	if snap.DetectionMS != 60 {
		t.Errorf("detection bound %v ms, want (2+1) × 20 ms", snap.DetectionMS)
	}
}

func TestStartRefusesBadOptions(t *testing.T) {
	ok := []Region{{Name: "eu-central-1", URL: "http://127.0.0.1:1/prod"}}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no regions", Options{}, "no regions"},
		{"threshold too high", Options{Regions: ok, Threshold: 11}, "threshold of 1 to 10"},
		{"inverted foreign region", Options{Regions: ok, Inverted: []string{"us-east-1"}}, `inverted check of "us-east-1"`},
		{"duplicate", Options{Regions: append(ok, ok...)}, "listed twice"},
		{"bad URL", Options{Regions: []Region{{Name: "eu-central-1", URL: "::"}}}, "bad URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd, err := Start(tt.opts)
			if err == nil {
				fd.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
