package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/testtier"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds hush-local once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hush-local-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hush-local")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cliRun is a running hush-local.
type cliRun struct {
	cmd    *exec.Cmd
	out    *syncBuilder
	stderr *syncBuilder
	exited chan error
}

// startCLI starts hush-local with args and waits for its summary.
func startCLI(t *testing.T, args ...string) *cliRun {
	t.Helper()
	testtier.Needs(t, testtier.LocalCloud)
	r := &cliRun{cmd: exec.Command(binary(t), args...), out: &syncBuilder{}, stderr: &syncBuilder{}, exited: make(chan error, 1)}
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start hush-local: %v", err)
	}
	t.Cleanup(func() {
		select {
		case err := <-r.exited:
			t.Logf("hush-local exited: %v", err)
		default:
			_ = r.cmd.Process.Kill()
		}
	})
	summary := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.out.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "HUSH_COGNITO_ENDPOINT=") {
				close(summary)
			}
		}
		r.exited <- r.cmd.Wait()
		close(r.exited)
	}()
	select {
	case <-summary:
	case err := <-r.exited:
		t.Fatalf("hush-local ended (%v) before its summary; stdout:\n%s\nstderr:\n%s", err, r.out, r.stderr)
	case <-time.After(90 * time.Second):
		t.Fatalf("no summary after 90s; stdout:\n%s\nstderr:\n%s", r.out, r.stderr)
	}
	return r
}

// wait returns how hush-local ended, failing the test after 30s.
func (r *cliRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.exited:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("hush-local still running after 30s")
		return nil
	}
}

// syncBuilder is a strings.Builder safe for one writer and many readers.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) WriteString(str string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(str)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCommand runs hush-local like a developer would, calls a region,
// presses Ctrl-C and checks that it exits 0 leaving no child behind.
func TestCommand(t *testing.T) {
	base := freeBase(t)
	dir := t.TempDir()
	r := startCLI(t, "-stack", "dev", "-base-port", strconv.Itoa(base), "-data-dir", dir)
	cmd := r.cmd
	summary := r.out.String()
	for _, want := range []string{
		"starting DynamoDB Local... ok",
		"starting cognito-local... ok",
		"eu-central-1",
		fmt.Sprintf("export HUSH_APIGW_URL=http://127.0.0.1:%d/dev HUSH_AWS_REGION=eu-central-1", base),
		"HUSH_USER_POOL_ID=local_",
		"HUSH_USER_POOL_CLIENT_ID=",
		fmt.Sprintf("HUSH_COGNITO_ENDPOINT=http://127.0.0.1:%d", base+11),
		exposure(base + 10),
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q; it is:\n%s", want, summary)
		}
	}

	for _, want := range []string{
		fmt.Sprintf(`(?m)^  front door +http://127\.0\.0\.1:%d/v1/hello`, base+30),
		fmt.Sprintf(`(?m)^  status page +http://127\.0\.0\.1:%d `, base+41),
	} {
		if !regexp.MustCompile(want).MatchString(summary) {
			t.Errorf("summary lacks a line matching %s; it is:\n%s", want, summary)
		}
	}
	// Pulumi.dev.yaml's hush:throttle, enforced by default.
	if !regexp.MustCompile(`throttling +rate 50/s, burst 100, per method`).MatchString(summary) {
		t.Errorf("summary does not show dev's throttling (rate 50/s, burst 100, per method); it is:\n%s", summary)
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/dev/v1/hello", base), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET hello: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "eu-central-1") {
		t.Errorf("GET /dev/v1/hello = %d %q, want 200 naming eu-central-1", resp.StatusCode, body)
	}

	// hush-local drill finds the running stack through its data dir. A
	// one-region stack has nowhere to fail over to, but can show that every
	// record counts as healthy when all are unhealthy.
	out, err := exec.Command(binary(t), "drill", "-data-dir", dir, "all").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "a client near eu-central-1 is answered by eu-central-1") {
		t.Errorf("hush-local drill all: %v\n%s", err, out)
	}
	out, err = exec.Command(binary(t), "drill", "-data-dir", dir, "gateway").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "a drill needs two or more") {
		t.Errorf("hush-local drill gateway on one region: %v, want a refusal\n%s", err, out)
	}

	children := childrenOf(t, cmd.Process.Pid)
	if len(children) < 2 {
		t.Errorf("hush-local has children %v, want at least the two emulators", children)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("send SIGINT: %v", err)
	}
	if err := r.wait(t); err != nil {
		t.Errorf("hush-local after SIGINT: %v, want exit 0; stderr:\n%s", err, r.stderr)
	}
	for _, pid := range children {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("child %d still exists after hush-local exited (kill 0: %v)", pid, err)
		}
	}
	for _, port := range []int{base, base + 10, base + 11, base + 30, base + 31, base + 41} {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still accepts connections after hush-local exited", port)
		}
	}
	if !strings.Contains(r.out.String(), "stopped") {
		t.Errorf("output does not say it stopped:\n%s", r.out)
	}
}

// exposure is what the summary must say about DynamoDB Local on port: on
// loopback only when a JDK's javac can build the launcher, otherwise a
// warning that it listens on every interface.
func exposure(port int) string {
	if _, err := exec.LookPath("javac"); err == nil {
		return fmt.Sprintf("127.0.0.1:%d (table hush-dev, loopback only)", port)
	}
	return fmt.Sprintf("warning: DynamoDB Local listens on every network interface (port %d", port)
}

// TestChildDies kills DynamoDB Local under a running hush-local: it must
// stop the rest, say what died and exit 1.
func TestChildDies(t *testing.T) {
	r := startCLI(t, "-stack", "dev", "-base-port", "0", "-data-dir", t.TempDir(), "-no-throttle")
	if summary := r.out.String(); !regexp.MustCompile(`throttling +off \(-no-throttle\)`).MatchString(summary) {
		t.Errorf("with -no-throttle the summary does not say throttling is off:\n%s", summary)
	}
	children := childrenOf(t, r.cmd.Process.Pid)
	java := -1
	for _, pid := range children {
		if comm, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm")); strings.TrimSpace(string(comm)) == "java" {
			java = pid
		}
	}
	if java < 0 {
		t.Fatalf("no java among the children %v of hush-local", children)
	}
	if err := syscall.Kill(java, syscall.SIGKILL); err != nil {
		t.Fatalf("kill DynamoDB Local: %v", err)
	}
	err := r.wait(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("hush-local after its DynamoDB Local died: %v, want exit status 1", err)
	}
	if want := "DynamoDB Local stopped unexpectedly"; !strings.Contains(r.stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", r.stderr, want)
	}
	for _, pid := range children {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("child %d still exists after hush-local exited (kill 0: %v)", pid, err)
		}
	}
}

// TestMissingPrerequisites runs hush-local with a PATH that lacks Java or
// Node.js: it must exit 1 and say what to install.
func TestMissingPrerequisites(t *testing.T) {
	testtier.Needs(t, testtier.Java+" and "+testtier.Node)
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("this test needs Java 17+ installed: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("this test needs Node.js 20+ installed: %v", err)
	}
	tests := []struct {
		name     string
		programs []string // linked into the PATH
		want     string
	}{
		{name: "no java", programs: []string{node}, want: "Java 17+"},
		{name: "no node", programs: []string{java}, want: "install Node.js 20+"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, p := range tt.programs {
				if err := os.Symlink(p, filepath.Join(dir, filepath.Base(p))); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(binary(t), "-stack", "dev", "-base-port", "0", "-data-dir", t.TempDir())
			cmd.Env = append(withoutEnv("PATH", "JAVA_HOME"), "PATH="+dir)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("hush-local: %v, want exit status 1; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output = %q, want it to contain %q", out, tt.want)
			}
		})
	}
}

func withoutEnv(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			env = append(env, kv)
		}
	}
	return env
}

// freeBase returns a base port whose gateway and emulator ports are free.
func freeBase(t *testing.T) int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(30000)
		free := true
		for _, p := range []int{base, base + 10, base + 11, base + 30, base + 31, base + 41} {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no free base port found")
	return 0
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc (this test needs Linux): %v", err)
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name, which is in parentheses and
		// may hold spaces: state, then the parent's PID.
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}
