package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hush-scores/hush/localcloud/datalock"
)

// fakeCognito answers InitiateAuth with a token and records the password
// it was sent.
func fakeCognito(t *testing.T) (string, *string) {
	t.Helper()
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ AuthParameters map[string]string }
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &in); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		got = in.AuthParameters["PASSWORD"]
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"AuthenticationResult":{"IdToken":"h.p.s"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &got
}

// heldDataDir locks a data dir as a running stack would, recording cognito
// as its Cognito endpoint.
func heldDataDir(t *testing.T, cognito string) string {
	t.Helper()
	dir := t.TempDir()
	l, err := datalock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Release)
	if err := l.Record(datalock.State{HomeRegion: "eu-central-1", CognitoEndpoint: cognito, UserPoolID: "local_1", UserPoolClientID: "c1"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestTokenPasswordSources: a password reaches Cognito from the
// environment or standard input, not only from a flag, which every user
// sees in ps.
func TestTokenPasswordSources(t *testing.T) {
	restoreTokenInputs(t)
	endpoint, sent := fakeCognito(t)
	dir := heldDataDir(t, endpoint)
	tests := []struct {
		name  string
		args  []string
		stdin string
		env   string
		want  string // the password sent, or the error's text
		fails bool
	}{
		{name: "environment", env: "From-Env-1", want: "From-Env-1"},
		{name: "standard input", args: []string{"-password-stdin"}, stdin: "From-Stdin-1\n", want: "From-Stdin-1"},
		{name: "standard input without newline", args: []string{"-password-stdin"}, stdin: "From-Stdin-2", want: "From-Stdin-2"},
		{name: "standard input wins over the environment", args: []string{"-password-stdin"}, stdin: "From-Stdin-3\r\n", env: "From-Env-2", want: "From-Stdin-3"},
		{name: "flag still works", args: []string{"-password", "From-Flag-1"}, env: "From-Env-3", want: "From-Flag-1"},
		{name: "empty standard input", args: []string{"-password-stdin"}, stdin: "", want: "no password", fails: true},
		{name: "flag and standard input", args: []string{"-password", "x", "-password-stdin"}, stdin: "y\n", want: "not both", fails: true},
		{name: "no password for another user", want: "HUSH_LOCAL_PASSWORD", fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*sent = ""
			tokenStdin = strings.NewReader(tt.stdin)
			tokenGetenv = func(k string) string {
				if k == passwordEnv {
					return tt.env
				}
				return ""
			}
			var out, errOut strings.Builder
			args := append([]string{"-data-dir", dir, "-user", "someone"}, tt.args...)
			err := runToken(args, &out, &errOut)
			if tt.fails {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("runToken(%q) = %v, want an error saying %q", args, err, tt.want)
				}
				if *sent != "" {
					t.Errorf("a password %q was sent although the command failed", *sent)
				}
				return
			}
			if err != nil {
				t.Fatalf("runToken(%q): %v", args, err)
			}
			if *sent != tt.want || strings.TrimSpace(out.String()) != "h.p.s" {
				t.Errorf("sent password %q, printed %q; want %q sent and the token printed", *sent, out.String(), tt.want)
			}
		})
	}
}

// TestTokenRefusesAForeignEndpoint: a lock file naming a Cognito endpoint
// off this machine was not written by a local stack; no password goes
// there.
func TestTokenRefusesAForeignEndpoint(t *testing.T) {
	restoreTokenInputs(t)
	for _, endpoint := range []string{"http://203.0.113.7:9229", "https://127.0.0.1:9229", "http://example.com", "not a url"} {
		dir := heldDataDir(t, endpoint)
		tokenGetenv = func(string) string { return "Secret-1" }
		err := runToken([]string{"-data-dir", dir, "-user", "someone"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "not sent a password") {
			t.Errorf("token with a lock file naming %q = %v, want it refused", endpoint, err)
		}
	}
}

// restoreTokenInputs puts the real standard input and environment back
// after the test.
func restoreTokenInputs(t *testing.T) {
	stdin, getenv := tokenStdin, tokenGetenv
	t.Cleanup(func() { tokenStdin, tokenGetenv = stdin, getenv })
}
