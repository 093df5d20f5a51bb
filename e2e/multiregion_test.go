package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/localcloud"
)

// convergeBound bounds every wait for replication. On the local stack the
// replication delay is a few hundred ms; deployed global tables replicate
// within seconds.
const convergeBound = 120 * time.Second

// figure prints a measured figure where `go test` shows it without -v.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	t.Log(msg)
	fmt.Fprintf(os.Stderr, "e2e figure: %s: %s\n", t.Name(), msg)
}

// multiRegion skips a test that needs several regions when the target has
// one, saying why.
func multiRegion(t *testing.T) []string {
	t.Helper()
	regions := tgt.regions()
	if len(regions) < 2 {
		t.Skipf("the target (%s) has one region; multi-region behaviour needs a stack with several (prod, or the local stack the suite starts)", tgt.Source)
	}
	return regions
}

// converge waits until GET url answers, in every region, what want accepts,
// and returns how long each region took.
func converge(t *testing.T, path string, want func(response) bool) map[string]time.Duration {
	t.Helper()
	start := time.Now()
	took := map[string]time.Duration{}
	for _, region := range tgt.regions() {
		for {
			r := do(t, http.MethodGet, tgt.URLs[region]+path, "", nil)
			if want(r) {
				took[region] = time.Since(start)
				break
			}
			if time.Since(start) > convergeBound {
				t.Fatalf("%s in %s: %s after %s, never what was expected", path, region, r, convergeBound)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return took
}

// isMatch accepts a 200 whose match has the given score and recorder.
func isMatch(score, recordedBy string) func(response) bool {
	return func(r response) bool {
		var m match
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &m) == nil && m.Score == score && m.RecordedBy == recordedBy
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// TestMultiRegionEmulatorIsFaithful proves the local global table is one:
// two writes of one key straight into two regions' replicas within the
// replication delay both succeed (no region checks with another), and every
// replica then converges on the same version. Without this, the race tests
// below would pass for a reason AWS does not have.
func TestMultiRegionEmulatorIsFaithful(t *testing.T) {
	multiRegion(t)
	s := requireLocal(t, "it writes straight into the replicas")
	info := s.Info()
	regions := tgt.regions()
	clients := map[string]*dynamodb.Client{}
	for _, r := range regions {
		c, err := dynamolocal.NewClient(t.Context(), info.DynamoDBEndpoint, r, dynamolocal.Credentials(info.Secret))
		if err != nil {
			t.Fatal(err)
		}
		clients[r] = c
	}
	key := map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "E2E#" + runID},
		"SK": &types.AttributeValueMemberS{Value: "faithful"},
	}
	t.Cleanup(func() {
		_, _ = clients[regions[0]].DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(info.Table), Key: key})
	})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, r := range regions[:2] {
		wg.Go(func() {
			item := map[string]types.AttributeValue{"PK": key["PK"], "SK": key["SK"], "written_in": &types.AttributeValueMemberS{Value: r}}
			// Each write is conditional on the key being new in its replica,
			// as POST's is: both hold, since neither replica has seen the other.
			_, errs[i] = clients[r].PutItem(t.Context(), &dynamodb.PutItemInput{
				TableName: aws.String(info.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)"),
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("conditional write in %s's replica: %v; both must succeed, as in a real global table", regions[i], err)
		}
	}
	start := time.Now()
	for {
		var got []string
		for _, r := range regions {
			out, err := clients[r].GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(info.Table), Key: key, ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := out.Item["written_in"].(*types.AttributeValueMemberS)
			if v == nil {
				got = append(got, "")
			} else {
				got = append(got, v.Value)
			}
		}
		if got[0] != "" && !slices.ContainsFunc(got, func(s string) bool { return s != got[0] }) {
			figure(t, "both conditional writes succeeded; every replica converged on the version written in %s after %s", got[0], time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > convergeBound {
			t.Fatalf("replicas never converged: %v in %v", got, regions)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// raceCreate sends n POSTs of one match at once, spread over every region.
func raceCreate(t *testing.T, alice user, tid string, n int) []outcome {
	t.Helper()
	regions := tgt.regions()
	body := matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, "5,4,9")
	out := make([]outcome, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-ready
			out[i] = callOnce(t.Context(), http.MethodPost, tgt.URLs[regions[i%len(regions)]]+"/v1/tournament/match", alice.IDToken, body)
		})
	}
	close(ready)
	wg.Wait()
	return out
}

// TestMultiRegionCreateOnce sends 50 creates of one match at once through
// every region: exactly one wins, 49 are told it exists, and every region
// ends with the winner. The control run switches write routing off (each
// region writes its own replica, as before the write region) and must see
// more than one 200, which proves the test can fail.
func TestMultiRegionCreateOnce(t *testing.T) {
	multiRegion(t)
	alice, _ := users(t)
	const n = 50
	tid := tournament("mr-create")
	out := raceCreate(t, alice, tid, n)
	counts := statusCounts(out)
	figure(t, "%d creates of one match over %d regions: %v", n, len(tgt.regions()), counts)
	var winner match
	for _, o := range out {
		switch {
		case o.Err != nil:
			t.Errorf("create: %s", o)
		case o.Status == http.StatusOK:
			_ = json.Unmarshal(o.Body, &winner)
			rememberMatch(matchURL(homeURL(), tid, "m1"), alice.IDToken)
		case o.Status == http.StatusConflict:
			if !strings.Contains(string(o.Body), "exists already") {
				t.Errorf("409 body %s, want it to say the match exists already", o.Body)
			}
		default:
			t.Errorf("create: %s, want 200 or 409", o)
		}
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != n-1 {
		t.Fatalf("statuses = %v, want exactly 1 x 200 and %d x 409", counts, n-1)
	}
	converge(t, "/v1/tournament/"+tid+"/match/m1", isMatch(winner.Score, winner.RecordedBy))

	t.Run("control without write routing", func(t *testing.T) {
		s := requireLocal(t, "it switches write routing off")
		if err := s.SetWriteRouting(t.Context(), false); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := s.SetWriteRouting(context.Background(), true); err != nil {
				t.Errorf("switch write routing back on: %v", err)
			}
		}()
		ctid := tournament("mr-create-control")
		out := raceCreate(t, alice, ctid, n)
		counts := statusCounts(out)
		figure(t, "control, each region writing its own replica: %d creates: %v", n, counts)
		if counts[http.StatusOK] > 0 {
			rememberMatch(matchURL(homeURL(), ctid, "m1"), alice.IDToken)
		}
		if counts[http.StatusOK] <= 1 {
			t.Errorf("without write routing %v; want more than one 200, or the test above cannot fail", counts)
		}
	})
}

// TestMultiRegionOwnerKeepsMatch has the owner and another user replace one
// match at the same time through different regions: the other user only
// ever gets 403, and every region ends with the owner's last version.
func TestMultiRegionOwnerKeepsMatch(t *testing.T) {
	regions := multiRegion(t)
	alice, bob := users(t)
	tid := tournament("mr-owner")
	r := post(t, alice, matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, "5,4,9"))
	wantStatus(t, "POST the contested match", r, http.StatusOK)
	if r.Status != http.StatusOK {
		return
	}
	const rounds = 20
	scores := []string{"5,4,9", "6,-4,7,10", "1,2,3"}
	aliceURL := tgt.URLs[regions[1%len(regions)]] + "/v1/tournament/match"
	bobURL := tgt.URLs[regions[2%len(regions)]] + "/v1/tournament/match"
	var aliceOut, bobOut []outcome
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range rounds {
			aliceOut = append(aliceOut, callOnce(t.Context(), http.MethodPut, aliceURL, alice.IDToken, matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, scores[i%len(scores)])))
		}
	})
	wg.Go(func() {
		for range rounds {
			bobOut = append(bobOut, callOnce(t.Context(), http.MethodPut, bobURL, bob.IDToken, matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, "11,11,11")))
		}
	})
	wg.Wait()
	figure(t, "owner through %s: %v; other user through %s: %v", regions[1%len(regions)], statusCounts(aliceOut), regions[2%len(regions)], statusCounts(bobOut))
	for _, o := range bobOut {
		if o.Err != nil || o.Status != http.StatusForbidden {
			t.Errorf("other user's replace: %s, want 403", o)
		}
	}
	last := ""
	for i, o := range aliceOut {
		if o.Err != nil || o.Status != http.StatusOK {
			t.Errorf("owner's replace: %s, want 200", o)
			continue
		}
		last = scores[i%len(scores)]
	}
	converge(t, "/v1/tournament/"+tid+"/match/m1", isMatch(last, alice.Name))
}

// TestMultiRegionConvergence writes matches through every region and
// measures how long each takes to be readable in every region.
func TestMultiRegionConvergence(t *testing.T) {
	regions := multiRegion(t)
	alice, _ := users(t)
	tid := tournament("mr-converge")
	t.Cleanup(func() { deleteTournament(t, tid, alice) })
	const n = 30
	var mu sync.Mutex
	var visible []time.Duration
	var wg sync.WaitGroup
	for i := range n {
		id := fmt.Sprintf("m%02d", i)
		o := callOnce(t.Context(), http.MethodPost, tgt.URLs[regions[i%len(regions)]]+"/v1/tournament/match", alice.IDToken,
			matchBody(tid, id, "ann-"+runID, "bea-"+runID, "5,4,9"))
		if o.Err != nil || o.Status != http.StatusOK {
			t.Fatalf("write %s: %s", id, o)
		}
		for _, region := range regions {
			wg.Go(func() {
				u := matchURL(tgt.URLs[region], tid, id)
				for {
					r := callOnce(t.Context(), http.MethodGet, u, "", nil)
					if r.Err == nil && r.Status == http.StatusOK {
						mu.Lock()
						visible = append(visible, r.Done.Sub(o.Done))
						mu.Unlock()
						return
					}
					if time.Since(o.Done) > convergeBound {
						t.Errorf("%s never readable in %s: %s", id, region, r)
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
	}
	wg.Wait()
	delay := "the deployed stack's"
	if localStack != nil {
		delay = localStack.ReplicationDelay().String()
	}
	figure(t, "time to visible after the 200, %d writes x %d regions (replication delay %s): p50 %s, p99 %s, max %s",
		n, len(regions), delay, percentile(visible, 0.5).Round(time.Millisecond), percentile(visible, 0.99).Round(time.Millisecond),
		percentile(visible, 1).Round(time.Millisecond))
}

// TestMultiRegionWriteRegionCutOff partitions the write region: writes
// through the other regions answer 503 fast, their reads and health answer
// 200, and once it is back nothing acknowledged is lost and every region
// converges.
func TestMultiRegionWriteRegionCutOff(t *testing.T) {
	regions := multiRegion(t)
	s := requireLocal(t, "it cuts a region off")
	alice, _ := users(t)
	wr := s.WriteRegion()
	others := slices.DeleteFunc(slices.Clone(regions), func(r string) bool { return r == wr })
	tid := tournament("mr-cutoff")
	t.Cleanup(func() { deleteTournament(t, tid, alice) })
	// The Lambda functions' bound, for the figure that matters on AWS.
	if err := s.SetWriteTimeout(t.Context(), api.DefaultWriteTimeout); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.SetWriteTimeout(context.Background(), 0); err != nil {
			t.Errorf("restore the write timeout: %v", err)
		}
	}()

	var acked []string
	write := func(region, id string) outcome {
		o := callOnce(t.Context(), http.MethodPost, tgt.URLs[region]+"/v1/tournament/match", alice.IDToken, matchBody(tid, id, "ann-"+runID, "bea-"+runID, "5,4,9"))
		if o.Err == nil && o.Status == http.StatusOK {
			acked = append(acked, id)
		}
		return o
	}
	wantStatus(t, "write before the cut", response{Status: write(others[0], "before").Status}, http.StatusOK)
	// Acknowledged by the write region just before the cut: not yet
	// replicated when the partition starts.
	wantStatus(t, "write just before the cut", response{Status: write(wr, "edge").Status}, http.StatusOK)
	if err := s.CutOff(wr); err != nil {
		t.Fatal(err)
	}
	cut := true
	defer func() {
		if cut {
			_ = s.Reconnect(wr)
		}
	}()

	var lat []time.Duration
	for i := range 10 {
		for _, region := range others {
			o := write(region, fmt.Sprintf("cut-%s-%d", region, i))
			lat = append(lat, o.latency())
			if o.Err != nil || o.Status != http.StatusServiceUnavailable || !hasErrorBody(o.Body) {
				t.Errorf("write through %s with the write region cut off: %s, want 503 with a JSON error", region, o)
			}
		}
	}
	p50, p99 := percentile(lat, 0.5), percentile(lat, 0.99)
	figure(t, "writes through %v with write region %s cut off: %d x 503, p50 %s, p99 %s (bound: 1.8 s write timeout)",
		others, wr, len(lat), p50.Round(time.Millisecond), p99.Round(time.Millisecond))
	// The bound is 2 s at p99 on AWS; this machine is shared, so
	// the local check allows a second more.
	if p99 > 3*time.Second {
		t.Errorf("p99 of a write into a partition = %s, want well under 3 s", p99)
	}
	// The write region itself keeps serving its clients.
	if o := write(wr, "inside"); o.Err != nil || o.Status != http.StatusOK {
		t.Errorf("write in the cut-off write region itself: %s, want 200", o)
	}
	for _, region := range others {
		r := do(t, http.MethodGet, matchURL(tgt.URLs[region], tid, "before"), "", nil)
		if r.Status != http.StatusOK && r.Status != http.StatusNotFound {
			t.Errorf("read in %s during the cut: %s, want an answer from its replica", region, r)
		}
		begin := time.Now()
		r = do(t, http.MethodGet, tgt.URLs[region]+"/v1/health", "", nil)
		var h api.HealthBody
		decode(t, "health", r, &h)
		if r.Status != http.StatusOK || h.Status != "ok" {
			t.Errorf("health of %s during the cut: %s, want 200 ok", region, r)
		}
		figure(t, "health of %s with the write region cut off: %d write_path=%s in %s", region, r.Status, h.WritePath, time.Since(begin).Round(time.Millisecond))
	}
	if err := s.Reconnect(wr); err != nil {
		t.Fatal(err)
	}
	cut = false
	for _, id := range acked {
		converge(t, "/v1/tournament/"+tid+"/match/"+id, isMatch("5,4,9", alice.Name))
	}
	figure(t, "after reconnecting, all %d acknowledged writes are readable in every region", len(acked))
}

// TestMultiRegionMoveWriteRegion moves the write region on the running
// stack, as the runbook does: stop writing, let replication drain, move,
// and writes succeed again, committed in the new write region.
func TestMultiRegionMoveWriteRegion(t *testing.T) {
	regions := multiRegion(t)
	s := requireLocal(t, "it moves the write region")
	alice, _ := users(t)
	old := s.WriteRegion()
	next := regions[len(regions)-1]
	if next == old {
		next = regions[0]
	}
	tid := tournament("mr-move")
	t.Cleanup(func() { deleteTournament(t, tid, alice) })
	r := post(t, alice, matchBody(tid, "m0", "ann-"+runID, "bea-"+runID, "5,4,9"))
	wantStatus(t, "write before the move", r, http.StatusOK)
	drain(t, s)
	if err := s.SetWriteRegion(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	defer func() {
		drain(t, s)
		if err := s.SetWriteRegion(context.Background(), old); err != nil {
			t.Errorf("move the write region back: %v", err)
		}
	}()
	for i, region := range regions {
		id := fmt.Sprintf("m%d", i+1)
		o := callOnce(t.Context(), http.MethodPost, tgt.URLs[region]+"/v1/tournament/match", alice.IDToken, matchBody(tid, id, "ann-"+runID, "bea-"+runID, "5,4,9"))
		if o.Err != nil || o.Status != http.StatusOK {
			t.Errorf("write through %s after moving the write region to %s: %s, want 200", region, next, o)
			continue
		}
		// Committed in the new write region: readable there at once.
		wantStatus(t, "read in the new write region", do(t, http.MethodGet, matchURL(tgt.URLs[next], tid, id), "", nil), http.StatusOK)
	}
	var h api.HealthBody
	decode(t, "health", do(t, http.MethodGet, tgt.URLs[regions[0]]+"/v1/health", "", nil), &h)
	if h.WriteRegion != next {
		t.Errorf("health names write region %q, want %q", h.WriteRegion, next)
	}
	converge(t, "/v1/tournament/"+tid+"/match/m1", isMatch("5,4,9", alice.Name))
}

// drain waits until no replication link has a backlog.
func drain(t *testing.T, s *localcloud.Stack) {
	t.Helper()
	deadline := time.Now().Add(convergeBound)
	quiet := 0
	for quiet < 3 {
		busy := false
		for _, l := range s.ReplicationLinks() {
			busy = busy || l.Backlog > 0
		}
		if busy {
			quiet = 0
		} else {
			quiet++
		}
		if time.Now().After(deadline) {
			t.Fatalf("replication never drained: %+v", s.ReplicationLinks())
		}
		time.Sleep(s.ReplicationDelay()/2 + 50*time.Millisecond)
	}
}

// settle waits for replication before a test reads in every region what
// it has just written or deleted: on the local stack until no link has a
// backlog, on a deployed multi-region stack for a few seconds (global
// tables usually replicate within one).
func settle(t *testing.T) {
	t.Helper()
	switch {
	case localStack != nil:
		drain(t, localStack)
	case len(tgt.regions()) > 1:
		time.Sleep(5 * time.Second)
	}
}
