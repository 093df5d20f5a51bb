package localcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/localcloud/frontdoor"
	"github.com/hush-scores/hush/localcloud/statuspage"
)

// TestFrontDoor starts a three-region stack and checks what the front door
// adds: a vantage per region answered by that region, a default vantage
// answered by the write region, failover when a gateway stops, the status
// page and its drill controls, and region URLs that answer as before.
func TestFrontDoor(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	s := start(t, localcloud.Options{
		Stack: "test", Regions: []string{"eu-central-1", "eu-west-1", "us-east-1"}, DataDir: t.TempDir(),
		FrontDoor: localcloud.FrontDoorOptions{CheckInterval: 100 * time.Millisecond, CheckThreshold: 2, Inverted: []string{"us-east-1"}},
	})
	info := s.Info()
	if info.FrontDoorURL == "" || info.StatusURL == "" {
		t.Fatalf("Info() lacks the front door (%q) or the status page (%q)", info.FrontDoorURL, info.StatusURL)
	}
	answeredBy := func(base string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/v1/hello", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.Header.Get(frontdoor.HeaderRegion)
	}
	if got := answeredBy(info.FrontDoorURL); got != "eu-central-1" {
		t.Errorf("the default front door is answered by %q, want the write region eu-central-1", got)
	}
	// us-east-1 starts with its check inverted: its clients go to the next
	// nearest region, eu-west-1.
	for region, want := range map[string]string{"eu-central-1": "eu-central-1", "eu-west-1": "eu-west-1", "us-east-1": "eu-west-1"} {
		if got := answeredBy(frontDoorOf(t, info, region)); got != want {
			t.Errorf("the front door near %s is answered by %q, want %s", region, got, want)
		}
	}
	// The body is the region's own, with the stage in the path as the base
	// path mapping puts it.
	if body := get(t, frontDoorOf(t, info, "eu-west-1")+"/v1/hello", 200); !strings.Contains(body, "eu-west-1") {
		t.Errorf("hello through the front door = %q", body)
	}
	get(t, frontDoorOf(t, info, "eu-west-1")+"/"+info.Stack+"/v1/hello", 403)

	c := &drill.Client{BaseURL: info.StatusURL}
	if err := c.Restore(t.Context(), drill.Invert, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	if got := answeredBy(frontDoorOf(t, info, "us-east-1")); got != "us-east-1" {
		t.Errorf("with its check no longer inverted, us-east-1's clients go to %q", got)
	}
	if err := c.Break(t.Context(), drill.Gateway, "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	// The region's own URL refuses connections while its gateway is down.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, info.URL("eu-west-1")+"/v1/hello", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("eu-west-1's gateway answered %s while stopped", resp.Status)
	}
	waitRoute(t, c, "eu-west-1", "eu-central-1")
	if err := c.Restore(t.Context(), drill.Gateway, "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	waitRoute(t, c, "eu-west-1", "eu-west-1")
	get(t, info.URL("eu-west-1")+"/v1/hello", 200)

	st, err := c.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range st.FrontDoor.Regions {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"eu-central-1", "eu-west-1", "us-east-1"}) || st.WriteRegion == nil || st.WriteRegion.Region != "eu-central-1" {
		t.Errorf("status: regions %v, write region %+v", names, st.WriteRegion)
	}
	// A web page cannot break the stack: the drill controls refuse browsers.
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, info.StatusURL+drill.FaultPath, strings.NewReader(`{"fault":"gateway","region":"eu-west-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://example.com")
	send(t, req, http.StatusForbidden)
	if page := get(t, info.StatusURL+"/", 200); !strings.Contains(page, `data-region="us-east-1"`) {
		t.Error("the status page does not show us-east-1")
	}
}

func frontDoorOf(t *testing.T, info localcloud.Info, region string) string {
	t.Helper()
	for _, r := range info.Regions {
		if r.Name == region && r.FrontDoorURL != "" {
			return r.FrontDoorURL
		}
	}
	t.Fatalf("no front door near %s in %+v", region, info.Regions)
	return ""
}

// waitRoute waits until the front door near vantage routes to want. Checks
// run every 100 ms; the 20 s limit only guards against a hang.
func waitRoute(t *testing.T, c *drill.Client, vantage, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var st statuspage.Status
	for ctx.Err() == nil {
		var err error
		if st, err = c.Status(ctx); err != nil {
			t.Fatal(err)
		}
		for _, v := range st.FrontDoor.Vantages {
			if v.Name == vantage && v.RoutesTo == want {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := json.MarshalIndent(st.FrontDoor.Vantages, "", " ")
	t.Fatalf("the front door near %s never routed to %s: %s", vantage, want, b)
}
