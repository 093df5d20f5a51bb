package regionnet

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var regions = []string{"eu-central-1", "eu-west-1", "us-east-1"}

// flat is the same round trip between every two regions.
func flat(rtt time.Duration) func(from, to string) time.Duration {
	return func(string, string) time.Duration { return rtt }
}

func start(t *testing.T, rtt func(from, to string) time.Duration) *Network {
	t.Helper()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "replica answered")
	}))
	t.Cleanup(target.Close)
	n, err := Start(Options{Regions: regions, Target: target.URL, RTT: rtt})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// call posts to the link from->to and reports the status, or the error
// when the link gave no answer within timeout.
func call(t *testing.T, n *Network, from, to string, header http.Header, timeout time.Duration) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.Endpoint(from, to), strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func TestLinksListenOnLoopbackAndForward(t *testing.T) {
	n := start(t, nil)
	for _, from := range regions {
		for _, to := range regions {
			u, err := url.Parse(n.Endpoint(from, to))
			if err != nil || u.Hostname() != "127.0.0.1" {
				t.Errorf("link %s->%s listens on %q, want 127.0.0.1", from, to, n.Endpoint(from, to))
			}
			if status, err := call(t, n, from, to, nil, 5*time.Second); err != nil || status != http.StatusOK {
				t.Errorf("link %s->%s = %d, %v; want 200", from, to, status, err)
			}
		}
	}
	if got := n.Endpoint("eu-central-1", "ap-south-1"); got != "" {
		t.Errorf("Endpoint of an unknown region = %q, want empty", got)
	}
}

func TestBrowserOriginsAreRefused(t *testing.T) {
	n := start(t, nil)
	for _, origin := range []string{"http://evil.example", "null", "http://127.0.0.1:7460"} {
		status, err := call(t, n, "eu-west-1", "eu-west-1", http.Header{"Origin": {origin}}, 5*time.Second)
		if err != nil || status != http.StatusForbidden {
			t.Errorf("Origin %q: %d, %v; want 403", origin, status, err)
		}
	}
}

func TestCrossRegionCallsPayTheRoundTrip(t *testing.T) {
	const rtt = 150 * time.Millisecond
	n := start(t, flat(rtt))
	begin := time.Now()
	if _, err := call(t, n, "us-east-1", "eu-central-1", nil, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// A lower bound only: the link must wait, however slow the machine.
	if elapsed := time.Since(begin); elapsed < rtt {
		t.Errorf("cross-region call took %s, want at least the round trip %s", elapsed, rtt)
	}
}

// pairs is a round-trip table of the test's regions.
func pairs(from, to string) time.Duration {
	switch {
	case from == "us-east-1" || to == "us-east-1":
		return 90 * time.Millisecond
	default:
		return 25 * time.Millisecond
	}
}

func TestEachPairHasItsOwnRoundTrip(t *testing.T) {
	n := start(t, pairs)
	for _, tt := range []struct {
		from, to string
		want     time.Duration
	}{
		{"eu-central-1", "us-east-1", 90 * time.Millisecond},
		{"us-east-1", "eu-west-1", 90 * time.Millisecond},
		{"eu-central-1", "eu-west-1", 25 * time.Millisecond},
		{"us-east-1", "us-east-1", 0}, // within a region: never delayed
		{"eu-central-1", "ap-south-1", 0},
	} {
		if got := n.RTT(tt.from, tt.to); got != tt.want {
			t.Errorf("RTT(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
}

// TestNewConnectionsPayTheHandshakes checks the delay each request gets:
// three round trips on a new connection, one on a reused one.
func TestNewConnectionsPayTheHandshakes(t *testing.T) {
	const rtt = 90 * time.Millisecond
	cross := &link{from: "us-east-1", to: "eu-central-1", rtt: rtt}
	local := &link{from: "eu-central-1", to: "eu-central-1"}
	c := &conn{}
	ctx := context.WithValue(t.Context(), connKey{}, c)
	if got, want := cross.delay(ctx), (1+HandshakeRoundTrips)*rtt; got != want {
		t.Errorf("first request on a new connection waits %s, want %s (TCP and TLS handshakes, then the request)", got, want)
	}
	if got := cross.delay(ctx); got != rtt {
		t.Errorf("second request on the same connection waits %s, want the round trip %s", got, rtt)
	}
	if got := cross.delay(context.WithValue(t.Context(), connKey{}, &conn{})); got != 3*rtt {
		t.Errorf("a second connection's first request waits %s, want %s", got, 3*rtt)
	}
	if got := local.delay(context.WithValue(t.Context(), connKey{}, &conn{})); got != 0 {
		t.Errorf("a new connection within a region waits %s, want 0", got)
	}
}

// TestHandshakesOverTheWire checks that the link tells connections apart:
// a client that opens a new connection for every request pays the
// handshakes every time. Lower bounds only, which hold however slow the
// machine; the exact delays are TestNewConnectionsPayTheHandshakes'.
func TestHandshakesOverTheWire(t *testing.T) {
	const rtt = 60 * time.Millisecond
	n := start(t, flat(rtt))
	cold := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 2 {
		begin := time.Now()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, n.Endpoint("us-east-1", "eu-central-1"), strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cold.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if elapsed, want := time.Since(begin), (1+HandshakeRoundTrips)*rtt; elapsed < want {
			t.Errorf("request %d on a new connection took %s, want at least %s", i+1, elapsed, want)
		}
	}
}

func TestCutOffIsAPartition(t *testing.T) {
	n := start(t, nil)
	if err := n.CutOff("eu-central-1"); err != nil {
		t.Fatal(err)
	}
	const wait = 300 * time.Millisecond
	for _, tt := range []struct {
		from, to string
		reaches  bool
	}{
		{"eu-central-1", "eu-central-1", true}, // its own functions keep working
		{"eu-west-1", "eu-central-1", false},   // into the partition
		{"eu-central-1", "us-east-1", false},   // out of it
		{"eu-west-1", "us-east-1", true},       // the rest of the world
		{"us-east-1", "us-east-1", true},
	} {
		status, err := call(t, n, tt.from, tt.to, nil, wait)
		if got := err == nil && status == http.StatusOK; got != tt.reaches {
			t.Errorf("%s->%s with eu-central-1 cut off: %d, %v; reaches = %v, want %v", tt.from, tt.to, status, err, got, tt.reaches)
		}
		if !tt.reaches && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s->%s failed with %v, want it to hang until the caller gives up", tt.from, tt.to, err)
		}
	}
	if got := n.States()[0]; !got.CutOff || got.Down {
		t.Errorf("state = %+v, want cut off and not down", got)
	}
	if err := n.Reconnect("eu-central-1"); err != nil {
		t.Fatal(err)
	}
	if status, err := call(t, n, "eu-west-1", "eu-central-1", nil, 5*time.Second); err != nil || status != http.StatusOK {
		t.Errorf("after Reconnect: %d, %v; want 200", status, err)
	}
	if err := n.CutOff("mars-north-1"); err == nil {
		t.Error("CutOff of an unknown region succeeded")
	}
}

func TestDownReplicaRefusesEveryone(t *testing.T) {
	n := start(t, nil)
	if err := n.TakeDown("eu-west-1"); err != nil {
		t.Fatal(err)
	}
	for _, from := range regions {
		if status, err := call(t, n, from, "eu-west-1", nil, 5*time.Second); err == nil {
			t.Errorf("%s->eu-west-1 with the replica down answered %d, want a dropped connection", from, status)
		} else if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s->eu-west-1 hung; a down replica refuses at once", from)
		}
	}
	if status, err := call(t, n, "eu-west-1", "us-east-1", nil, 5*time.Second); err != nil || status != http.StatusOK {
		t.Errorf("eu-west-1->us-east-1: %d, %v; the other replicas stay up", status, err)
	}
	if err := n.BringUp("eu-west-1"); err != nil {
		t.Fatal(err)
	}
	if status, err := call(t, n, "us-east-1", "eu-west-1", nil, 5*time.Second); err != nil || status != http.StatusOK {
		t.Errorf("after BringUp: %d, %v; want 200", status, err)
	}
}

func TestLostRegionIsDarkButForItsOwnStream(t *testing.T) {
	n := start(t, nil)
	if err := n.Lose("eu-central-1"); err != nil {
		t.Fatal(err)
	}
	stream := http.Header{"X-Amz-Target": {"DynamoDBStreams_20120810.GetRecords"}}
	get := http.Header{"X-Amz-Target": {"DynamoDB_20120810.GetItem"}}
	for _, tt := range []struct {
		name     string
		from, to string
		header   http.Header
		reaches  bool
	}{
		{"its own functions", "eu-central-1", "eu-central-1", get, false},
		{"into it", "eu-west-1", "eu-central-1", get, false},
		{"out of it", "eu-central-1", "us-east-1", get, false},
		{"its stream from another region", "us-east-1", "eu-central-1", stream, false},
		{"its stream from within", "eu-central-1", "eu-central-1", stream, true},
		{"the rest of the world", "eu-west-1", "us-east-1", get, true},
	} {
		status, err := call(t, n, tt.from, tt.to, tt.header, 5*time.Second)
		if got := err == nil && status == http.StatusOK; got != tt.reaches {
			t.Errorf("%s (%s->%s) with eu-central-1 lost: %d, %v; reaches = %v, want %v", tt.name, tt.from, tt.to, status, err, got, tt.reaches)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s (%s->%s) hung; a lost region refuses at once", tt.name, tt.from, tt.to)
		}
	}
	if got, want := n.States()[0], (State{Region: "eu-central-1", CutOff: true, Down: true, Lost: true}); got != want {
		t.Errorf("state = %+v, want %+v", got, want)
	}
	if err := n.Return("eu-central-1"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range [][2]string{{"eu-central-1", "eu-central-1"}, {"eu-west-1", "eu-central-1"}, {"eu-central-1", "us-east-1"}} {
		if status, err := call(t, n, tt[0], tt[1], get, 5*time.Second); err != nil || status != http.StatusOK {
			t.Errorf("%s->%s after Return: %d, %v; want 200", tt[0], tt[1], status, err)
		}
	}
	if got := n.States()[0]; got.CutOff || got.Down || got.Lost {
		t.Errorf("state after Return = %+v, want nothing wrong", got)
	}
	if err := n.Lose("mars-north-1"); err == nil {
		t.Error("Lose of an unknown region succeeded")
	}
}
