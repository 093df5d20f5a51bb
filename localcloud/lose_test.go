package localcloud_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/localcloud/frontdoor"
)

// refused checks that a GET of url finds nothing listening: the connection
// is refused at once, as a lost region's endpoints are.
func refused(t *testing.T, what, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Errorf("%s (%s) answered %d while lost, want the connection refused", what, url, resp.StatusCode)
		return
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("%s (%s) while lost: %v, want the connection refused", what, url, err)
	}
}

// pendingMatches returns the match IDs among the changes from->to that
// replication has not delivered.
func pendingMatches(s *localcloud.Stack, from, to string) []string {
	var ids []string
	for _, p := range s.PendingReplication(from, to) {
		if id, ok := strings.CutPrefix(p.Keys["SK"], "MATCH#"); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// waitPending waits until the link from->to has match id pending.
func waitPending(t *testing.T, s *localcloud.Stack, from, to, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ids := pendingMatches(s, from, to)
		for _, got := range ids {
			if got == id {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s->%s pending %v, want %s among them", from, to, ids, id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLoseAndRestore loses the home region of a two-region stack right
// after a write in it: its gateway, its replica (seen from the other
// region's functions), the user pool and the front door's checks find it
// dark, its write waits in replication, and a write made elsewhere
// meanwhile waits for it. Restored, it answers with what it held and both
// writes are delivered.
func TestLoseAndRestore(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	startCtx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := localcloud.StartTemp(startCtx, localcloud.Options{
		Stack: "test", Regions: regions,
		FrontDoor: localcloud.FrontDoorOptions{CheckInterval: 200 * time.Millisecond, CheckThreshold: 2},
	})
	if err != nil {
		t.Fatalf("StartTemp: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	info := s.Info()
	ctx := t.Context()
	const home, other = "eu-central-1", "us-east-1"
	if info.HomeRegion != home {
		t.Fatalf("home region %s, want %s", info.HomeRegion, home)
	}
	token := newUser(t, info, "lena")
	// Each region writes its own replica, so that a write can be made in
	// the lost region just before the loss and in the other one during it.
	if err := s.SetWriteRouting(ctx, false); err != nil {
		t.Fatal(err)
	}
	match := func(id string) string {
		return `{"tournament_id":"t1","match_id":"` + id + `","player1":"ann","player2":"bea","score":"5,4,9"}`
	}
	put(t, info.URL(home), token, match("before"))
	eventually(t, info.URL(other)+"/v1/tournament/t1/match/before", 200)

	// Cut off first, so that the write cannot leave before the loss
	// however slow the machine is; the loss then replaces the cut-off.
	if err := s.Faults().Break(ctx, drill.CutOff, home); err != nil {
		t.Fatal(err)
	}
	put(t, info.URL(home), token, match("unreplicated"))
	if err := s.Faults().Break(ctx, drill.Lose, home); err != nil {
		t.Fatalf("lose %s: %v", home, err)
	}
	if err := s.Faults().Restore(ctx, drill.CutOff, home); err != nil {
		t.Fatal(err)
	}
	if !s.Lost(home) || s.Lost(other) {
		t.Errorf("Lost(%s), Lost(%s) = %v, %v; want true, false", home, other, s.Lost(home), s.Lost(other))
	}
	refused(t, "the gateway", info.URL(home)+"/v1/health")
	refused(t, "Cognito in the home region", info.CognitoEndpoint)
	if _, err := initiateAuth(info, "lena"); err == nil {
		t.Error("signed in while the home region is lost")
	}
	// The other region's functions reach the lost replica through the
	// network: refused at once, so health reports the probe down fast.
	if err := s.SetWriteRouting(ctx, true); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, info.URL(other)+"/v1/tournament/match", strings.NewReader(match("refused")))
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	began := time.Now()
	send(t, req, http.StatusServiceUnavailable)
	t.Logf("a write routed into the lost replica answered 503 in %s", time.Since(began).Round(time.Millisecond))
	if err := s.SetWriteRouting(ctx, false); err != nil {
		t.Fatal(err)
	}
	waitPending(t, s, home, other, "unreplicated")
	get(t, info.URL(other)+"/v1/tournament/t1/match/unreplicated", http.StatusNotFound)
	put(t, info.URL(other), token, match("meanwhile"))
	waitPending(t, s, other, home, "meanwhile")
	// The front door takes the lost region out: a client near it is
	// answered by the other region.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(info.Regions[0].FrontDoorURL + "/v1/health") //nolint:noctx // a test poll of the stack's own URL
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && resp.Header.Get(frontdoor.HeaderRegion) == other {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the front door near %s never moved to %s (last: %v %v)", home, other, resp, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := s.Faults().Restore(ctx, drill.Lose, home); err != nil {
		t.Fatalf("restore %s: %v", home, err)
	}
	if s.Lost(home) {
		t.Errorf("Lost(%s) after the restore", home)
	}
	// Back with what it held, and delivered both ways.
	get(t, info.URL(home)+"/v1/tournament/t1/match/before", http.StatusOK)
	get(t, info.URL(home)+"/v1/tournament/t1/match/unreplicated", http.StatusOK)
	eventually(t, info.URL(other)+"/v1/tournament/t1/match/unreplicated", 200)
	eventually(t, info.URL(home)+"/v1/tournament/t1/match/meanwhile", 200)
	if _, err := initiateAuth(info, "lena"); err != nil {
		t.Errorf("sign in after the restore: %v", err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for _, link := range [][2]string{{home, other}, {other, home}} {
		for ids := pendingMatches(s, link[0], link[1]); len(ids) != 0; ids = pendingMatches(s, link[0], link[1]) {
			if time.Now().After(deadline) {
				t.Fatalf("%s->%s still pending %v 30 s after the restore", link[0], link[1], ids)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := s.Faults().Break(ctx, drill.Lose, "mars-1"); err == nil {
		t.Error("losing a region outside the stack succeeded")
	}
}
