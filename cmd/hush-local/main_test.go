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
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCommand builds hush-local, runs it like a developer would, calls a
// region, presses Ctrl-C and checks that it exits 0 leaving no child behind.
func TestCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hush-local")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	base := freeBase(t)
	cmd := exec.Command(bin, "-stack", "dev", "-base-port", strconv.Itoa(base), "-data-dir", t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start hush-local: %v", err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
		}
	})

	// Read until the summary's last line, keeping everything for messages.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out strings.Builder
	timeout := time.After(90 * time.Second)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("hush-local ended before its summary; stdout:\n%s\nstderr:\n%s", out.String(), stderr.String())
			}
			out.WriteString(line + "\n")
			if strings.Contains(line, "HUSH_COGNITO_ENDPOINT=") {
				break wait
			}
		case <-timeout:
			t.Fatalf("no summary after 90s; stdout:\n%s\nstderr:\n%s", out.String(), stderr.String())
		}
	}
	go func() {
		for line := range lines {
			out.WriteString(line + "\n")
		}
		exited <- cmd.Wait()
	}()

	summary := out.String()
	for _, want := range []string{
		"starting DynamoDB Local... ok",
		"starting cognito-local... ok",
		"eu-central-1",
		fmt.Sprintf("export HUSH_APIGW_URL=http://127.0.0.1:%d/dev HUSH_AWS_REGION=eu-central-1", base),
		"HUSH_USER_POOL_ID=local_",
		"HUSH_USER_POOL_CLIENT_ID=",
		fmt.Sprintf("HUSH_COGNITO_ENDPOINT=http://127.0.0.1:%d", base+11),
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q; it is:\n%s", want, summary)
		}
	}

	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/dev/v1/hello", base))
	if err != nil {
		t.Fatalf("GET hello: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "eu-central-1") {
		t.Errorf("GET /dev/v1/hello = %d %q, want 200 naming eu-central-1", resp.StatusCode, body)
	}

	children := childrenOf(t, cmd.Process.Pid)
	if len(children) < 2 {
		t.Errorf("hush-local has children %v, want at least the two emulators", children)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("send SIGINT: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("hush-local after SIGINT: %v, want exit 0; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("hush-local still running 30s after SIGINT")
	}
	for _, pid := range children {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("child %d still exists after hush-local exited (kill 0: %v)", pid, err)
		}
	}
	for _, port := range []int{base, base + 10, base + 11} {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still accepts connections after hush-local exited", port)
		}
	}
	if !strings.Contains(out.String(), "stopped") {
		t.Errorf("output does not say it stopped:\n%s", out.String())
	}
}

// freeBase returns a base port whose gateway and emulator ports are free.
func freeBase(t *testing.T) int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(30000)
		free := true
		for _, p := range []int{base, base + 10, base + 11} {
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
