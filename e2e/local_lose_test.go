package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/localcloud/replicator"
	"github.com/hush-scores/hush/userpool/signin"
	"github.com/hush-scores/hush/writeregion"
)

// TestLoseHomeRegion runs the lose drill on the local prod stack: steady
// reads and writes from clients near each region through the front door;
// the home region, which is the write region, lost at once; writes refused
// with 503 until the write region is moved by force with the data plane's
// operator (what `hush-ops write-region move -to REGION -force` runs);
// what the lost region had not replicated counted against the writes the
// new write region lacks; the region restored: it serves reads again, its
// unreplicated writes lose to the edits made after the move, a write
// through its gateway lands in the new write region, a function still
// believing in the old epoch is refused by the fence; hush-repair's
// standings repair, and the standings checked against a recomputation
// from the matches. With the user pool's replica (prod's
// hush:identityReplicaRegion), the drill also signs an existing user in
// during the loss through the client's fallback to the replica, which it
// activates as the runbook does; that user records a match through the
// front door once the write region has moved; a newcomer's sign-up is
// refused with a plain message. It prints the figures in one block.
//
// Afterwards a planned move takes the write region home again, for the
// tests that follow.
func TestLoseHomeRegion(t *testing.T) {
	s := requireLocal(t, "the drill loses the home region and moves the write region by force")
	ctx := t.Context()
	info := s.Info()
	plane, err := localcloud.NewDataPlane(s.StackOutput(), info.Secret, func(st writeregion.Step) {
		t.Logf("operator: %s: %s (%s)", st.Name, st.Detail, st.Took.Round(time.Millisecond))
	})
	if err != nil {
		t.Fatal(err)
	}
	op := plane.Operator
	before, err := op.Status(ctx)
	if err != nil {
		t.Fatalf("write-region status before the drill: %v", err)
	}
	old := before.Belief
	if old.WriteRegion != info.HomeRegion || old.State != writeregion.Open {
		t.Fatalf("before the drill the write region is %+v, want %s open (the home region)", old, info.HomeRegion)
	}
	t.Cleanup(func() {
		// The tests that follow expect the home region to take writes.
		if err := op.Move(context.WithoutCancel(ctx), info.HomeRegion, false); err != nil {
			t.Errorf("move the write region home again after the drill: %v", err)
		}
	})

	alice, _ := users(t) // before the loss: the user pool is in the home region
	tid := tournament("lose")
	// The stale write is a write function of the lost region whose belief
	// is pinned to the epoch before the move, wired as the stack wires its
	// write function.
	hooks := plane.LoseHooks(old, localcloud.DefaultWriteTimeout, func(_ context.Context, from, to string) ([]replicator.Pending, error) {
		return s.PendingReplication(from, to), nil
	})
	if info.IdentityReplicaRegion == "" {
		t.Fatal("the suite's prod stack has no user pool replica; the drill's sign-in part needs hush:identityReplicaRegion (Pulumi.prod.yaml sets it)")
	}
	veteran := username("lose-veteran")
	rememberUser(veteran)
	hooks.Identity = localcloud.LoseIdentity(info.LockState(), info.Secret, localcloud.LoseUser{
		Name: veteran, Password: password, Email: email(veteran),
		Newcomer: username("lose-newcomer"), NewcomerEmail: email(username("lose-newcomer")),
	})
	t.Cleanup(func() {
		// The replica starts INACTIVE; the tests that follow expect that.
		if err := s.DeactivateIdentityReplica(context.WithoutCancel(ctx)); err != nil {
			t.Errorf("deactivate the user pool's replica after the drill: %v", err)
		}
	})
	res, err := drill.LoseRegion(ctx, &drill.Client{BaseURL: info.StatusURL}, hooks, drill.LosePlan{
		Region: info.HomeRegion, Token: alice.IDToken, Tournament: tid,
		Players:    []string{"ann-" + runID, "bea-" + runID, "cyd-" + runID},
		WriteBound: localcloud.DefaultWriteTimeout,
	}, testWriter{t})
	rememberLoseMatches(tid, alice)
	if id := res.Identity; id != nil && id.Token != "" {
		rememberMatch(matchURL(homeURL(), tid, drill.IdentityWriteID), id.Token)
	}
	if err != nil {
		t.Fatal(err)
	}
	figures := res.Figures()
	fmt.Fprint(os.Stderr, figures)
	t.Log("\n" + figures)

	if res.SurvivorFailedAfterBound > 0 {
		t.Errorf("%d reads near the surviving regions failed after the detection bound, want 0", res.SurvivorFailedAfterBound)
	}
	if res.Refused == 0 {
		t.Error("no write was refused between the loss and the move; the drill measured nothing")
	}
	for _, w := range res.NotRefused {
		t.Errorf("between the loss and the first write after the move, a write near %s got %d %s, want 503 (or 200 once the move opened writes)", w.Near, w.Status, w.Err)
	}
	if bound := localcloud.DefaultWriteTimeout + drillSlack; res.SlowestRefusal > bound {
		t.Errorf("the slowest refusal took %s, want within the write bound %s (plus %s of slack for a loaded machine)", res.SlowestRefusal, localcloud.DefaultWriteTimeout, drillSlack)
	}
	if !slices.Equal(res.Missing, res.PendingAcked) {
		t.Errorf("acknowledged writes missing in %s at the move: %v; acknowledged writes %s had not replicated: %v; want the same",
			res.To, res.Missing, res.Region, res.PendingAcked)
	}
	if len(res.Pending) == 0 {
		t.Error("nothing was pending from the lost region at the move; the drill showed no unreplicated write")
	}
	if len(res.OverwrittenLater) == 0 {
		t.Errorf("none of the %d unreplicated items was edited after the move; the drill checked no later edit", len(res.Pending))
	}
	for _, d := range res.Diverged {
		t.Errorf("after the restore, %s: a later edit was overwritten or lost", d)
	}
	if res.GatewayWrite != res.To {
		t.Errorf("a write through the gateway of %s landed %s, want in %s", res.Region, res.GatewayWrite, res.To)
	}
	if res.StaleAdmitted {
		t.Errorf("a function pinned to the old epoch asked to write after the move: %s; want a refusal (503)", res.StaleWrite)
	}
	for _, line := range res.StandingsWrong {
		t.Errorf("standings after hush-repair: %s", line)
	}
	if res.Standings == 0 {
		t.Error("no standings were checked")
	}
	checkLoseIdentity(t, res.Identity, info.IdentityReplicaRegion, veteran)
}

// checkLoseIdentity checks the lose drill's sign-in part: the existing
// user signed in at the replica, the newcomer's sign-up was refused by it
// with the plain message, and the user's match was acknowledged after the
// move and names the user as its recorder.
func checkLoseIdentity(t *testing.T, id *drill.LoseIdentityResult, replica, user string) {
	t.Helper()
	if id == nil {
		t.Fatal("the drill ran no sign-in part")
	}
	if id.Err != nil {
		t.Errorf("the sign-in part stopped: %v", id.Err)
	}
	if id.SignInRegion != replica {
		t.Errorf("%s signed in during the loss at %q, want the replica in %s", user, id.SignInRegion, replica)
	}
	var notEnabled *types.OperationNotEnabledException
	if err := id.SignUp; !errors.Is(err, signin.ErrSecondary) || !errors.As(err, &notEnabled) || !strings.Contains(err.Error(), "sign-up is not possible while the home region") {
		t.Errorf("a newcomer's sign-up during the loss: %v; want the replica's OperationNotEnabledException, explained", err)
	}
	if !id.WriteAcked {
		t.Fatalf("%s's match during the loss was not acknowledged", user)
	}
	if !id.WriteAfterMove {
		t.Error("the signed-in user's match was acknowledged before the move command: a write taken while the write region was lost")
	}
	if id.WriteBy != user {
		t.Errorf("the signed-in user's match is recorded by %q, want %s", id.WriteBy, user)
	}
}

// rememberLoseMatches registers every match the drill may have written,
// for the suite's cleanup.
func rememberLoseMatches(tid string, u user) {
	for _, region := range tgt.regions() {
		for k := range 8 {
			rememberMatch(matchURL(homeURL(), tid, drill.ItemID(region, k)), u.IDToken)
		}
	}
	for _, id := range append(slices.Clone(drill.Seeds), drill.GatewayWriteID) {
		rememberMatch(matchURL(homeURL(), tid, id), u.IDToken)
	}
}
