// Command hush-load puts load on Hush's API and measures it. It has two
// commands, each with its own flags (hush-load <command> -h):
//
// hush-load endpoints drives the API at a fixed concurrency and prints, per
// endpoint, the requests, errors (non-2xx), throughput and p50/p95/p99
// latency. Beside them it measures the floor: direct DynamoDB Local calls
// from Go of the kind each endpoint makes (GetItem, a 20-item Query, a
// three-item transaction), in the same run, at the same concurrency and
// with the handlers' client settings, and prints each endpoint's p99 over
// its floor's p99. By default it starts a local stack itself (the dev
// stack's regions, a temporary data directory, free ports) and drives its
// first region:
//
//	go run ./cmd/hush-load endpoints
//	go run ./cmd/hush-load endpoints -concurrency 32 -duration 20s -endpoints match,results
//
// With -target it drives a running stack instead; its user pool comes from
// HUSH_AWS_REGION, HUSH_USER_POOL_ID, HUSH_USER_POOL_CLIENT_ID and
// HUSH_COGNITO_ENDPOINT, as `make local` prints them, and its DynamoDB Local
// (for the floor) from -dynamodb-endpoint. Only loopback targets are allowed
// unless -allow-remote is given. A run seeds its own data through the API
// (a user, a tournament of 20 matches, one match per worker for PUT) and
// deletes it at the end. Every phase is bounded by -duration and
// -requests, so the run stops by itself.
//
// hush-load day runs the tournament-day profile (day.go) on a local stack
// of every region of -stack:
//
//	go run ./cmd/hush-load day -stack prod
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "hush-load:", err)
		os.Exit(1)
	}
}

// execute runs the load described by c and returns the report; it writes
// a heading to stdout and progress to stderr. Its steps: the target, the
// API's user and fixture, the floor's items, the measured rounds, the rows.
func execute(ctx context.Context, c config, stdout, stderr io.Writer) (rep report, err error) {
	var t target
	if c.Target == "" {
		t, err = startLocal(ctx, c.Stack, c.Throttle, c.WriteTimeout, c.Via, stderr)
	} else {
		t, err = givenTarget(c, os.Getenv)
	}
	if err != nil {
		return report{}, err
	}
	defer t.close()

	// What was created is removed in reverse, even after Ctrl-C ended ctx.
	var cl cleanups
	defer func() { err = errors.Join(err, cl.run(context.WithoutCancel(ctx))) }()
	runID := randomID()
	client := newHTTPClient(c.Concurrency)
	fix, attrs, err := prepareAPI(ctx, t, c.Concurrency, runID, client, &cl)
	if err != nil {
		return report{}, err
	}
	phases := fix.phases(client, c.Endpoints)
	floors, noFloor, err := prepareFloor(ctx, c, t, runID, attrs, &cl)
	if err != nil {
		return report{}, err
	}
	rep.NoFloor = noFloor
	phases = append(phases, floors...)

	fmt.Fprintf(stdout, "hush-load: %s, concurrency %d, per endpoint %s, %d rounds, warm-up %s; %s, GOMAXPROCS %d\n",
		t.Source, c.Concurrency, boundText(c), c.Rounds, c.Warmup, runtime.Version(), runtime.GOMAXPROCS(0))
	startProfile, stopProfile := profiler(c.CPUProfile, stderr)
	samples, err := measure(ctx, newSchedule(c), phases, stderr, startProfile, stopProfile)
	if err != nil {
		return report{}, err
	}
	rep.Endpoints, rep.Floors = rows(phases, samples, len(c.Endpoints), rep.NoFloor != "")
	return rep, nil
}

// cleanups are the steps that undo what a run created; run takes them in
// reverse and joins their errors.
type cleanups []func(context.Context) error

func (cl *cleanups) add(f func(context.Context) error) { *cl = append(*cl, f) }

func (cl cleanups) run(ctx context.Context) error {
	var err error
	for i := len(cl) - 1; i >= 0; i-- {
		err = errors.Join(err, cl[i](ctx))
	}
	return err
}

// prepareAPI signs a user of its own in and seeds the fixture the
// endpoints read and replace; it returns the fixture and the first match
// as the API answers it.
func prepareAPI(ctx context.Context, t target, concurrency int, runID string, client *http.Client, cl *cleanups) (*fixture, map[string]any, error) {
	cognito, err := newCognito(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	user := "load-" + runID
	token, err := signUp(ctx, cognito, t, user)
	cl.add(func(ctx context.Context) error { return deleteUser(ctx, cognito, t, user) })
	if err != nil {
		return nil, nil, err
	}
	fix, err := newFixture(t.Base, token, runID, concurrency)
	if err != nil {
		return nil, nil, err
	}
	cl.add(func(ctx context.Context) error { return fix.cleanup(ctx, client) })
	attrs, err := fix.seed(ctx, client)
	if err != nil {
		return nil, nil, err
	}
	return fix, attrs, nil
}

// prepareFloor seeds the items of the direct DynamoDB calls and returns
// their phases, or none and why not.
func prepareFloor(ctx context.Context, c config, t target, runID string, attrs map[string]any, cl *cleanups) ([]phase, string, error) {
	switch {
	case c.NoFloor:
		return nil, "-no-floor", nil
	case t.DynamoDBEndpoint == "":
		return nil, "the target's DynamoDB Local is unknown (pass -dynamodb-endpoint)", nil
	}
	fs, err := newFloorStore(ctx, t.DynamoDBEndpoint, t.Secret, t.Region, t.Table, runID)
	if err != nil {
		return nil, "", err
	}
	cl.add(func(ctx context.Context) error { return fs.cleanup(ctx, c.Concurrency) })
	if err := fs.seed(ctx, attrs); err != nil {
		return nil, "", err
	}
	floors, err := fs.phases(attrs)
	return floors, "", err
}

// rows summarizes each phase's samples: the first endpoints phases are the
// endpoints (with their floor's name unless there is no floor), the rest
// the floors.
func rows(phases []phase, samples []sample, endpoints int, noFloor bool) (eps, floors []summary) {
	for i, p := range phases {
		r := summarize(p.Name, samples[i])
		if i >= endpoints {
			floors = append(floors, r)
			continue
		}
		if !noFloor {
			r.Floor = p.Floor
		}
		eps = append(eps, r)
	}
	return eps, floors
}

// boundText says how each endpoint's measurement is bounded.
func boundText(c config) string {
	switch {
	case c.Duration > 0 && c.Requests > 0:
		return fmt.Sprintf("%s or %d requests", c.Duration, c.Requests)
	case c.Duration > 0:
		return c.Duration.String()
	default:
		return fmt.Sprintf("%d requests", c.Requests)
	}
}

// profiler returns functions that start and stop a CPU profile written to
// path; with no path they do nothing. Stopping twice is harmless.
func profiler(path string, stderr io.Writer) (start func() error, stop func()) {
	if path == "" {
		return func() error { return nil }, func() {}
	}
	var f *os.File
	start = func() error {
		var err error
		if f, err = os.Create(path); err != nil { //nolint:gosec // G304: the path is the -cpuprofile the user chose
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			f = nil
			return fmt.Errorf("cpu profile: %w", err)
		}
		return nil
	}
	stop = func() {
		if f == nil {
			return
		}
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(stderr, "hush-load: cpu profile:", err)
		}
		f = nil
	}
	return start, stop
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (it crashes instead)
	return hex.EncodeToString(b)
}
