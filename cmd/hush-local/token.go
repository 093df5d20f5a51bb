package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/userpool/signin"
)

// runToken is `hush-local token`: it signs a user of a running local stack
// in and prints a fresh ID token, alone on its line, for
// `TOKEN=$(go run ./cmd/hush-local token)`.
func runToken(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hush-local token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	names := make([]string, len(cognitolocal.DemoUsers))
	for i, u := range cognitolocal.DemoUsers {
		names[i] = u.Name
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: hush-local token [flags]

Prints a fresh ID token of a user of the running local stack, for the
Authorization header. The stack creates the demo users %s
(passwords in README.md); any other user needs a password: in the
environment variable %s, or on standard input with -password-stdin
(a -password flag shows in the process list to every user).

Flags:
`, strings.Join(names, " and "), passwordEnv)
		fs.PrintDefaults()
	}
	stack := fs.String("stack", "dev", "the -stack of the running hush-local")
	dataDir := fs.String("data-dir", "", "the -data-dir of the running hush-local (default .hush/local/<stack>)")
	user := fs.String("user", cognitolocal.DemoUsers[0].Name, "the user to sign in")
	password := fs.String("password", "", "the user's password (default: $"+passwordEnv+", else the demo user's); visible to other users in ps, prefer $"+passwordEnv+" or -password-stdin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token: unexpected arguments %q (flags only; see -h)", fs.Args())
	}
	dir := *dataDir
	if dir == "" {
		root, err := child.ModuleRoot()
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		dir = filepath.Join(root, ".hush", "local", *stack)
	}
	st, err := datalock.Running(dir)
	if errors.Is(err, datalock.ErrNotRunning) {
		return fmt.Errorf("token: %w: start it first (make local), or pass the -stack or -data-dir it runs with", err)
	}
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	for _, ep := range []string{st.CognitoEndpoint, st.IdentityReplicaEndpoint} {
		if ep == "" {
			continue
		}
		if err := checkLoopback(ep); err != nil {
			return fmt.Errorf("token: the lock file of %s names %w; it is not sent a password", dir, err)
		}
	}
	pw, err := tokenPassword(*password, *fromStdin, *user)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if pw == "" {
		demo, ok := cognitolocal.FindDemoUser(*user)
		if !ok {
			return fmt.Errorf("token: %s is no demo user (%s): give its password in $%s or with -password-stdin", *user, strings.Join(names, ", "), passwordEnv)
		}
		pw = demo.Password
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	token, region, err := signInPool(st).IDToken(ctx, *user, pw)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if region != st.HomeRegion {
		fmt.Fprintf(stderr, "token: the home region's Cognito (%s) did not answer; signed in at the user pool's replica in %s\n", st.HomeRegion, region)
	}
	fmt.Fprintln(stdout, token)
	return nil
}

// signInPool is the running stack's user pool: the home region's endpoint,
// then the replica's when the stack has one (signin tries them in order).
func signInPool(st datalock.State) signin.Pool {
	p := signin.Pool{ClientID: st.UserPoolClientID, Endpoints: []signin.Endpoint{
		{Region: st.HomeRegion, Client: cognitolocal.NewClient(st.CognitoEndpoint, st.HomeRegion)},
	}}
	if st.IdentityReplicaEndpoint != "" {
		p.Endpoints = append(p.Endpoints, signin.Endpoint{
			Region: st.IdentityReplicaRegion, Client: cognitolocal.NewClient(st.IdentityReplicaEndpoint, st.IdentityReplicaRegion),
		})
	}
	return p
}
