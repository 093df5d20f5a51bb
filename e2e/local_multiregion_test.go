package e2e

// The multi-region tests that reach into the local stack: they write
// straight into its replicas, switch its write routing off, cut a region
// off or move the write region.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/internal/stats"
	"github.com/hush-scores/hush/localcloud/drill"
)

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
		c, err := dynamoclient.ForEndpoint(info.DynamoDBEndpoint, r, dynamoclient.Secret(info.Secret))
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

// createWithoutWriteRouting is TestMultiRegionCreateOnce's control run:
// with each region writing its own replica, the same race must let more
// than one create through, or the test cannot fail.
func createWithoutWriteRouting(t *testing.T, alice user, n int) {
	s := requireLocal(t, "it switches write routing off")
	loosenWriteBound(t, "the control needs each region's first create to commit, and on this machine a transaction under 50 concurrent creates can outlast 1.8 s")
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
}

// TestMultiRegionWriteRegionCutOff partitions the write region: writes
// through the other regions answer 503 fast, their reads and health answer
// 200, and once it is back nothing acknowledged is lost and every region
// converges.
func TestMultiRegionWriteRegionCutOff(t *testing.T) {
	regions := multiRegion(t)
	s := requireLocal(t, "it cuts a region off")
	alice, _ := users(t)
	wr := s.ReadWriteRegion(t.Context())
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
	if err := s.Faults().Break(t.Context(), drill.CutOff, wr); err != nil {
		t.Fatal(err)
	}
	cut := true
	defer func() {
		if cut {
			_ = s.Faults().Restore(context.Background(), drill.CutOff, wr)
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
	ps := stats.Percentiles(lat, 50, 99)
	p50, p99 := ps[0], ps[1]
	figure(t, "writes through %v with write region %s cut off: %d x 503, p50 %s, p99 %s (bound: 1.8 s write timeout)",
		others, wr, len(lat), p50.Round(time.Millisecond), p99.Round(time.Millisecond))
	// The bound is 2 s at p99 on AWS; this machine is shared, so
	// the local check allows a second more.
	if p99 > 3*time.Second {
		t.Errorf("p99 of a write into a partition = %s, want well under 3 s", p99)
	}
	// The write region itself stops taking writes once its lease runs
	// out (it can renew through its own view only, no majority): the
	// fence that keeps a cut-off write region from writing on after a
	// forced move elsewhere. The writes above took longer than a lease.
	if o := write(wr, "inside"); o.Err != nil || o.Status != http.StatusServiceUnavailable || !hasErrorBody(o.Body) {
		t.Errorf("write in the cut-off write region itself, its lease run out: %s, want 503 with a JSON error", o)
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
	if err := s.Faults().Restore(t.Context(), drill.CutOff, wr); err != nil {
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
	old := s.ReadWriteRegion(t.Context())
	next := regions[len(regions)-1]
	if next == old {
		next = regions[0]
	}
	tid := tournament("mr-move")
	t.Cleanup(func() { deleteTournament(t, tid, alice) })
	r := post(t, alice, matchBody(tid, "m0", "ann-"+runID, "bea-"+runID, "5,4,9"))
	wantStatus(t, "write before the move", r, http.StatusOK)
	drain(t, s)
	// The operator's planned move pauses, drains replication itself, moves
	// and opens; the drain above only makes m0 readable everywhere.
	if err := s.Faults().MoveWriteRegion(t.Context(), next, false); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Faults().MoveWriteRegion(context.Background(), old, false); err != nil {
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
