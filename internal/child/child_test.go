package child

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// start runs script with sh in a new process group and stops it when the
// test ends.
func start(t *testing.T, script string, opts Options) *Process {
	t.Helper()
	p, err := StartWith("sh", exec.Command("sh", "-c", script), opts)
	if err != nil {
		t.Fatalf("StartWith: %v", err)
	}
	t.Cleanup(func() { _ = p.Stop(time.Second) })
	return p
}

func waitDone(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("process still running after 10 s")
	}
}

// alive reports whether pid runs; a zombie waiting to be reaped does not.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

func TestStopEndsTheGroup(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		grace    time.Duration
		wantExit string
	}{
		{"leaves on SIGTERM", `sleep 60 & echo $!; wait`, 5 * time.Second, "signal: terminated"},
		// Ignoring a signal is inherited, so sleep ignores SIGTERM too.
		{"ignores SIGTERM", `trap '' TERM; sleep 60 & echo $!; wait`, 300 * time.Millisecond, "signal: killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.script, Options{})
			var grandchild int
			for deadline := time.Now().Add(5 * time.Second); grandchild == 0; {
				grandchild, _ = strconv.Atoi(strings.TrimSpace(p.Output()))
				if time.Now().After(deadline) {
					t.Fatalf("no PID of the grandchild in the output %q", p.Output())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := p.Stop(tt.grace); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if err := p.Stop(tt.grace); err != nil {
				t.Fatalf("second Stop: %v", err)
			}
			select {
			case <-p.Done():
			default:
				t.Fatal("Done is not closed after Stop")
			}
			if err := p.Err(); err != nil {
				t.Errorf("Err() = %v after Stop, want nil", err)
			}
			if got := p.ExitErr(); got == nil || got.Error() != tt.wantExit {
				t.Errorf("ExitErr() = %v, want %q", got, tt.wantExit)
			}
			for deadline := time.Now().Add(5 * time.Second); alive(grandchild); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("grandchild %d still alive 5 s after Stop", grandchild)
				}
			}
		})
	}
}

func TestCrashIsReported(t *testing.T) {
	p := start(t, `echo boom; exit 3`, Options{})
	waitDone(t, p)
	var exit *exec.ExitError
	if err := p.ExitErr(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("ExitErr() = %v, want exit status 3", err)
	}
	err := p.Err()
	if err == nil || !strings.Contains(err.Error(), "sh stopped unexpectedly: exit status 3") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Err() = %v, want it to name the exit status and the output", err)
	}
}

func TestOutput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	p := start(t, `echo out; echo err >&2`, Options{Stdout: &stdout, Stderr: &stderr})
	waitDone(t, p)
	if got, want := stdout.String(), "out\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := stderr.String(), "err\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}

	// One stream only: two pipes may interleave in any order.
	p = start(t, `echo 0123; printf 456789abcdef`, Options{TailBytes: 10})
	waitDone(t, p)
	if got, want := p.Output(), "6789abcdef"; got != want {
		t.Errorf("Output() = %q, want the last 10 bytes %q", got, want)
	}
}

func TestPorts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	if err := Bindable("127.0.0.1", port); err == nil {
		t.Errorf("Bindable on the busy port %d = nil, want an error", port)
	}
	err = CheckPort(port, "the thing")
	if want := "port " + strconv.Itoa(port) + " for the thing is busy"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("CheckPort(%d) = %v, want an error containing %q", port, err, want)
	}
	free, err := FreePort()
	if err != nil {
		t.Fatalf("FreePort: %v", err)
	}
	if err := Bindable("127.0.0.1", free); err != nil {
		t.Errorf("Bindable on the free port %d: %v", free, err)
	}
}

func TestModuleRoot(t *testing.T) {
	outer, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(outer, "inner")
	work := filepath.Join(inner, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	for dir, module := range map[string]string{outer: ModulePath, inner: "example.com/inner"} {
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+module+" // a comment\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(work)

	tests := []struct {
		name    string
		find    func() (string, error)
		want    string
		wantErr string
	}{
		{"Hush's, past a nearer module", ModuleRoot, outer, ""},
		{"of the inner module", func() (string, error) { return moduleRootOf("example.com/inner") }, inner, ""},
		{"of the outer module", func() (string, error) { return moduleRootOf(ModulePath) }, outer, ""},
		{"of no module here", func() (string, error) { return moduleRootOf("example.com/none") }, "", "no go.mod of example.com/none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.find()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
