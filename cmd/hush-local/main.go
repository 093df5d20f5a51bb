// Command hush-local runs Hush on this machine: DynamoDB Local, cognito-local
// and one API gateway per region of a stack, until Ctrl-C. Its subcommands
// act on a running one.
//
//	go run ./cmd/hush-local -stack prod
//	go run ./cmd/hush-local drill gateway
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/localcloud/frontdoor"
	"github.com/hush-scores/hush/stackconfig"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		// -h asked for the usage, which the flag set has printed.
	case err != nil:
		fmt.Fprintln(os.Stderr, "hush-local:", err)
		os.Exit(1)
	}
}

// subcommands act on a running local stack, by the first argument that
// names them; without one, hush-local runs the stack.
var subcommands = map[string]struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}{
	"drill": {"break a region of a running stack and narrate the failover", runDrill},
	"token": {"print a fresh ID token of a user of a running stack", runToken},
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub.run(args[1:], stdout, stderr)
		}
	}
	return serve(args, stdout, stderr)
}

// usage prints how to call hush-local, its subcommands, then fs's flags.
func usage(fs *flag.FlagSet, w io.Writer) func() {
	return func() {
		fmt.Fprintf(w, "Usage: hush-local [flags]            run the local stack until Ctrl-C\n")
		names := make([]string, 0, len(subcommands))
		for name := range subcommands {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			fmt.Fprintf(w, "       hush-local %s [flags] ...   %s (-h for more)\n", name, subcommands[name].summary)
		}
		fmt.Fprintf(w, "\nFlags:\n")
		fs.PrintDefaults()
	}
}

// serve runs the local stack until Ctrl-C or a part of it fails.
func serve(args []string, stdout, stderr io.Writer) error {
	opts, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	// Ctrl-C during start-up cancels it; Start stops what it began.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "Starting the local stack %q\n", opts.Stack)
	opts.Progress = stdout
	s, err := localcloud.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	printSummary(stdout, s.Info())
	fmt.Fprintf(stdout, "Writes go to %s; replication delay %s; round trips between regions: %s, plus handshakes on new connections.\n%s\n",
		s.WriteRegion(), s.ReplicationDelay(), opts.CrossRegionRTT, consoleHelp)
	go console(ctx, s, os.Stdin, stdout)
	go watchLinks(ctx, s, stdout, 5*time.Second)

	select {
	case <-ctx.Done():
		stop() // a second Ctrl-C now ends the program at once; the children die with it
		fmt.Fprintln(stdout, "\nstopping...")
		if err := s.Close(); err != nil {
			return fmt.Errorf("stop: %w", err)
		}
		fmt.Fprintln(stdout, "stopped")
		return nil
	case <-s.Done():
		s.Close()
		return fmt.Errorf("%w\nevery other part of the stack was stopped", s.Err())
	}
}

// parseServe reads hush-local's flags into the options of the stack.
func parseServe(args []string, stderr io.Writer) (localcloud.Options, error) {
	fs := flag.NewFlagSet("hush-local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage(fs, stderr)
	stack := fs.String("stack", "dev", "the stack whose regions to serve (dev, stage, prod: reads Pulumi.<stack>.yaml)")
	clean := fs.Bool("clean", false, "wipe the data of earlier runs before starting")
	dataDir := fs.String("data-dir", "", "where the emulators keep data between runs (default .hush/local/<stack>)")
	basePort := fs.Int("base-port", localcloud.DefaultBasePort, "port of the first region's gateway; the other regions follow, DynamoDB Local takes base+10 and cognito-local base+11, the front door base+30 on, the status page base+41; 0 picks free ports")
	var fdOpts localcloud.FrontDoorOptions
	fs.DurationVar(&fdOpts.CheckInterval, "check-interval", frontdoor.DefaultInterval, "time between two front-door health checks of a region (Route 53: 10s or 30s; shorter for drills)")
	fs.IntVar(&fdOpts.CheckThreshold, "check-threshold", frontdoor.DefaultThreshold, "consecutive failed (or passed) checks that take a region out of the front door (or bring it back), 1 to 10")
	fs.Func("invert-check", "invert a region's health check, as hush:failoverDrill does in the cloud (repeat or comma-separate for more; no hush:domain needed)", func(v string) error {
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				fdOpts.Inverted = append(fdOpts.Inverted, r)
			}
		}
		return nil
	})
	noThrottle := fs.Bool("no-throttle", false, "serve without the stack's API Gateway method throttling (hush:throttle), for benchmarks; by default every method has a token bucket with the stack's rate and burst, as in AWS")
	writeRegion := fs.String("write-region", "", "the write region a new stack is seeded with (default hush:writeRegion of the stack file); a stack restarted on its data dir keeps the one its table holds, and the console's write-region command moves it while running")
	delay := fs.Duration("replication-delay", localcloud.DefaultReplicationDelay, "how long a change waits before the replicator copies it to the other regions (negative: none)")
	var rtt localcloud.Distances
	fs.Var(&rtt, "cross-region-rtt", "round trip added to every call from one region to another, such as a write routed to the write region, plus TCP and TLS handshakes (2 round trips) on a new connection: table (the front door's figures, default), 0.5x (the table scaled), 20ms (every pair), 0 (none)")
	writeTimeout := fs.Duration("write-timeout", localcloud.DefaultWriteTimeout, "bound of one write, retries included; 1.8s is the Lambda functions' bound")
	if err := fs.Parse(args); err != nil {
		return localcloud.Options{}, err
	}
	if fs.NArg() > 0 {
		return localcloud.Options{}, fmt.Errorf("unexpected arguments %q (flags only; see -h)", fs.Args())
	}
	if *delay == 0 {
		*delay = -1 // zero means none here, not the default
	}
	opts := localcloud.Options{
		Stack: *stack, DataDir: *dataDir, Clean: *clean, BasePort: *basePort, FrontDoor: fdOpts,
		WriteRegion: *writeRegion, ReplicationDelay: *delay, CrossRegionRTT: rtt, WriteTimeout: *writeTimeout,
	}
	if *noThrottle {
		opts.Throttle = &stackconfig.Throttle{}
	} else {
		opts.RateLimit = &localcloud.DefaultRateLimit // the cloud's per-IP rule (WAF)
	}
	return opts, nil
}

func printSummary(w io.Writer, info localcloud.Info) {
	fmt.Fprintf(w, "\nHush %s is running (Ctrl-C stops everything):\n\n", info.Stack)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, r := range info.Regions {
		note := ""
		if i == 0 {
			note = "  (home)"
		}
		fmt.Fprintf(tw, "  %s\t%s/v1/hello%s\n", r.Name, r.URL, note)
	}
	fmt.Fprintf(tw, "  front door\t%s/v1/hello  (stands in for the custom domain; clients near the write region)\n", info.FrontDoorURL)
	if len(info.Regions) > 1 {
		for _, r := range info.Regions {
			fmt.Fprintf(tw, "  front door near %s\t%s/v1/hello\n", r.Name, r.FrontDoorURL)
		}
	}
	fmt.Fprintf(tw, "  status page\t%s  (health, routing, replication; `hush-local drill` breaks a region)\n", info.StatusURL)
	fmt.Fprintf(tw, "  API docs\t%s\n", info.DocsURL())
	fmt.Fprintf(tw, "  user pool\t%s\n", info.UserPoolID)
	fmt.Fprintf(tw, "  app client\t%s\n", info.UserPoolClientID)
	fmt.Fprintf(tw, "  cognito-local\t%s\n", info.CognitoEndpoint)
	reach := "every interface"
	if info.DynamoDBLoopbackOnly {
		reach = "loopback only"
	}
	fmt.Fprintf(tw, "  DynamoDB Local\t%s (table %s, %s)\n", info.DynamoDBEndpoint, info.Table, reach)
	fmt.Fprintf(tw, "  throttling\t%s\n", throttleSummary(info.Throttle))
	fmt.Fprintf(tw, "  data\t%s\n", info.DataDir)
	fmt.Fprintf(tw, "  logs\t%s\n", info.LogDir)
	for _, u := range cognitolocal.DemoUsers {
		fmt.Fprintf(tw, "  user %s\tpassword %s%s\n", u.Name, u.Password, groupsNote(u.Groups))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nAn ID token for the Authorization header: %s\n", tokenCommand(info))
	for _, warning := range info.Warnings() {
		fmt.Fprintf(w, "\nwarning: %s\n", warning)
	}

	fmt.Fprintf(w, "\nA client (and `go test ./e2e`) needs:\n\n")
	fmt.Fprintf(w, "export HUSH_APIGW_URL=%s HUSH_AWS_REGION=%s \\\n", info.Regions[0].URL, info.HomeRegion)
	fmt.Fprintf(w, "  HUSH_USER_POOL_ID=%s HUSH_USER_POOL_CLIENT_ID=%s \\\n", info.UserPoolID, info.UserPoolClientID)
	if len(info.Regions) > 1 {
		fmt.Fprintf(w, "  HUSH_APIGW_URLS='%s' \\\n", urlsJSON(info))
	}
	fmt.Fprintf(w, "  HUSH_SELF_SIGN_UP=%t \\\n", info.SelfSignUp) // hush:selfSignUp: whether the e2e sign-up flow can run
	fmt.Fprintf(w, "  HUSH_COGNITO_ENDPOINT=%s \\\n", info.CognitoEndpoint)
	fmt.Fprintf(w, "  %s=%s\n\n", datalock.DataDirEnv, info.DataDir) // where tools find the secret the emulators check
}

func groupsNote(groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	return " (in " + strings.Join(groups, ", ") + ")"
}

// tokenCommand is the command that prints a token of a demo user of the
// stack described by info, with the flags that find it.
func tokenCommand(info localcloud.Info) string {
	cmd := "go run ./cmd/hush-local token"
	if info.Stack != "dev" {
		cmd += " -stack " + info.Stack
	}
	if root, err := child.ModuleRoot(); err != nil || filepath.Join(root, ".hush", "local", info.Stack) != info.DataDir {
		cmd += " -data-dir " + info.DataDir
	}
	return cmd + " [-user " + cognitolocal.DemoUsers[len(cognitolocal.DemoUsers)-1].Name + "]"
}

// urlsJSON renders the region to URL map that HUSH_APIGW_URLS holds.
func urlsJSON(info localcloud.Info) string {
	parts := make([]string, len(info.Regions))
	for i, r := range info.Regions {
		parts[i] = fmt.Sprintf("%q:%q", r.Name, r.URL)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// throttleSummary says which method throttling a local stack enforces.
func throttleSummary(t stackconfig.Throttle) string {
	if t.Off() {
		return "off (-no-throttle)"
	}
	return fmt.Sprintf("rate %g/s, burst %d, per method (the stack's hush:throttle; -no-throttle turns it off)", t.RateLimit, t.BurstLimit)
}
