package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud/distance"
	"github.com/hush-scores/hush/localcloud/regionnet"
)

// farthestFrom returns the region of regions with the longest round trip
// from region, by the table the local cloud's links delay calls with.
func farthestFrom(t *testing.T, region string, regions []string) (string, time.Duration) {
	t.Helper()
	far, rtt := "", time.Duration(-1)
	for _, r := range regions {
		d, ok := distance.RTT(region, r)
		if !ok {
			t.Fatalf("the round-trip table has no figure for %s and %s", region, r)
		}
		if d > rtt {
			far, rtt = r, d
		}
	}
	return far, rtt
}

// freshChild is set in the child process TestMultiRegionFarthestHealthAfterStart
// runs itself in, whose TestMain has just started a local prod stack for it.
const freshChild = "HUSH_E2E_FRESH_STACK"

// TestMultiRegionFarthestHealthAfterStart asks the region farthest from the
// write region for /v1/health right after a local prod stack started, with
// the cloud's distances and bounds: its first write-path probe runs on a
// cold connection across the ocean (TCP and TLS handshakes, then the read:
// three round trips) and must fit the probe's bound, so the runbook's check
// of write_path right after a deploy does not mislead. The suite's stack has
// warm connections by the time this test runs, so the test runs itself again
// alone in a child process, whose own fresh stack it then checks. Against a
// deployed stack it checks the same region without the fresh start.
func TestMultiRegionFarthestHealthAfterStart(t *testing.T) {
	if localStack != nil && os.Getenv(freshChild) == "" {
		ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
		defer cancel()
		began := time.Now()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMultiRegionFarthestHealthAfterStart$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), freshChild+"=1")
		out, err := cmd.CombinedOutput()
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "distance_test.go") || strings.Contains(line, "--- ") {
				t.Log(strings.TrimSpace(line))
			}
		}
		if err != nil {
			t.Fatalf("the child run on a fresh local prod stack failed after %s: %v\n%s", time.Since(began).Round(time.Millisecond), err, out)
		}
		return
	}
	began := time.Now()
	writeRegion := ""
	if localStack != nil {
		writeRegion = localStack.ReadWriteRegion(t.Context())
	} else {
		var h struct {
			WriteRegion string `json:"write_region"`
		}
		decode(t, "GET /v1/health", do(t, "GET", tgt.URLs[tgt.Home]+"/v1/health", "", nil), &h)
		writeRegion = h.WriteRegion
	}
	far, rtt := farthestFrom(t, writeRegion, tgt.regions())
	if far == writeRegion {
		t.Fatalf("the stack has no region but its write region %s; this test needs prod's regions", writeRegion)
	}

	// The first probe's result is kept for 5 s; while it runs, health says
	// "unknown" (the front door's first check may have started it). The
	// first settled answer is therefore the first probe's.
	for {
		r := do(t, "GET", tgt.URLs[far]+"/v1/health", "", nil)
		wantStatus(t, "GET /v1/health in "+far, r, 200)
		var got struct {
			Status      string `json:"status"`
			WriteRegion string `json:"write_region"`
			WritePath   string `json:"write_path"`
		}
		decode(t, "GET /v1/health in "+far, r, &got)
		if got.WritePath == "unknown" && time.Since(began) < 5*time.Second {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		t.Logf("%s is %s from the write region %s (%s on a new connection); its health answered %s %.0f ms after the first request",
			far, rtt, writeRegion, (1+regionnet.HandshakeRoundTrips)*rtt, r.Body, float64(time.Since(began).Microseconds())/1000)
		if got.Status != "ok" || got.WriteRegion != writeRegion || got.WritePath != "ok" {
			t.Errorf("health in %s right after the start = %s; want status ok, write_region %s, write_path ok", far, r.Body, writeRegion)
		}
		return
	}
}
