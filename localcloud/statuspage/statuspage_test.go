package statuspage

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/hush-scores/hush/localcloud/frontdoor"
)

// fakeStack stands for the front door, the replicator and the write region.
type fakeStack struct {
	mu    sync.Mutex
	snap  frontdoor.Snapshot
	links []Link
	write WriteState
}

func (f *fakeStack) Snapshot() frontdoor.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeStack) ReplicationLinks() []Link {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.links
}

func (f *fakeStack) WriteRegionState() WriteState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.write
}

func newFakeStack() *fakeStack {
	at := time.Date(2026, 11, 29, 14, 0, 0, 0, time.UTC)
	region := func(name string) frontdoor.RegionStatus {
		return frontdoor.RegionStatus{
			Name: name, URL: "http://127.0.0.1:1/prod", Healthy: true, Measured: true, Since: at,
			Checks: []frontdoor.Check{{At: at, Pass: true, Status: 200, LatencyMS: 3}},
		}
	}
	vantage := func(name, at string, order ...string) frontdoor.VantageStatus {
		return frontdoor.VantageStatus{Name: name, Location: at, URL: "http://127.0.0.1:2", Order: order, RoutesTo: at}
	}
	return &fakeStack{
		snap: frontdoor.Snapshot{
			At: at, IntervalMS: 200, Threshold: 3, DetectionMS: 800, RTTSource: "a table",
			Regions: []frontdoor.RegionStatus{region("eu-central-1"), region("eu-west-1"), region("us-east-1")},
			Vantages: []frontdoor.VantageStatus{
				vantage("default", "eu-central-1", "eu-central-1", "eu-west-1", "us-east-1"),
				vantage("eu-central-1", "eu-central-1", "eu-central-1", "eu-west-1", "us-east-1"),
				vantage("eu-west-1", "eu-west-1", "eu-west-1", "eu-central-1", "us-east-1"),
				vantage("us-east-1", "us-east-1", "us-east-1", "eu-west-1", "eu-central-1"),
			},
		},
		links: []Link{{From: "eu-central-1", To: "eu-west-1", Backlog: 0, LagMS: 310, Applied: 9000, Rate: 12.4, BusyRate: 815.6}},
		write: WriteState{Region: "eu-central-1", Reachable: true},
	}
}

func (f *fakeStack) sources() Sources {
	return Sources{Stack: "prod", FrontDoor: f, Replication: f, WriteRegion: f}
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, local(httptest.NewRequest(http.MethodGet, target, nil)))
	return rec
}

// local makes r come from and go to this machine, as a browser's on
// 127.0.0.1 does.
func local(r *http.Request) *http.Request {
	r.RemoteAddr, r.Host = "127.0.0.1:50000", "127.0.0.1:7480"
	return r
}

// parse renders the page and returns its document.
func parse(t *testing.T, h http.Handler, target string) *html.Node {
	t.Helper()
	rec := get(t, h, target)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Header().Get("Content-Type"))
	}
	doc, err := html.Parse(rec.Body)
	if err != nil {
		t.Fatalf("GET %s: not HTML: %v", target, err)
	}
	return doc
}

// all returns the elements carrying attribute key, by its value.
func all(doc *html.Node, key string) map[string]*html.Node {
	out := map[string]*html.Node{}
	for n := range doc.Descendants() {
		if v, ok := attr(n, key); ok {
			out[v] = n
		}
	}
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	if n.Type != html.ElementNode {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			// Cells follow one another without white space in between.
			b.WriteString(d.Data + " ")
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func TestPageShowsEveryPart(t *testing.T) {
	f := newFakeStack()
	doc := parse(t, Handler(f.sources()), "/")

	header := text(all(doc, "id")["status"])
	if !strings.Contains(header, "every 200ms") || !strings.Contains(header, "within about 800ms") {
		t.Errorf("the header does not give the interval and the detection bound: %q", header)
	}
	regions := all(doc, "data-region")
	for _, name := range []string{"eu-central-1", "eu-west-1", "us-east-1"} {
		n, ok := regions[name]
		if !ok {
			t.Errorf("region %s missing from the page", name)
			continue
		}
		if h, _ := attr(n, "data-healthy"); h != "true" {
			t.Errorf("region %s: data-healthy %q, want true", name, h)
		}
		if got := text(n); !strings.Contains(got, "healthy since") || !strings.Contains(got, "Last check") || !strings.Contains(got, "200 in 3 ms") {
			t.Errorf("region %s reads %q, want its health and last check", name, got)
		}
	}
	routes := all(doc, "data-vantage")
	if len(routes) != 4 {
		t.Errorf("%d vantage rows, want 4 (default and one per region)", len(routes))
	}
	if got := text(routes["default"]); !strings.Contains(got, "default (near the write region, eu-central-1)") || !strings.Contains(got, "eu-central-1 → eu-west-1 → us-east-1") {
		t.Errorf("default vantage row reads %q", got)
	}
	write := all(doc, "data-write-region")["eu-central-1"]
	if write == nil || !strings.Contains(text(write), "reachable") {
		t.Errorf("write region missing or not marked reachable")
	}
	link := all(doc, "data-link")["eu-central-1>eu-west-1"]
	if link == nil || !strings.Contains(text(link), "eu-central-1 → eu-west-1 0 310 ms 9000 12 816") {
		t.Errorf("replication link row: %v", link)
	}
	if got := text(all(doc, "id")["events"]); !strings.Contains(got, "Nothing yet") {
		t.Errorf("events section reads %q, want that nothing changed", got)
	}
}

func TestPageWorksOfflineAndRefreshesItself(t *testing.T) {
	f := newFakeStack()
	doc := parse(t, Handler(f.sources()), "/")
	var script string
	var refresh bool
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			// Nothing loads from elsewhere: no src, no stylesheet link.
			if a.Key == "src" || (n.Data == "link" && a.Key == "href") {
				t.Errorf("<%s %s=%q>: the page must load nothing else", n.Data, a.Key, a.Val)
			}
		}
		switch n.Data {
		case "script":
			script += text(n)
		case "noscript":
			// The parser keeps noscript's content as text when scripting is on.
			refresh = strings.Contains(text(n), `http-equiv="refresh"`)
		}
	}
	if !strings.Contains(script, `fetch("?part=main"`) || !strings.Contains(script, "setTimeout(refresh, 1000)") {
		t.Errorf("script %q does not fetch the content again every second", script)
	}
	if !refresh {
		t.Error("no <noscript> meta refresh for browsers without script")
	}
}

func TestPartIsTheContentAlone(t *testing.T) {
	f := newFakeStack()
	rec := get(t, Handler(f.sources()), "/?part=main")
	body := rec.Body.String()
	if strings.Contains(body, "<html") || strings.Contains(body, "<script") || !strings.Contains(body, `data-region="us-east-1"`) {
		t.Errorf("?part=main is not the content alone:\n%s", body)
	}
}

func TestPageChangesWithTheStack(t *testing.T) {
	f := newFakeStack()
	h := Handler(f.sources())
	at := f.snap.At
	f.mu.Lock()
	west := &f.snap.Regions[1]
	west.Healthy, west.Measured, west.Since = false, false, at
	west.Checks = append(west.Checks, frontdoor.Check{At: at, Status: 503, WritePath: "unavailable"})
	west.Requests = []frontdoor.Request{
		{At: at, Vantage: "eu-west-1", Method: "GET", Path: "/v1/<script>alert(1)</script>", Status: 502, Error: "connection refused"},
	}
	f.snap.Vantages[2].RoutesTo = "eu-central-1"
	healthy := false
	f.snap.Events = []frontdoor.Event{{Seq: 1, At: at, Region: "eu-west-1", Healthy: &healthy, Text: "eu-west-1 is unhealthy: 3 consecutive checks failed"}}
	f.links = append(f.links, Link{From: "eu-west-1", To: "eu-central-1", Backlog: 7, LagMS: 4200, Applied: 3, Note: "cut off"})
	f.write = WriteState{Region: "eu-central-1", Reachable: false, Why: "cut off"}
	f.mu.Unlock()

	rec := get(t, h, "/")
	raw := rec.Body.String()
	if strings.Contains(raw, "<script>alert(1)") {
		t.Error("a request path reached the page unescaped")
	}
	doc, err := html.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	n := all(doc, "data-region")["eu-west-1"]
	if h, _ := attr(n, "data-healthy"); h != "false" || !strings.Contains(text(n), "503 in 0 ms. Path to the write region: unavailable") {
		t.Errorf("eu-west-1: data-healthy %q, text %q; want unhealthy with its last check's answer", h, text(n))
	}
	if got, _ := attr(all(doc, "data-vantage")["eu-west-1"], "data-routes-to"); got != "eu-central-1" {
		t.Errorf("vantage eu-west-1 routes to %q on the page, want eu-central-1", got)
	}
	if got := text(all(doc, "data-vantage")["eu-west-1"]); !strings.Contains(got, "failed over") {
		t.Errorf("vantage eu-west-1 row %q does not say it failed over", got)
	}
	if got := text(all(doc, "data-requests")["eu-west-1"]); !strings.Contains(got, "eu-west-1 GET /v1/<script>alert(1)</script> 502 0 ms") {
		t.Errorf("eu-west-1's requests read %q", got)
	}
	if got := text(all(doc, "data-write-region")["eu-central-1"]); !strings.Contains(got, "unreachable cut off") {
		t.Errorf("write region reads %q, want unreachable with why", got)
	}
	if got := text(all(doc, "data-link")["eu-west-1>eu-central-1"]); !strings.Contains(got, "eu-west-1 → eu-central-1 7 4200 ms 3 0 0 cut off") {
		t.Errorf("stalled link reads %q", got)
	}
	if got := text(all(doc, "id")["events"]); !strings.Contains(got, "eu-west-1 is unhealthy: 3 consecutive checks failed") {
		t.Errorf("events read %q", got)
	}
}

func TestJSON(t *testing.T) {
	f := newFakeStack()
	rec := get(t, Handler(f.sources()), JSONPath)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s", JSONPath, rec.Code, rec.Header().Get("Content-Type"))
	}
	var got Status
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Stack != "prod" || len(got.FrontDoor.Regions) != 3 || len(got.FrontDoor.Vantages) != 4 ||
		got.WriteRegion == nil || *got.WriteRegion != f.write || len(got.Replication) != 1 || got.Replication[0] != f.links[0] {
		t.Errorf("status.json = %+v", got)
	}
	// The field names tools read.
	for _, key := range []string{`"frontDoor"`, `"routesTo"`, `"detectionMs"`, `"writeRegion"`, `"backlog"`, `"lagMs"`, `"ratePerSecond"`, `"busyRatePerSecond"`, `"latencyMs"`} {
		if !strings.Contains(rec.Body.String(), key) {
			t.Errorf("status.json lacks %s", key)
		}
	}
}

func TestWithoutReplicationOrWriteRegion(t *testing.T) {
	f := newFakeStack()
	doc := parse(t, Handler(Sources{Stack: "dev", FrontDoor: f}), "/")
	if got := text(all(doc, "id")["replication"]); !strings.Contains(got, "No replication links") {
		t.Errorf("replication reads %q", got)
	}
	if got := text(all(doc, "id")["write-region"]); !strings.Contains(got, "reports no write region") {
		t.Errorf("write region reads %q", got)
	}
	rec := get(t, Handler(Sources{Stack: "dev", FrontDoor: f}), JSONPath)
	if !strings.Contains(rec.Body.String(), `"replication": []`) {
		t.Errorf("status.json without links: want an empty list, got\n%s", rec.Body)
	}
}

func TestOtherPathsAndMethods(t *testing.T) {
	h := Handler(newFakeStack().sources())
	if rec := get(t, h, "/nothing"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /nothing: %d, want 404", rec.Code)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, local(httptest.NewRequest(http.MethodPost, "/", nil)))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", rec.Code)
	}
}
