package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/userpool/signin"
	"github.com/hush-scores/hush/writeregion"
)

// identityReplica is where the drills put the user pool's replica: prod's
// second region.
const identityReplica = "eu-west-1"

// TestRegionLossSignIn is the region-loss drill extended to sign-in, on a
// local prod stack of its own: the home region is lost (drill.Lose: its
// gateway, replica and network dark, and its Cognito endpoint). With the
// user pool's replica (hush:identityReplicaRegion), the runbook activates
// it, an existing user signs in through it with the suite's Cognito
// client and, once the write region has moved by force (the data plane's
// operator, as `hush-ops write-region move -force` runs it), records a
// match;
// a new user's sign-up is refused with a clear error. Without a replica,
// the same drill shows sign-in failing during the loss. The drill prints
// the time from the loss to the first sign-in and to the first
// acknowledged write.
func TestRegionLossSignIn(t *testing.T) {
	requireLocal(t, "it loses the home region of a local stack of its own")
	t.Run("with a replica", func(t *testing.T) { regionLossDrill(t, identityReplica) })
	t.Run("without a replica", func(t *testing.T) { regionLossDrill(t, "") })
}

func regionLossDrill(t *testing.T, replica string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s, err := localcloud.StartTemp(ctx, localcloud.Options{
		Stack: "prod", IdentityReplicaRegion: replica, NoIdentityReplica: replica == "", ReplicationDelay: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("StartTemp: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	info := s.Info()
	tg := localTarget(info, "the region-loss drill's local prod stack")
	home, err := newCognitoClient(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := newIdentityPool(ctx, tg, home)
	if err != nil {
		t.Fatal(err)
	}
	pool.TryTimeout = 3 * time.Second

	// An existing user, made before the loss at the primary, whose
	// directory entry has reached the replica.
	name := username("veteran")
	if err := createConfirmed(ctx, home, info.UserPoolID, name); err != nil {
		t.Fatal(err)
	}
	if replica != "" {
		waitReplicated(ctx, t, tg, name)
	}

	op := writeRegionOperator(t, s)
	t0 := time.Now()
	loseHome(ctx, t, s)

	if replica == "" {
		_, _, err := pool.Password(ctx, name, password)
		if err == nil || !strings.Contains(err.Error(), "no Cognito endpoint answered") {
			t.Fatalf("sign-in while the home region is lost, without a replica: %v; want it to fail for want of an answer", err)
		}
		t.Logf("without a replica, sign-in during the loss fails: %v", err)
		fmt.Fprintf(os.Stderr, "region-loss drill without an identity replica: sign-in fails during the loss (%v)\n", err)
		return
	}

	// The runbook: make the secondary serve.
	if err := s.ActivateIdentityReplica(ctx); err != nil {
		t.Fatalf("activate the replica: %v", err)
	}
	token, region := signInUntil(ctx, t, pool, name)
	firstSignIn := time.Since(t0)
	if region != replica {
		t.Errorf("signed in at %s, want the replica in %s", region, replica)
	}

	// A new user cannot join while the home region is lost.
	_, _, err = pool.SignUp(ctx, cip.SignUpInput{
		Username: aws.String(username("newcomer")), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email(username("newcomer")))}},
	})
	var notEnabled *types.OperationNotEnabledException
	if !errors.Is(err, signin.ErrSecondary) || !errors.As(err, &notEnabled) || !strings.Contains(err.Error(), "sign-up is not possible while the home region") {
		t.Errorf("sign-up during the loss: %v; want the replica's OperationNotEnabledException, explained", err)
	}

	// The write region moves to the replica's region by force (the home
	// region cannot drain), then the freshly signed-in user records a match
	// there.
	if err := op.Move(ctx, replica, true); err != nil {
		t.Fatalf("forced move of the write region to %s: %v", replica, err)
	}
	match := map[string]any{"tournament_id": "loss-" + runID, "match_id": "m1", "player1": "Ann", "player2": "Bea", "score": "5,4,9"}
	body := writeUntil(ctx, t, tg.URLs[replica], token, match)
	firstWrite := time.Since(t0)
	var got struct {
		RecordedBy string `json:"recorded_by"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.RecordedBy != name {
		t.Errorf("the match written during the loss: %s, want it recorded by %s", body, name)
	}

	msg := fmt.Sprintf("region-loss drill with the identity replica in %s: first sign-in %s after the loss, first acknowledged write by a freshly signed-in user %s after the loss (replica activated and write region moved at once, as a scripted runbook would)",
		replica, round(firstSignIn), round(firstWrite))
	t.Log(msg)
	fmt.Fprintln(os.Stderr, msg)
}

// loseHome loses the home region (drill.Lose): its gateway, replica,
// network and Cognito endpoint go dark at once.
func loseHome(ctx context.Context, t *testing.T, s *localcloud.Stack) {
	t.Helper()
	home := s.Info().HomeRegion
	if err := s.Faults().Break(ctx, drill.Lose, home); err != nil {
		t.Fatalf("lose %s: %v", home, err)
	}
}

// writeRegionOperator returns the data plane's write-region operator of s.
func writeRegionOperator(t *testing.T, s *localcloud.Stack) *writeregion.Operator {
	t.Helper()
	plane, err := localcloud.NewDataPlane(s.StackOutput(), s.Info().Secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	return plane.Operator
}

// createConfirmed makes name a confirmed user with the suite's password,
// sending nothing.
func createConfirmed(ctx context.Context, c *cip.Client, poolID, name string) error {
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email(name))}, {Name: aws.String("email_verified"), Value: aws.String("true")}},
	}); err != nil {
		return fmt.Errorf("AdminCreateUser %s: %w", name, err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name), Password: aws.String(password), Permanent: true,
	}); err != nil {
		return fmt.Errorf("AdminSetUserPassword %s: %w", name, err)
	}
	return nil
}

// waitReplicated waits until the replica knows name (AdminGetUser, a read
// a secondary serves); the bound only guards against a hang.
func waitReplicated(ctx context.Context, t *testing.T, tg target, name string) {
	t.Helper()
	rt := tg
	rt.Home, rt.CognitoEndpoint = tg.IdentityReplicaRegion, tg.IdentityReplicaEndpoint
	c, err := newCognitoClient(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(tg.PoolID), Username: aws.String(name)})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached the replica: %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// signInUntil signs name in through pool until it gets tokens.
func signInUntil(ctx context.Context, t *testing.T, pool signin.Pool, name string) (token, region string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		tok, region, err := pool.IDToken(ctx, name, password)
		if err == nil {
			return tok, region
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sign-in of %s during the loss: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeUntil POSTs match to base until it is acknowledged (200), and
// returns the stored match.
func writeUntil(ctx context.Context, t *testing.T, base, token string, match map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(match)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/tournament/match", strings.NewReader(string(payload)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", token)
		req.Header.Set("Content-Type", "application/json")
		status, body := sendOnce(req)
		if status == http.StatusOK {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write acknowledged during the loss: last %d %s", status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sendOnce(req *http.Request) (int, string) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // a short body says enough in a failure
	return resp.StatusCode, string(b)
}
