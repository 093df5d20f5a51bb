// Package cognitolocal runs cognito-local (the npm package) as a child
// process and creates Hush's user pool in it from userpool.Pool().
//
// cognito-local checks no credentials and answers every web origin
// (Access-Control-Allow-Origin: *), so a page in the developer's browser
// could add a user to admins. Clients therefore reach it through a
// loopguard proxy on the advertised port, which answers only programs on
// this machine and refuses browser requests; cognito-local itself listens
// on another loopback port that nothing advertises.
//
// cognito-local keeps its data in .cognito/ under its working directory, so
// the server runs with the data directory as its working directory. Tokens
// carry the issuer http://127.0.0.1:<port>/<poolId> (cognito-local derives
// it from its HOST and PORT), and the pool's keys are served at
// /<poolId>/.well-known/jwks.json.
//
// StartReplica runs a second cognito-local as the pool's secondary replica
// (Cognito multi-Region replication): it follows the primary's data files
// after a delay, refuses what a secondary refuses, and starts INACTIVE
// until UpdateUserPoolReplica, which both servers answer (ReplicaSet).
package cognitolocal

import (
	"cmp"
	"context"
	"encoding/json"
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
	"time"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/internal/loopguard"
)

// StartPath is cognito-local's entry point under the module root.
const StartPath = "node_modules/cognito-local/lib/bin/start.js"

// Options configure Start.
type Options struct {
	// Dir keeps the data (Dir/.cognito); it is created if missing.
	Dir string
	// Port is the port to listen on at 127.0.0.1; 0 picks a free one.
	Port int
	// ModuleRoot holds node_modules; empty means the nearest go.mod's directory.
	ModuleRoot string
	// Log receives the server's output; nil discards it.
	Log io.Writer
	// StartTimeout bounds the wait for the first answer; zero means 30s.
	StartTimeout time.Duration
	// Secret, when set, is the secret access key every request must be
	// signed with, except the operations Cognito serves without
	// credentials (Anonymous); the local stack makes one per data dir.
	Secret string
	// SelfSignUp lets anyone sign up (the stack's hush:selfSignUp); false,
	// the zero value, refuses SignUp as Cognito does for a pool where only
	// administrators create users. It applies to every pool of the server;
	// the local stack has one.
	SelfSignUp bool
	// IssuerDomain is what the pool's tokens name as their issuer, before
	// the pool ID; empty means Endpoint. Two servers given the same one
	// stand for the replicas of a pool with Cognito's multi-Region issuer.
	IssuerDomain string
	// Wrap, when set, wraps what the guard passes on (after the browser
	// and signature checks): the replica set answers its own operations
	// there (ReplicaSet.Handler).
	Wrap func(http.Handler) http.Handler
}

// Server is a running cognito-local.
type Server struct {
	// Endpoint is the base URL to give the Cognito client as its endpoint.
	Endpoint string
	// Port is the port clients use at 127.0.0.1, the guard's.
	Port   int
	proc   *child.Process
	guard  *guardServer
	secret string
	// issuerDomain is Options.IssuerDomain, else Endpoint.
	issuerDomain string
}

// Check reports what is missing to run cognito-local from the module at
// root: Node.js 20+ or the npm package. It returns the paths of node and
// of cognito-local's entry point.
func Check(ctx context.Context, root string) (node, entry string, err error) {
	node, err = child.LookPath("node", "cognito-local needs Node.js: install Node.js 20+ (https://nodejs.org)")
	if err != nil {
		return "", "", fmt.Errorf("cognito-local: %w", err)
	}
	if err := checkNodeVersion(ctx, node); err != nil {
		return "", "", err
	}
	entry = filepath.Join(root, StartPath)
	if _, err := os.Stat(entry); err != nil {
		return "", "", fmt.Errorf("cognito-local is not installed (%s is missing): run `make deps` (npm ci) in %s", entry, root)
	}
	return node, entry, nil
}

// prepare finds Node and cognito-local's entry point under moduleRoot (""
// means Hush's module root) and the port to serve on: port when it is free,
// a free one when it is 0. name says which instance in errors.
func prepare(ctx context.Context, moduleRoot string, port int, name string) (node, entry string, _ int, err error) {
	root := moduleRoot
	if root == "" {
		if root, err = child.ModuleRoot(); err != nil {
			return "", "", 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	if node, entry, err = Check(ctx, root); err != nil {
		return "", "", 0, err
	}
	if port == 0 {
		if port, err = child.FreePort(); err != nil {
			return "", "", 0, fmt.Errorf("%s: %w", name, err)
		}
	} else if err := child.CheckPort(port, name); err != nil {
		return "", "", 0, err
	}
	return node, entry, port, nil
}

// Start starts cognito-local and waits until it answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	node, entry, port, err := prepare(ctx, opts.ModuleRoot, opts.Port, "cognito-local")
	if err != nil {
		return nil, err
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	issuerDomain := cmp.Or(opts.IssuerDomain, endpoint)
	if err := writeConfig(opts.Dir, issuerDomain); err != nil {
		return nil, err
	}
	proc, innerURL, err := launch(ctx, node, entry, opts.Dir, opts.Log, opts.StartTimeout)
	if err != nil {
		return nil, err
	}
	l, err := loopguard.Listen(port)
	if err != nil {
		_ = proc.Stop(2 * time.Second)
		return nil, fmt.Errorf("cognito-local: %w", err)
	}
	next := loopguard.ReverseProxy(func() *url.URL { return innerURL })
	if opts.Wrap != nil {
		next = opts.Wrap(next)
	}
	handler := loopguard.GuardWith(next, loopguard.ProxyOptions{Secret: opts.Secret, Anonymous: Anonymous})
	if !opts.SelfSignUp {
		handler = refuseSignUp(handler)
	}
	guard := &guardServer{name: "cognito-local", addr: l.Addr().String(), handler: handler}
	guard.serve(l)
	return &Server{
		Endpoint: endpoint, Port: port, proc: proc, guard: guard,
		secret: cmp.Or(opts.Secret, "local"), issuerDomain: issuerDomain,
	}, nil
}

// launch starts cognito-local with dir as its working directory, on a
// loopback port that nothing advertises, and waits until it answers;
// timeout zero means 30s.
func launch(ctx context.Context, node, entry, dir string, log io.Writer, timeout time.Duration) (*child.Process, *url.URL, error) {
	inner, err := child.FreePort()
	if err != nil {
		return nil, nil, fmt.Errorf("cognito-local: %w", err)
	}
	innerURL := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(inner))}
	// Not CommandContext: ctx bounds the start-up only; the server runs until Close.
	cmd := exec.Command(node, entry) //nolint:noctx // see above
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(inner))
	proc, err := child.Start("cognito-local", cmd, log)
	if err != nil {
		return nil, nil, err
	}
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := proc.WaitHTTP(wctx, innerURL.String()+"/"); err != nil {
		// The start-up error says more than a failure to stop would.
		_ = proc.Stop(2 * time.Second)
		return nil, nil, err
	}
	return proc, innerURL, nil
}

// writeConfig writes .cognito/config.json. Users pick a username (e-mail is
// only an alias), which cognito-local's default of e-mail usernames would
// refuse; the issuer is pinned to issuerDomain, the address clients use
// unless the pool has a multi-Region issuer.
func writeConfig(dir, issuerDomain string) error {
	cfgDir := filepath.Join(dir, ".cognito")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		return fmt.Errorf("cognito-local: create data dir: %w", err)
	}
	cfg := map[string]any{
		"UserPoolDefaults": map[string]any{"UsernameAttributes": []string{}},
		"TokenConfig":      map[string]any{"IssuerDomain": issuerDomain},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("cognito-local: encode config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), b, 0o600); err != nil {
		return fmt.Errorf("cognito-local: write config: %w", err)
	}
	return nil
}

var nodeVersion = regexp.MustCompile(`^v(\d+)\.`)

// checkNodeVersion refuses Node.js older than 20, which cognito-local 5 needs.
func checkNodeVersion(ctx context.Context, node string) error {
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return fmt.Errorf("cognito-local: run %s --version: %w (install Node.js 20+)", node, err)
	}
	m := nodeVersion.FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("cognito-local: cannot read the Node.js version from %q (install Node.js 20+)", out)
	}
	if major, _ := strconv.Atoi(string(m[1])); major < 20 {
		return fmt.Errorf("cognito-local needs Node.js 20+, found %s: install Node.js 20+", out)
	}
	return nil
}

// Issuer returns the iss claim of the pool's tokens.
func (s *Server) Issuer(poolID string) string { return s.issuerDomain + "/" + poolID }

// JWKSURL returns where the pool's signing keys are served.
func (s *Server) JWKSURL(poolID string) string {
	return s.Endpoint + "/" + poolID + "/.well-known/jwks.json"
}

// PID returns the process ID of the server (also its process group).
func (s *Server) PID() int { return s.proc.PID() }

// Done is closed when the server has exited.
func (s *Server) Done() <-chan struct{} { return s.proc.Done() }

// Err reports why the server exited on its own; nil after Close.
func (s *Server) Err() error { return s.proc.Err() }

// Close stops the server and its process group. It is idempotent.
func (s *Server) Close() error {
	if s == nil || s.proc == nil {
		return errors.New("cognito-local: not started")
	}
	s.guard.close()
	if err := s.proc.Stop(5 * time.Second); err != nil {
		return fmt.Errorf("cognito-local: %w", err)
	}
	return nil
}
