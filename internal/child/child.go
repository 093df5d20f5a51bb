// Package child runs the emulators of the local stack as child processes:
// each in its own process group, so that stopping one also stops whatever
// it spawned (npm shims, the JVM), with the tail of its output kept for
// error messages.
package child

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a running child process.
type Process struct {
	name string
	cmd  *exec.Cmd
	tail *tailBuffer

	done     chan struct{}
	stopOnce sync.Once
	mu       sync.Mutex
	stopping bool
	err      error
}

// Start starts cmd in a new process group, copying its output to log (which
// may be nil) and keeping its last few kilobytes for error messages. Name is
// what messages call the process, such as "cognito-local".
func Start(name string, cmd *exec.Cmd, log io.Writer) (*Process, error) {
	p := &Process{name: name, cmd: cmd, tail: &tailBuffer{max: 4096}, done: make(chan struct{})}
	out := io.Writer(p.tail)
	if log != nil {
		out = io.MultiWriter(p.tail, log)
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		if !p.stopping {
			if err == nil {
				err = errors.New("exited")
			}
			p.err = fmt.Errorf("%s stopped unexpectedly: %w%s", name, err, p.tail.suffix())
		}
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Name returns the name the process was started with.
func (p *Process) Name() string { return p.name }

// PID returns the process ID, which is also its process group ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns why the process exited on its own, or nil while it runs and
// after Stop.
func (p *Process) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Output returns the last few kilobytes the process wrote.
func (p *Process) Output() string { return p.tail.String() }

// Stop sends SIGTERM to the process group, then SIGKILL if it has not exited
// within grace, and waits for the process. It is safe to call more than once.
func (p *Process) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.stopping = true
		p.mu.Unlock()
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		// A grandchild may outlive its parent; the group kill reaches it.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
	<-p.done
}

// WaitHTTP polls url until it answers with any HTTP status, the process
// exits, or ctx ends.
func (p *Process) WaitHTTP(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", p.name, err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.done:
			return p.Err()
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s: %w%s", p.name, url, ctx.Err(), p.tail.suffix())
		case <-tick.C:
		}
	}
}

// CheckPort returns a clear error when something already listens on
// 127.0.0.1:port.
func CheckPort(port int, what string) error {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("port %d for %s is busy (another local stack or program is using it; stop it or choose other ports with -base-port): %w", port, what, err)
	}
	return l.Close()
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ModuleRoot returns the directory of the nearest go.mod at or above the
// working directory: node_modules and the stack files live there.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod in the working directory or above it; run from the Hush checkout")
		}
		dir = parent
	}
}

// LookPath finds a program and says what to install when it is missing.
func LookPath(program, install string) (string, error) {
	path, err := exec.LookPath(program)
	if err != nil {
		return "", fmt.Errorf("%s not found in PATH: %s", program, install)
	}
	return path, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// suffix formats the tail for the end of an error message.
func (t *tailBuffer) suffix() string {
	s := strings.TrimSpace(t.String())
	if s == "" {
		return ""
	}
	return "; its last output:\n" + s
}
