package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runCLI runs hush-local with args to its end and returns its stdout, its
// stderr and its exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	t.Fatalf("hush-local %v: %v", args, err)
	return "", "", 0
}

// call sends one request with an optional token and JSON body.
func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestTokenAndDataDirLock runs the README's quick start against a running
// hush-local (a token, a POST, a GET), gets the demo admin's token, and
// starts a second hush-local on the same data dir, which must be refused
// with the first one's PID and ports, -clean or not, leaving the first
// running.
func TestTokenAndDataDirLock(t *testing.T) {
	base := freeBase(t)
	dir := t.TempDir()
	r := startCLI(t, "-stack", "dev", "-base-port", strconv.Itoa(base), "-data-dir", dir)
	summary := r.out.String()
	for _, want := range []string{"user demo ", "password Demo-Passw0rd", "user demo-admin", "(in admins)", "hush-local token -data-dir " + dir} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q; it is:\n%s", want, summary)
		}
	}

	token, stderr, code := runCLI(t, "token", "-data-dir", dir)
	token = strings.TrimSpace(token)
	if code != 0 || strings.Count(token, ".") != 2 {
		t.Fatalf("hush-local token: exit %d, stdout %q, stderr %s; want a JWT", code, token, stderr)
	}
	stage := fmt.Sprintf("http://127.0.0.1:%d/dev", base)
	status, body := call(t, http.MethodPost, stage+"/v1/tournament/match", token,
		`{"tournament_id":"demo","match_id":"m1","player1":"Ann","player2":"Bea","score":"5,4,9"}`)
	if status != http.StatusOK || !strings.Contains(body, `"recorded_by":"demo"`) {
		t.Fatalf("POST with the demo token: %d %s, want 200 recorded by demo", status, body)
	}
	status, body = call(t, http.MethodGet, stage+"/v1/tournament/demo/match/m1", "", "")
	if status != http.StatusOK || !strings.Contains(body, `"score":"5,4,9"`) {
		t.Errorf("GET it back: %d %s", status, body)
	}
	admin, stderr, code := runCLI(t, "token", "-data-dir", dir, "-user", "demo-admin")
	if code != 0 {
		t.Fatalf("token -user demo-admin: exit %d: %s", code, stderr)
	}
	status, body = call(t, http.MethodDelete, stage+"/v1/tournament/demo/match/m1", strings.TrimSpace(admin), "")
	if status != http.StatusNoContent {
		t.Errorf("DELETE of demo's match by demo-admin: %d %s, want 204", status, body)
	}
	if _, stderr, code := runCLI(t, "token", "-data-dir", dir, "-user", "nobody"); code != 1 || !strings.Contains(stderr, "-password") {
		t.Errorf("token for an unknown user without a password: exit %d, %s; want 1 asking for -password", code, stderr)
	}

	for _, extra := range [][]string{nil, {"-clean"}} {
		args := append([]string{"-stack", "dev", "-base-port", "0", "-data-dir", dir}, extra...)
		_, stderr, code := runCLI(t, args...)
		for _, want := range []string{
			"in use by the local stack of PID " + strconv.Itoa(r.cmd.Process.Pid),
			fmt.Sprintf("127.0.0.1:%d/dev", base),
			fmt.Sprintf("DynamoDB Local http://127.0.0.1:%d", base+10),
			fmt.Sprintf("cognito-local http://127.0.0.1:%d", base+11),
		} {
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("second hush-local %v: exit %d, stderr %q; want 1 naming %q", extra, code, stderr, want)
			}
		}
	}
	if status, _ := call(t, http.MethodGet, stage+"/v1/health", "", ""); status != http.StatusOK {
		t.Errorf("the first stack's health after the refused starts: %d, want 200", status)
	}

	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Errorf("hush-local after SIGINT: %v", err)
	}
	if _, stderr, code := runCLI(t, "token", "-data-dir", dir); code != 1 || !strings.Contains(stderr, "no local stack is running") {
		t.Errorf("token after the stack stopped: exit %d, %s; want 1 saying none runs", code, stderr)
	}
}
