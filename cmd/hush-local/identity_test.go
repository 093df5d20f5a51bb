package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud"
)

// TestTokenFallsBackToTheReplica: on a prod stack with a user pool
// replica, the console activates the replica, and `hush-local token`
// signs in at the home region while it answers and at the replica once
// the console has lost the home region, saying so on stderr; the token
// passes a protected route in every region that is left.
func TestTokenFallsBackToTheReplica(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	s, err := localcloud.Start(ctx, localcloud.Options{Stack: "prod", DataDir: dir, IdentityReplicaRegion: "us-east-1"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	home := s.Info().HomeRegion

	var out strings.Builder
	for _, line := range []string{"identity status", "identity activate"} {
		if err := command(ctx, s, strings.Fields(line), &out); err != nil {
			t.Fatalf("console %q: %v", line, err)
		}
	}
	if got := out.String(); !strings.Contains(got, "INACTIVE") || !strings.Contains(got, "us-east-1 is ACTIVE") {
		t.Errorf("console said %q; want the replica INACTIVE, then ACTIVE", got)
	}

	token := func() (string, string) {
		t.Helper()
		var stdout, stderr strings.Builder
		if err := runToken([]string{"-data-dir", dir}, &stdout, &stderr); err != nil {
			t.Fatalf("hush-local token: %v (stderr %s)", err, stderr.String())
		}
		return strings.TrimSpace(stdout.String()), stderr.String()
	}
	if tok, stderr := token(); strings.Count(tok, ".") != 2 || stderr != "" {
		t.Errorf("token with the home region up: %q, stderr %q; want a JWT and nothing on stderr", tok, stderr)
	}

	if err := command(ctx, s, []string{"lose", home}, &out); err != nil {
		t.Fatalf("lose %s: %v", home, err)
	}
	tok, stderr := token()
	if !strings.Contains(stderr, "replica in us-east-1") {
		t.Errorf("stderr = %q, want it to say the replica in us-east-1 signed the user in", stderr)
	}
	for _, r := range s.Info().Regions {
		if r.Name == home {
			continue // lost
		}
		status, body := call(t, "GET", r.URL+"/v1/helloauthenticated", tok, "")
		if status != 200 || !strings.Contains(body, "demo") {
			t.Errorf("helloauthenticated in %s with the replica's token: %d %s, want 200 greeting demo", r.Name, status, body)
		}
	}
}
