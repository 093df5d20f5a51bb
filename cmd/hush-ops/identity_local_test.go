package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/scores"
	"github.com/hush-scores/hush/userpool/signin"
)

// TestLocalIdentity makes the user pool's secondary serve through the
// command's own code path, on a local prod stack (its replica in
// eu-west-1 starts INACTIVE) whose home region's Cognito endpoint is
// dark, as when the home region is lost: status says INACTIVE and sign-in
// fails, activate, status says ACTIVE, sign-in works at the replica and
// its token is accepted for a write.
func TestLocalIdentity(t *testing.T) {
	p := startLocalProd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	info := p.stack.Info()
	home, replica := info.HomeRegion, info.IdentityReplicaRegion
	if replica != "eu-west-1" || p.out.replicaRegion != replica || p.out.userPool != info.UserPoolID {
		t.Fatalf("the local prod stack's replica region %q, its outputs' %q and pool %q; want eu-west-1 (Pulumi.prod.yaml) in both, and pool %q",
			replica, p.out.replicaRegion, p.out.userPool, info.UserPoolID)
	}
	if p.out.cognito[home] != info.CognitoEndpoint || p.out.cognito[replica] != info.IdentityReplicaEndpoint {
		t.Fatalf("the outputs' Cognito endpoints %v, want %s at %s and %s at %s", p.out.cognito, home, info.CognitoEndpoint, replica, info.IdentityReplicaEndpoint)
	}
	pool := signin.Pool{ClientID: info.UserPoolClientID, TryTimeout: 5 * time.Second, Endpoints: []signin.Endpoint{
		{Region: home, Client: cognitolocal.NewClient(info.CognitoEndpoint, home)},
		{Region: replica, Client: cognitolocal.NewClient(info.IdentityReplicaEndpoint, replica)},
	}}
	user := cognitolocal.DemoUsers[0]

	if err := p.stack.SetCognitoDark(home, true); err != nil {
		t.Fatal(err)
	}
	code, out, _ := p.hushOps(ctx, t, "identity", "status")
	if code != exitOK || !hasRow(strings.Split(out, "\n"), replica, []string{"SECONDARY", "INACTIVE"}) {
		t.Errorf("status: exit %d, want 0 and the secondary in %s INACTIVE", code, replica)
	}
	if _, region, err := pool.IDToken(ctx, user.Name, user.Password); err == nil {
		t.Errorf("sign-in with the home region dark and the secondary INACTIVE succeeded at %s, want it refused", region)
	} else {
		t.Logf("sign-in before activate, refused as it should be: %v", err)
	}

	code, out, _ = p.hushOps(ctx, t, "identity", "activate")
	if code != exitOK || !strings.Contains(out, "the secondary is ACTIVE") {
		t.Errorf("activate: exit %d, want 0 and the secondary confirmed ACTIVE", code)
	}
	if got := p.stack.IdentityReplicaStatus(); got != cognitolocal.StatusActive {
		t.Errorf("the stack's secondary is %s after activate, want %s", got, cognitolocal.StatusActive)
	}
	code, out, _ = p.hushOps(ctx, t, "identity", "status")
	if code != exitOK || !hasRow(strings.Split(out, "\n"), replica, []string{"SECONDARY", "ACTIVE"}) {
		t.Errorf("status after activate: exit %d, want 0 and the secondary in %s ACTIVE", code, replica)
	}
	token, region, err := pool.IDToken(ctx, user.Name, user.Password)
	if err != nil || token == "" || region != replica {
		t.Fatalf("sign-in after activate: region %q, token of %d bytes, err %v; want a token from %s", region, len(token), err, replica)
	}
	// The replica's token is accepted: a write through the replica
	// region's API is acknowledged.
	body, _ := json.Marshal(scores.MatchInput{TournamentID: "identity-ops", MatchID: "m1", Player1: "Ann", Player2: "Bo", Score: "5,4,9"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, info.URL(replica)+"/v1/tournament/match", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a write with the replica's token through %s's API: %d %s, want 200", replica, resp.StatusCode, answer)
	}

	// -local finds the same stack by its data dir; deactivate takes the
	// secondary back.
	var stdout, stderr bytes.Buffer
	code = run(ctx, []string{"-local", "-data-dir", info.DataDir, "identity", "deactivate"}, &stdout, &stderr, osEnv(), dialReplicas)
	if code != exitOK || p.stack.IdentityReplicaStatus() != cognitolocal.StatusInactive {
		t.Errorf("-local deactivate: exit %d, secondary %s, output\n%s%s\nwant 0 and INACTIVE", code, p.stack.IdentityReplicaStatus(), stdout.String(), stderr.String())
	}
}
