package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hush-scores/hush/scores"
)

// LoseIdentity is the lose drill's sign-in part, for a stack whose user
// pool has a secondary replica (hush:identityReplicaRegion): the hooks
// reach the pool as a client and as the operator do, so the drill stays
// apart from Cognito's API.
type LoseIdentity struct {
	// Replica is the region of the pool's secondary replica.
	Replica string
	// User is the existing user who signs in during the loss.
	User string
	// Prepare makes User a confirmed user at the home region's pool and
	// returns once the replica knows it; the drill calls it before the
	// loss.
	Prepare func(ctx context.Context) error
	// Activate makes the secondary serve sign-in, the runbook's step
	// (`hush-ops identity activate`: UpdateUserPoolReplica ACTIVE at the
	// replica's endpoint).
	Activate func(ctx context.Context) error
	// SignIn signs User in through the client every Hush client uses
	// (package signin: the home region's endpoint, then the replica's)
	// and returns the ID token and the region that answered.
	SignIn func(ctx context.Context) (token, region string, err error)
	// SignUp asks the same client to sign a new user up and returns its
	// error: while the home region is lost, the replica's refusal.
	SignUp func(ctx context.Context) error
}

// IdentityWriteID is the match the user signed in during the loss records.
const IdentityWriteID = "signed-in-during-the-loss"

// LoseIdentityResult is what the lose drill's sign-in part measured;
// durations are from the loss.
type LoseIdentityResult struct {
	Replica, User string
	// Activated is from the loss to the activation's return.
	Activated time.Duration
	// SignInRegion is the region that answered the first successful
	// sign-in, FirstSignIn when it returned; SignInFailures counts the
	// failed tries before it.
	SignInRegion   string
	FirstSignIn    time.Duration
	SignInFailures int
	// SignUp is the new user's sign-up's error (nil: it was accepted).
	SignUp error
	// WriteAcked says the user's match was acknowledged through the front
	// door near the lost region; FirstWrite is when, WriteRegion the
	// region that answered, WriteBy whom the stored match names as its
	// recorder, WriteRefusals the 503s before it, and WriteAfterMove
	// whether it was acknowledged after the move command (no write can be
	// before it).
	WriteAcked     bool
	FirstWrite     time.Duration
	WriteRegion    string
	WriteBy        string
	WriteRefusals  int
	WriteAfterMove bool
	// Token is the ID token of the sign-in, for the caller's cleanup.
	Token string
	// Err is what stopped the part, if anything did.
	Err error
}

// identity runs the sign-in part from the loss: the runbook activates the
// secondary, the existing user signs in (retrying until it works), a new
// user's sign-up is tried, and the user records a match through the front
// door near the lost region until it is acknowledged, which needs the
// write region moved. moved reports the move command's time, zero before.
func (d *loseDrill) identity(ctx context.Context, id *LoseIdentity, lost time.Time, moved func() time.Time) (r LoseIdentityResult) {
	r.Replica, r.User = id.Replica, id.User
	p := d.plan
	if err := id.Activate(ctx); err != nil {
		r.Err = fmt.Errorf("drill: activate the user pool's replica in %s: %w", id.Replica, err)
		return r
	}
	r.Activated = time.Since(lost)
	d.say("identity: the user pool's replica in %s activated, %s after the loss (the runbook's step)", id.Replica, r.Activated.Round(time.Millisecond))
	var token string
	var last error
	if err := d.until(ctx, "a sign-in of "+id.User+" during the loss", func() bool {
		var region string
		token, region, last = id.SignIn(ctx)
		if last != nil {
			r.SignInFailures++
			return false
		}
		r.SignInRegion, r.FirstSignIn, r.Token = region, time.Since(lost), token
		return true
	}); err != nil {
		r.Err = fmt.Errorf("%w (last: %w)", err, last)
		return r
	}
	d.say("identity: %s signed in at %s, %s after the loss (%d failed tries before)", id.User, r.SignInRegion, r.FirstSignIn.Round(time.Millisecond), r.SignInFailures)
	r.SignUp = id.SignUp(ctx)
	if r.SignUp != nil {
		d.say("identity: a new user's sign-up is refused: %v", r.SignUp)
	} else {
		d.say("identity: a new user's sign-up was ACCEPTED while the home region is lost")
	}

	tr := &Traffic{plan: TrafficPlan{Tournament: p.Tournament, Players: p.Players}}
	if len(tr.plan.Players) < 2 {
		tr.plan.Players = []string{"ann", "bea", "cyd"}
	}
	var a reply
	// A 5xx (503: writes refused while the write region is lost; 502: the
	// front door has not yet seen the loss), a 429 or no answer is tried
	// again, as a client would; any other answer is final.
	final := func(a reply) bool {
		return a.err == nil && a.status < 500 && a.status != http.StatusTooManyRequests
	}
	if err := d.until(ctx, id.User+"'s match acknowledged through the front door near "+p.Region, func() bool {
		a = call(ctx, d.client, http.MethodPut, d.near[p.Region]+"/v1/tournament/match", token, tr.body(IdentityWriteID, 0, "5,4,9"))
		if a.err == nil && a.status == http.StatusServiceUnavailable {
			r.WriteRefusals++
		}
		return final(a)
	}); err != nil {
		r.Err = fmt.Errorf("%w (last: %s)", err, a)
		return r
	}
	if a.status != http.StatusOK {
		r.Err = fmt.Errorf("drill: %s's match through the front door near %s: %s, want 200", id.User, p.Region, a)
		return r
	}
	r.WriteAcked, r.FirstWrite, r.WriteRegion = true, a.done.Sub(lost), a.region
	if m := moved(); !m.IsZero() && a.done.After(m) {
		r.WriteAfterMove = true
	}
	var m scores.Match
	if err := json.Unmarshal(a.body, &m); err == nil {
		r.WriteBy = m.RecordedBy
	}
	d.say("identity: %s's match acknowledged through the front door near %s (answered by %s, recorded by %q), %s after the loss, after %d refusals",
		id.User, p.Region, a.region, r.WriteBy, r.FirstWrite.Round(time.Millisecond), r.WriteRefusals)
	return r
}

// figures adds the sign-in part's rows to the drill's figures.
func (r *LoseIdentityResult) figures(row func(k, v string)) {
	if r == nil {
		row("sign-in during the loss", "not drilled: the stack's user pool has no replica")
		return
	}
	row("identity replica", fmt.Sprintf("%s, activated %s after the loss", r.Replica, r.Activated.Round(time.Millisecond)))
	signIn := "none"
	if r.SignInRegion != "" {
		signIn = fmt.Sprintf("%s (at %s, %d failed tries before)", r.FirstSignIn.Round(time.Millisecond), r.SignInRegion, r.SignInFailures)
	}
	row("loss to first successful sign-in", signIn)
	write := "none"
	if r.WriteAcked {
		write = fmt.Sprintf("%s (through the front door, answered by %s, %d refusals before)", r.FirstWrite.Round(time.Millisecond), r.WriteRegion, r.WriteRefusals)
	}
	row("loss to first acknowledged write by the freshly signed-in user", write)
	signUp := "ACCEPTED"
	if r.SignUp != nil {
		// The plain message, without Cognito's own error that follows it.
		plain, _, _ := strings.Cut(r.SignUp.Error(), " (")
		signUp = "refused: " + plain
	}
	row("new user's sign-up during the loss", signUp)
	if r.Err != nil {
		row("sign-in part stopped", r.Err.Error())
	}
}
