package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMakeTestRunsEveryTestAgainstALocalStack runs `make test` with a fake
// `go` that records its arguments and environment, and HUSH_* variables set
// as `make local` invites: the real go test must run uncached (-count=1),
// with an explicit -timeout, and without any HUSH_* variable, so that it
// starts and tests a local stack of its own.
func TestMakeTestRunsEveryTestAgainstALocalStack(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed; install it (apt-get install make)")
	}
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "go-call")
	fakeGo := "#!/bin/sh\n{ echo \"ARGS $*\"; env | grep '^HUSH_' || true; } > " + record + "\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	// -o: the emulators count as installed; this test is about the go call.
	cmd := exec.Command("make", "-s", "-o", "node_modules/.package-lock.json", "test")
	cmd.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HUSH_APIGW_URL=http://127.0.0.1:7460/prod", "HUSH_AWS_REGION=eu-central-1",
		"HUSH_USER_POOL_ID=local_x", "HUSH_USER_POOL_CLIENT_ID=abc",
		"HUSH_STACK_OUTPUTS=/tmp/outputs.json", "HUSH_COGNITO_ENDPOINT=http://127.0.0.1:7471",
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make test: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("make test did not call go: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	args := strings.Fields(strings.TrimPrefix(lines[0], "ARGS "))
	if len(args) == 0 || args[0] != "test" {
		t.Fatalf("make test ran `go %s`, want go test", strings.Join(args, " "))
	}
	if !slices.Contains(args, "-count=1") {
		t.Errorf("make test ran `go %s` without -count=1: a cached pass would hide a broken emulator", strings.Join(args, " "))
	}
	if i := slices.Index(args, "-timeout"); i < 0 || i+1 >= len(args) || !regexp.MustCompile(`^[0-9]+m$`).MatchString(args[i+1]) {
		t.Errorf("make test ran `go %s` without an explicit -timeout in minutes", strings.Join(args, " "))
	}
	if !slices.Contains(args, "./...") {
		t.Errorf("make test ran `go %s`, want every package (./...)", strings.Join(args, " "))
	}
	if leaked := lines[1:]; len(leaked) > 0 {
		t.Errorf("make test passed %v to go test: the suite would test that stack instead of a local one", leaked)
	}
}

// TestCIRunsMakeTestWithoutTargetVariables checks that .ci/run drops every
// HUSH_* variable before anything else and tests through `make test`.
func TestCIRunsMakeTestWithoutTargetVariables(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	script := string(raw)
	unset := strings.Index(script, "unset $(compgen -e | grep '^HUSH_'")
	test := strings.Index(script, "\nmake test")
	if unset < 0 || test < 0 || unset > test {
		t.Errorf(".ci/run must unset every HUSH_* variable, then run `make test`; it is:\n%s", script)
	}
	if strings.Contains(script, "go test") {
		t.Errorf(".ci/run runs go test itself; it must go through `make test`, which runs every test uncached")
	}
}
