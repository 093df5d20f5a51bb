package testtier

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestReason(t *testing.T) {
	if got, want := Reason(DynamoDBLocal), "needs DynamoDB Local (Java): run make test"; got != want {
		t.Errorf("Reason(DynamoDBLocal) = %q, want %q", got, want)
	}
}

// TestNeedsSkipsOnlyUnderShort runs this test binary again, once with
// -short and once without, on a test that calls Needs and then fails: under
// -short it must be skipped with the reason, without -short it must run.
func TestNeedsSkipsOnlyUnderShort(t *testing.T) {
	if os.Getenv("TESTTIER_CHILD") == "1" {
		return
	}
	tests := []struct {
		name     string
		args     []string
		wantFail bool
		want     string
	}{
		{"short skips with the reason", []string{"-test.short"}, false, "needs cognito-local (Node): run make test"},
		{"full tier runs the test", nil, true, "ran past Needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-test.run", "^TestChildNeeds$", "-test.v"}, tt.args...)
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "TESTTIER_CHILD=1")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("child failed = %v (%v), want %v:\n%s", failed, err, tt.wantFail, out.String())
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("child output lacks %q:\n%s", tt.want, out.String())
			}
		})
	}
}

// TestChildNeeds is the child of TestNeedsSkipsOnlyUnderShort; alone it
// does nothing.
func TestChildNeeds(t *testing.T) {
	if os.Getenv("TESTTIER_CHILD") != "1" {
		return
	}
	Needs(t, CognitoLocal)
	t.Error("ran past Needs")
}

func TestSkipPackage(t *testing.T) {
	var b bytes.Buffer
	got := SkipPackage(&b, "e2e", LocalCloud)
	if got != testing.Short() {
		t.Errorf("SkipPackage = %v under -short=%v, want the same", got, testing.Short())
	}
	if want := "e2e: every test skipped: needs " + LocalCloud + ": run make test\n"; got && b.String() != want {
		t.Errorf("SkipPackage wrote %q, want %q", b.String(), want)
	}
	if !got && b.Len() != 0 {
		t.Errorf("SkipPackage wrote %q outside -short, want nothing", b.String())
	}
}
