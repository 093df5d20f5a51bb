package drill

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud/replicator"
)

// allLoseHooks returns hooks that are all set and do nothing useful: the
// cases below fail before any is called.
func allLoseHooks() LoseHooks {
	return LoseHooks{
		Pending:    func(context.Context, string, string) ([]replicator.Pending, error) { return nil, nil },
		Move:       func(context.Context, string) error { return nil },
		StaleWrite: func(context.Context) (bool, string) { return true, "" },
		Repair:     func(context.Context, string, string) (string, error) { return "", nil },
	}
}

func TestLoseRegionRefusesAnIncompleteSignInPart(t *testing.T) {
	full := func() *LoseIdentity {
		return &LoseIdentity{
			Replica: "eu-west-1", User: "vet",
			Prepare:  func(context.Context) error { return nil },
			Activate: func(context.Context) error { return nil },
			SignIn:   func(context.Context) (string, string, error) { return "", "", nil },
			SignUp:   func(context.Context) error { return nil },
		}
	}
	cases := []struct {
		name  string
		spoil func(*LoseIdentity)
	}{
		{"no replica region", func(id *LoseIdentity) { id.Replica = "" }},
		{"no user", func(id *LoseIdentity) { id.User = "" }},
		{"no Prepare", func(id *LoseIdentity) { id.Prepare = nil }},
		{"no Activate", func(id *LoseIdentity) { id.Activate = nil }},
		{"no SignIn", func(id *LoseIdentity) { id.SignIn = nil }},
		{"no SignUp", func(id *LoseIdentity) { id.SignUp = nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hooks := allLoseHooks()
			hooks.Identity = full()
			c.spoil(hooks.Identity)
			// The target is never reached: the hooks are checked first.
			_, err := LoseRegion(t.Context(), nil, hooks, LosePlan{}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "sign-in part needs") {
				t.Errorf("LoseRegion with %s: %v, want the sign-in part refused", c.name, err)
			}
		})
	}
}

func TestLoseFiguresSignInRows(t *testing.T) {
	refusal := errors.New("sign-up is not possible while the home region eu-central-1 does not answer (the user pool's secondary replica refuses this: OperationNotEnabledException)")
	cases := []struct {
		name      string
		identity  *LoseIdentityResult
		want, not []string
	}{
		{"no replica", nil, []string{"sign-in during the loss", "not drilled: the stack's user pool has no replica"}, []string{"first successful sign-in"}},
		{"drilled", &LoseIdentityResult{
			Replica: "eu-west-1", Activated: 2 * time.Millisecond, SignInRegion: "eu-west-1", FirstSignIn: 121 * time.Millisecond,
			SignUp: refusal, WriteAcked: true, FirstWrite: 10412 * time.Millisecond, WriteRegion: "eu-west-1", WriteRefusals: 7,
		}, []string{
			"identity replica", "eu-west-1, activated 2ms after the loss",
			"loss to first successful sign-in", "121ms (at eu-west-1, 0 failed tries before)",
			"loss to first acknowledged write by the freshly signed-in user", "10.412s (through the front door, answered by eu-west-1, 7 refusals before)",
			"refused: sign-up is not possible while the home region eu-central-1 does not answer\n",
		}, []string{"OperationNotEnabledException", "stopped", "ACCEPTED"}},
		{"sign-up accepted, no write", &LoseIdentityResult{
			Replica: "eu-west-1", SignInRegion: "eu-west-1", Err: errors.New("drill: waited 34s"),
		}, []string{"first acknowledged write by the freshly signed-in user  none", "sign-up during the loss", "ACCEPTED", "sign-in part stopped", "waited 34s"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := LoseResult{Region: "eu-central-1", To: "eu-west-1", Identity: c.identity}.Figures()
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("figures lack %q:\n%s", w, got)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("figures hold %q:\n%s", n, got)
				}
			}
		})
	}
}
