package drill

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud/frontdoor"
	"github.com/hush-scores/hush/localcloud/statuspage"
)

var prod = []string{"eu-central-1", "eu-west-1", "us-east-1"}

// fakeRegion is a region's gateway that can be broken two ways.
type fakeRegion struct {
	srv *httptest.Server
	// down drops every connection, as a stopped gateway refuses them.
	down atomic.Bool
	// noTable makes health answer 503, as with the replica down.
	noTable atomic.Bool
}

func newFakeRegion(t *testing.T, name string) *fakeRegion {
	t.Helper()
	f := &fakeRegion{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		if f.noTable.Load() {
			http.Error(w, `{"status":"unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, `{"status":"ok","region":%q}`, name)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// fakeStack is a front door over fake regions, with the status page and
// the control endpoints served as the local stack serves them.
type fakeStack struct {
	fd      *frontdoor.FrontDoor
	regions map[string]*fakeRegion
	url     string

	mu     sync.Mutex
	calls  []string
	write  string
	forced bool
}

func newFakeStack(t *testing.T) *fakeStack {
	t.Helper()
	s := &fakeStack{regions: map[string]*fakeRegion{}, write: "eu-central-1"}
	var rs []frontdoor.Region
	for _, name := range prod {
		f := newFakeRegion(t, name)
		s.regions[name] = f
		rs = append(rs, frontdoor.Region{Name: name, URL: f.srv.URL + "/prod"})
	}
	fd, err := frontdoor.Start(frontdoor.Options{Regions: rs, Interval: 20 * time.Millisecond, Threshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	s.fd = fd
	for _, v := range append([]string{""}, prod...) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := fd.Serve(l, v); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/drill/", Handler(s))
	mux.Handle("/", statuspage.Handler(statuspage.Sources{Stack: "prod", FrontDoor: fd}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *fakeStack) Break(_ context.Context, f Fault, region string) error {
	return s.set(f, region, true)
}

func (s *fakeStack) Restore(_ context.Context, f Fault, region string) error {
	return s.set(f, region, false)
}

func (s *fakeStack) set(f Fault, region string, on bool) error {
	s.mu.Lock()
	s.calls = append(s.calls, fmt.Sprintf("%s %s %v", f, region, on))
	s.mu.Unlock()
	r, ok := s.regions[region]
	if !ok {
		return fmt.Errorf("no region %q", region)
	}
	switch f {
	case Gateway:
		r.down.Store(on)
	case Replica:
		r.noTable.Store(on)
	case Invert:
		return s.fd.SetInverted(region, on)
	case CutOff:
		// Nothing the front door sees: the region's gateway still answers.
	}
	return nil
}

func (s *fakeStack) MoveWriteRegion(_ context.Context, region string, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.write, s.forced = region, force
	return nil
}

func TestDrills(t *testing.T) {
	tests := []struct {
		fault      Fault
		wantFailed bool
	}{
		{Gateway, true},
		{Replica, true},
		{Invert, false}, // the region is not broken: nothing fails
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			s := newFakeStack(t)
			var out bytes.Buffer
			res, err := Run(t.Context(), &Client{BaseURL: s.url}, Plan{Fault: tt.fault, Region: "eu-west-1", Pace: 5 * time.Millisecond}, &out)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out.String())
			}
			if res.Next != "eu-central-1" {
				t.Errorf("traffic went to %s, want the next nearest, eu-central-1\n%s", res.Next, out.String())
			}
			if res.Failover <= 0 || res.Failback <= 0 || res.Noticed <= 0 && tt.fault != Invert {
				t.Errorf("times: %+v, want failover, failback and when it was noticed", res)
			}
			if (res.Failed > 0) != tt.wantFailed || res.Failed > res.Requests {
				t.Errorf("%d of %d requests failed; want some: %v", res.Failed, res.Requests, tt.wantFailed)
			}
			for _, want := range []string{
				"a client near eu-west-1 (http://127.0.0.1:",
				"broke: ",
				"front door: eu-west-1 is unhealthy",
				"front door: vantage eu-west-1 now routes to eu-central-1",
				"traffic near eu-west-1 is now answered by eu-central-1",
				"restored: ",
				"front door: eu-west-1 is healthy",
				"traffic near eu-west-1 is answered by eu-west-1 again",
				"drill: failover ",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("narration lacks %q:\n%s", want, out.String())
				}
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if want := []string{fmt.Sprintf("%s eu-west-1 true", tt.fault), fmt.Sprintf("%s eu-west-1 false", tt.fault)}; strings.Join(s.calls, ";") != strings.Join(want, ";") {
				t.Errorf("calls %q, want %q", s.calls, want)
			}
		})
	}
}

func TestDrillOfAnUnknownRegion(t *testing.T) {
	s := newFakeStack(t)
	_, err := Run(t.Context(), &Client{BaseURL: s.url}, Plan{Fault: Gateway, Region: "sa-east-1"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "eu-central-1, eu-west-1, us-east-1") {
		t.Errorf("Run: %v, want an error naming the stack's regions", err)
	}
}

func TestDrillRestoresWhenTrafficDoesNotMove(t *testing.T) {
	s := newFakeStack(t)
	// A cut-off leaves a region's own clients served by it: traffic never
	// moves, so the drill runs out of time, fails and restores.
	var out bytes.Buffer
	_, err := Run(t.Context(), &Client{BaseURL: s.url}, Plan{Fault: CutOff, Region: "us-east-1", Timeout: 300 * time.Millisecond}, &out)
	if err == nil || !strings.Contains(err.Error(), "traffic near us-east-1 did not move: still 200 from us-east-1") {
		t.Fatalf("Run: %v, want that traffic did not move", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := strings.Join(s.calls, ";"); got != "cutoff us-east-1 true;cutoff us-east-1 false" {
		t.Errorf("calls %q, want the fault restored", got)
	}
}

func TestDrillRefusedByTheStack(t *testing.T) {
	s := newFakeStack(t)
	s.regions["eu-west-1"].noTable.Store(true)
	// eu-west-1 is already failing: the drill refuses to start.
	_, err := Run(t.Context(), &Client{BaseURL: s.url}, Plan{Fault: Invert, Region: "eu-west-1"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "is a fault already in place?") {
		t.Errorf("Run with the region already failing: %v", err)
	}
}

func TestEveryRegion(t *testing.T) {
	s := newFakeStack(t)
	var out bytes.Buffer
	got, err := EveryRegion(t.Context(), &Client{BaseURL: s.url}, 0, &out)
	if err != nil {
		t.Fatalf("EveryRegion: %v\n%s", err, out.String())
	}
	for _, v := range prod {
		if got[v] != v {
			t.Errorf("near %s answered by %s, want %s itself", v, got[v], v)
		}
	}
	if r := s.fd.Route("eu-west-1"); r.AllUnhealthy || r.Region != "eu-west-1" {
		t.Errorf("after the drill: %+v, want every check restored", r)
	}
	if !strings.Contains(out.String(), "every vantage is answered by its own region, with every region healthy") {
		t.Errorf("narration:\n%s", out.String())
	}
}

func TestControlEndpoints(t *testing.T) {
	s := newFakeStack(t)
	post := func(path, contentType, body string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	tests := []struct {
		name, path, ctype, body string
		status                  int
		want                    string
	}{
		{"break", FaultPath, "application/json", `{"fault":"invert","region":"eu-west-1"}`, 204, ""},
		{"restore", FaultPath, "application/json; charset=utf-8", `{"fault":"invert","region":"eu-west-1","restore":true}`, 204, ""},
		{"form posts are refused", FaultPath, "application/x-www-form-urlencoded", `fault=invert&region=eu-west-1`, 415, "application/json"},
		{"unknown fault", FaultPath, "application/json", `{"fault":"melt","region":"eu-west-1"}`, 400, "gateway, replica, cutoff, invert"},
		{"no region", FaultPath, "application/json", `{"fault":"gateway"}`, 400, "a region of the stack"},
		{"unknown field", FaultPath, "application/json", `{"fault":"gateway","region":"eu-west-1","x":1}`, 400, "not the JSON object"},
		{"not JSON", FaultPath, "application/json", `{`, 400, "not the JSON object"},
		{"the stack refuses", FaultPath, "application/json", `{"fault":"gateway","region":"sa-east-1"}`, 409, `no region \"sa-east-1\"`},
		{"write region", WriteRegionPath, "application/json", `{"region":"us-east-1","force":true}`, 204, ""},
		{"write region missing", WriteRegionPath, "application/json", `{}`, 400, "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(tt.path, tt.ctype, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("POST %s %s: %d %q, want %d containing %q", tt.path, tt.body, status, body, tt.status, tt.want)
			}
		})
	}
	if s.write != "us-east-1" || !s.forced {
		t.Errorf("write region %q (forced %v) after the move, want us-east-1 forced", s.write, s.forced)
	}
	c := &Client{BaseURL: s.url}
	if err := c.Break(t.Context(), Gateway, "sa-east-1"); err == nil || !strings.Contains(err.Error(), `409 Conflict: no region "sa-east-1"`) {
		t.Errorf("Client.Break: %v, want the stack's refusal", err)
	}
	if _, err := (&Client{BaseURL: "http://" + closedAddr(t)}).Status(t.Context()); err == nil || !strings.Contains(err.Error(), "is hush-local running there?") {
		t.Errorf("Status of nothing: %v", err)
	}
}

func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
