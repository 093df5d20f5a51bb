package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hush-scores/hush/api"
)

// Bounds of a run. Every phase stops by itself: at its share of -duration,
// at its share of -requests, and never after maxSamples requests, which also
// bounds the memory of the recorded durations (8 bytes each).
const (
	maxConcurrency = 256
	maxDuration    = 10 * time.Minute
	maxSamples     = 1_000_000
	maxRounds      = 20
)

// Endpoint names, as -endpoints takes them.
const (
	epHello     = "hello"
	epMatch     = "match"
	epResults   = "results"
	epStandings = "standings"
	epHealth    = "health"
	epPut       = "put"
)

// allEndpoints is the default mix, in the order of the table.
var allEndpoints = []string{epHello, epMatch, epResults, epStandings, epHealth, epPut}

// config is a parsed command line of `hush-load endpoints`.
type config struct {
	// Target is a stage URL (API v1 under Target/v1); empty starts a local
	// stack of Stack.
	Target      string
	Stack       string
	Concurrency int
	// Duration and Requests bound each endpoint's measured phase; either
	// may be zero, not both.
	Duration time.Duration
	Requests int
	Warmup   time.Duration
	// Rounds interleave the phases, so a change in the machine's load
	// (the cores are shared) hits endpoints and floors alike.
	Rounds    int
	Endpoints []string
	// AllowRemote lets Target be something other than a loopback address.
	AllowRemote bool
	// DynamoDBEndpoint and Table name DynamoDB Local for the floor when
	// Target is given; a local stack knows its own.
	DynamoDBEndpoint string
	Table            string
	Region           string
	NoFloor          bool
	CPUProfile       string
	// Throttle keeps the stack's method throttling on the local stack.
	Throttle bool
	// WriteTimeout bounds each write of the local stack; 0 is the cloud's
	// bound (localcloud.DefaultWriteTimeout).
	WriteTimeout time.Duration
	// Via is the region of the local stack to drive; "" means the first.
	Via string
}

// endpointsFlags returns the flags of `hush-load endpoints`, which fill c.
func endpointsFlags(c *config, endpoints *string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hush-load endpoints", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: hush-load endpoints [flags]\n\n"+
			"Drives Hush's API at a fixed concurrency and prints per endpoint the\n"+
			"requests, errors, throughput and p50/p95/p99 latency, beside direct\n"+
			"DynamoDB Local calls measured in the same run (the floor).\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Target, "target", "", "stage URL to drive, e.g. http://127.0.0.1:7460/dev (API v1 under it); empty starts a local stack of -stack with a temporary data dir on free ports")
	fs.StringVar(&c.Stack, "stack", "dev", "stack whose regions the local stack serves (when -target is empty)")
	fs.IntVar(&c.Concurrency, "concurrency", 16, fmt.Sprintf("requests in flight at once, 1 to %d", maxConcurrency))
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "measured time per endpoint (and per floor); 0 means bounded by -requests only")
	fs.IntVar(&c.Requests, "requests", 0, fmt.Sprintf("measured requests per endpoint; 0 means bounded by -duration only (never more than %d)", maxSamples))
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured time per endpoint before the measured rounds")
	fs.IntVar(&c.Rounds, "rounds", 3, "the measured phases run interleaved in this many rounds, each with its share of -duration and -requests")
	fs.StringVar(endpoints, "endpoints", strings.Join(allEndpoints, ","), "comma-separated endpoints: "+strings.Join(allEndpoints, ", "))
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow a -target that is not a loopback address (a deployed stage)")
	fs.StringVar(&c.DynamoDBEndpoint, "dynamodb-endpoint", "", "DynamoDB Local of the -target, for the floor (hush-local prints it); empty means no floor for a -target")
	fs.StringVar(&c.Table, "table", "", "table for the floor with -dynamodb-endpoint (default hush-<stack>)")
	fs.StringVar(&c.Region, "region", "", "region of the -target (default HUSH_AWS_REGION)")
	fs.BoolVar(&c.NoFloor, "no-floor", false, "skip the direct DynamoDB calls")
	fs.BoolVar(&c.Throttle, "throttle", false, "keep the stack's API Gateway method throttling on the local stack it starts; off by default (as hush-local -no-throttle), so the figures measure the gateway and handlers, not the limits")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 0, "bound of one write on the local stack it starts; 0 is the Lambda functions' bound, as in the cloud")
	fs.StringVar(&c.Via, "via", "", "with a local stack, the region whose gateway to drive (default the first); from a region other than the write region, every write pays the cross-region round trip to it")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured rounds to this file (with a local stack it includes the gateway and handlers, which run in this process)")
	return fs
}

// parseEndpoints reads and validates the flags of `hush-load endpoints`.
func parseEndpoints(args []string, stderr io.Writer) (config, error) {
	var c config
	var endpoints string
	fs := endpointsFlags(&c, &endpoints, stderr)
	if err := parseCommand(fs, cmdEndpoints, args, stderr); err != nil {
		return config{}, err
	}
	c.Endpoints = splitList(endpoints)
	if c.Table == "" {
		c.Table = "hush-" + c.Stack
	}
	if err := c.validate(); err != nil {
		return config{}, err
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// validate checks the bounds that keep a run finite and on this machine.
func (c config) validate() error {
	var errs []error
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		errs = append(errs, fmt.Errorf("-concurrency %d: want 1 to %d", c.Concurrency, maxConcurrency))
	}
	if c.Duration < 0 || c.Duration > maxDuration {
		errs = append(errs, fmt.Errorf("-duration %s: want 0 to %s", c.Duration, maxDuration))
	}
	if c.Requests < 0 || c.Requests > maxSamples {
		errs = append(errs, fmt.Errorf("-requests %d: want 0 to %d", c.Requests, maxSamples))
	}
	if c.Duration == 0 && c.Requests == 0 {
		errs = append(errs, errors.New("-duration and -requests are both 0: give at least one bound"))
	}
	if c.Warmup < 0 || c.Warmup > maxDuration {
		errs = append(errs, fmt.Errorf("-warmup %s: want 0 to %s", c.Warmup, maxDuration))
	}
	if err := checkWriteTimeout(c.WriteTimeout); err != nil {
		errs = append(errs, err)
	}
	if c.Rounds < 1 || c.Rounds > maxRounds {
		errs = append(errs, fmt.Errorf("-rounds %d: want 1 to %d", c.Rounds, maxRounds))
	}
	if len(c.Endpoints) == 0 {
		errs = append(errs, errors.New("-endpoints is empty"))
	}
	seen := map[string]bool{}
	for _, e := range c.Endpoints {
		switch {
		case !slices.Contains(allEndpoints, e):
			errs = append(errs, fmt.Errorf("-endpoints: unknown endpoint %q (known: %s)", e, strings.Join(allEndpoints, ", ")))
		case seen[e]:
			errs = append(errs, fmt.Errorf("-endpoints: %q twice", e))
		}
		seen[e] = true
	}
	if c.Target != "" {
		if err := checkTarget(c.Target, c.AllowRemote); err != nil {
			errs = append(errs, err)
		}
	}
	if c.DynamoDBEndpoint != "" {
		if c.Target == "" {
			errs = append(errs, errors.New("-dynamodb-endpoint goes with -target; a local stack uses its own"))
		} else if err := checkTarget(c.DynamoDBEndpoint, false); err != nil {
			errs = append(errs, fmt.Errorf("-dynamodb-endpoint: %w", err))
		}
	}
	return errors.Join(errs...)
}

// checkTarget accepts an http(s) URL whose host is a loopback address,
// or any host when remote is allowed.
func checkTarget(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-target %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-target %q: want an http or https URL", raw)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("-target %q: no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("-target %q: want a stage URL without query or fragment", raw)
	}
	if !allowRemote && !isLoopback(u.Hostname()) {
		return fmt.Errorf("-target %q is not a loopback address; pass -allow-remote to load a deployed stage", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkWriteTimeout refuses a negative -write-timeout, which would fail
// every write, and one past a Lambda function's whole timeout.
func checkWriteTimeout(d time.Duration) error {
	if d < 0 || d > api.LambdaTimeout {
		return fmt.Errorf("-write-timeout %s: want 0 (the cloud's bound) to %s (a Lambda function's timeout)", d, api.LambdaTimeout)
	}
	return nil
}
