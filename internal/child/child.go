// Package child runs the programs Hush starts as child processes (the
// emulators of the local stack, DynamoDB Local): each in its own process
// group, so that stopping one also stops whatever it spawned (npm shims, the
// JVM), with the tail of its output kept for error messages.
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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/mod/modfile"
)

// defaultTail is how much output a Process keeps unless told otherwise.
const defaultTail = 4096

// Process is a running child process.
type Process struct {
	name string
	cmd  *exec.Cmd
	tail *tailBuffer

	done     chan struct{}
	stopOnce sync.Once
	stopErr  error
	mu       sync.Mutex
	stopping bool
	err      error
	waitErr  error
}

// Options says where a child's output goes besides the tail it keeps.
type Options struct {
	// Stdout and Stderr receive the process's output when set. When they
	// are the same writer, both streams share one pipe and stay in order.
	Stdout io.Writer
	Stderr io.Writer
	// TailBytes is how much of the latest output Output keeps; 0 means
	// 4 KiB.
	TailBytes int
}

// Start starts cmd in a new process group, copying its output to log (which
// may be nil) and keeping its last few kilobytes for error messages. Name is
// what messages call the process, such as "cognito-local".
func Start(name string, cmd *exec.Cmd, log io.Writer) (*Process, error) {
	return StartWith(name, cmd, Options{Stdout: log, Stderr: log})
}

// StartWith is Start with a writer for each stream and a tail size of the
// caller's choice.
func StartWith(name string, cmd *exec.Cmd, opts Options) (*Process, error) {
	size := opts.TailBytes
	if size <= 0 {
		size = defaultTail
	}
	p := &Process{name: name, cmd: cmd, tail: &tailBuffer{max: size}, done: make(chan struct{})}
	cmd.Stdout = p.tee(opts.Stdout)
	cmd.Stderr = cmd.Stdout
	if !sameWriter(opts.Stdout, opts.Stderr) {
		cmd.Stderr = p.tee(opts.Stderr)
	}
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
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

// tee returns a writer that feeds the tail and w, if any.
func (p *Process) tee(w io.Writer) io.Writer {
	if w == nil {
		return p.tail
	}
	return io.MultiWriter(p.tail, w)
}

// sameWriter reports whether a and b are the same writer. Writers of a type
// that cannot be compared count as different, as in os/exec.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
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

// ExitErr returns what waiting for the process returned, such as "signal:
// terminated", whether it crashed or was stopped: nil while it runs and
// after a clean exit.
func (p *Process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// Output returns the last few kilobytes the process wrote.
func (p *Process) Output() string { return p.tail.String() }

// Stop sends SIGTERM to the process group, then SIGKILL if the process has
// not exited within grace, and waits for it up to grace again. It is safe to
// call more than once: every call returns the first result, an error only
// when the process outlived SIGKILL.
func (p *Process) Stop(grace time.Duration) error {
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
			select {
			case <-p.done:
			case <-time.After(grace):
				p.stopErr = fmt.Errorf("%s (process %d) did not exit after SIGKILL", p.name, pgid)
				return
			}
		}
		// A grandchild may outlive its parent; the group kill reaches it.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
	return p.stopErr
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
	if err := Bindable("127.0.0.1", port); err != nil {
		return fmt.Errorf("port %d for %s is busy (another local stack or program is using it; stop it or choose other ports with -base-port): %w", port, what, err)
	}
	return nil
}

// Bindable returns nil when a listener can bind host:port now, and the
// listen error otherwise. Host "" means every interface, for a server that
// binds them all.
func Bindable(host string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	// The port is free; a failure to give it back changes nothing.
	_ = l.Close()
	return nil
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

// ModulePath is the Hush module's path: ModuleRoot looks for its go.mod.
const ModulePath = "github.com/hush-scores/hush"

// ModuleRoot returns the Hush checkout: the directory of the nearest go.mod
// at or above the working directory that declares ModulePath, passing over
// any other module's. node_modules and the stack files live there.
func ModuleRoot() (string, error) {
	root, err := moduleRootOf(ModulePath)
	if err != nil {
		return "", fmt.Errorf("%w; run from the Hush checkout", err)
	}
	return root, nil
}

// moduleRootOf returns the directory of the nearest go.mod at or above the
// working directory that declares module path, passing over any other.
func moduleRootOf(path string) (string, error) {
	dir, found, err := findModule(path)
	if err == nil && !found {
		err = fmt.Errorf("find module root: no go.mod of %s in the working directory or above it", path)
	}
	return dir, err
}

// findModule walks up from the working directory to a go.mod of module
// path.
func findModule(path string) (dir string, found bool, err error) {
	dir, err = os.Getwd()
	if err != nil {
		return "", false, fmt.Errorf("find module root: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modfile.ModulePath(data) == path {
			return dir, true, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false, nil
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
