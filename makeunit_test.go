package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMakeUnitIsTheFastTier runs `make unit` with a fake `go` that records
// its arguments and environment and a fake `npm` that fails: the fast tier
// must run go test -short on every package, install no emulator (no npm
// ci) and, like make test, pass no HUSH_* variable on.
func TestMakeUnitIsTheFastTier(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed; install it (apt-get install make)")
	}
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "go-call")
	fakes := map[string]string{
		"go":  "#!/bin/sh\n{ echo \"ARGS $*\"; env | grep '^HUSH_' || true; } > " + record + "\n",
		"npm": "#!/bin/sh\necho 'npm called' >&2\nexit 3\n",
	}
	for name, body := range fakes {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("make", "-s", "-W", "package.json", "unit")
	cmd.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HUSH_APIGW_URL=http://127.0.0.1:7460/prod", "HUSH_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:8000",
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make unit: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("make unit did not call go: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	args := strings.Fields(strings.TrimPrefix(lines[0], "ARGS "))
	if len(args) == 0 || args[0] != "test" || !slices.Contains(args, "-short") || !slices.Contains(args, "./...") {
		t.Errorf("make unit ran `go %s`, want go test -short ./...", strings.Join(args, " "))
	}
	if leaked := lines[1:]; len(leaked) > 0 {
		t.Errorf("make unit passed %v to go test", leaked)
	}
}
