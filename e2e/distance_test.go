package e2e

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud"
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

// TestMultiRegionFarthestHealthAfterStart starts a fresh local prod stack,
// with the cloud's bounds and distances, and asks the region farthest from
// the write region for /v1/health at once: its first write-path probe runs
// on a cold connection across the ocean (TCP and TLS handshakes, then the
// read: three round trips) and must fit the probe's bound, so the runbook's
// check of write_path right after a deploy does not mislead. Against a
// deployed stack it checks the same region without the fresh start.
func TestMultiRegionFarthestHealthAfterStart(t *testing.T) {
	urls, writeRegion := tgt.URLs, ""
	began := time.Now()
	if localStack != nil {
		// Its own stack: the suite's shared one has warm connections by now.
		var progress bytes.Buffer
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		defer cancel()
		s, err := localcloud.Start(ctx, localcloud.Options{Stack: "prod", DataDir: t.TempDir(), Progress: &progress})
		if err != nil {
			t.Fatalf("start a fresh local prod stack: %v\n%s", err, progress.String())
		}
		defer s.Close()
		info := s.Info()
		urls = map[string]string{}
		for _, r := range info.Regions {
			urls[r.Name] = r.URL
		}
		writeRegion = s.WriteRegion()
		t.Logf("a fresh local prod stack started in %s, write region %s", time.Since(began).Round(time.Millisecond), writeRegion)
	} else {
		var h struct {
			WriteRegion string `json:"write_region"`
		}
		decode(t, "GET /v1/health", do(t, "GET", tgt.URLs[tgt.Home]+"/v1/health", "", nil), &h)
		writeRegion = h.WriteRegion
	}
	var regions []string
	for r := range urls {
		regions = append(regions, r)
	}
	far, rtt := farthestFrom(t, writeRegion, regions)
	if far == writeRegion {
		t.Fatalf("the stack has no region but its write region %s; this test needs prod's regions", writeRegion)
	}

	// The first probe's result is kept for 5 s; while it runs, health says
	// "unknown" (the front door's first check may have started it). The
	// first settled answer is therefore the first probe's.
	asked := time.Now()
	for {
		r := do(t, "GET", urls[far]+"/v1/health", "", nil)
		wantStatus(t, "GET /v1/health in "+far, r, 200)
		var got struct {
			Status      string `json:"status"`
			WriteRegion string `json:"write_region"`
			WritePath   string `json:"write_path"`
		}
		decode(t, "GET /v1/health in "+far, r, &got)
		if got.WritePath == "unknown" && time.Since(asked) < 5*time.Second {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		t.Logf("%s is %s from the write region %s (%s on a new connection); its health answered %s %.0f ms after the first request, %s after the start began",
			far, rtt, writeRegion, (1+regionnet.HandshakeRoundTrips)*rtt, r.Body, float64(time.Since(asked).Microseconds())/1000, time.Since(began).Round(time.Millisecond))
		if got.Status != "ok" || got.WriteRegion != writeRegion || got.WritePath != "ok" {
			t.Errorf("health in %s right after the start = %s; want status ok, write_region %s, write_path ok", far, r.Body, writeRegion)
		}
		return
	}
}
