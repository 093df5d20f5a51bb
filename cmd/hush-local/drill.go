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
	"time"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/localcloud/frontdoor"
	"github.com/hush-scores/hush/localcloud/statuspage"
)

// drillAll is the drill that inverts every region's check at once.
const drillAll = "all"

// drillUsage is the help of `hush-local drill`, before its flags.
const drillUsage = `Usage: hush-local drill [flags] FAULT

Runs a failover drill against a running hush-local and narrates it: what it
broke, when the front door noticed, where the traffic near that region went,
and when it came back. Start the stack with short checks to finish in seconds:
  hush-local -stack prod -check-interval 1s
  hush-local drill -stack prod gateway

FAULT is one of:
  gateway   stop the region's gateway (connections refused)
  replica   take the region's table replica down (health answers 503)
  invert    invert the region's health check, as hush:failoverDrill does
  all       invert every region's check: all count as healthy, each vantage
            is answered by its nearest region
  lose      lose the write region (the home region) under steady traffic near
            every region: gateway, replica, network and user pool go dark;
            writes are refused until the write region is moved by force; then
            the region comes back. With the user pool's replica (prod), a user
            made before the loss signs in through it (activated as the runbook
            does), records a match once the write region has moved, and a
            newcomer's sign-up is refused. Narrates the runbook "The home
            region is lost" step by step with its figures (needs -stack prod),
            and moves the write region home again at the end

Flags:
`

// runDrill is `hush-local drill FAULT`: it breaks one region of a running
// local stack, narrates what the front door does about it, and restores it.
func runDrill(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hush-local drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, drillUsage)
		fs.PrintDefaults()
	}
	stack := fs.String("stack", "dev", "the -stack of the running hush-local")
	dataDir := fs.String("data-dir", "", "the -data-dir of the running hush-local (default .hush/local/<stack>)")
	status := fs.String("status", "", "the status page URL hush-local printed (default: found through -stack or -data-dir)")
	region := fs.String("region", "", "the region to break (default: the region nearest the write region)")
	hold := fs.Duration("hold", 0, "how long the fault stays once traffic has moved (default: two check intervals)")
	timeout := fs.Duration("timeout", 0, "the longest to wait for traffic to move, or to come back (default: four detection bounds plus 10s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("drill: name one FAULT")
	}
	name := fs.Arg(0)
	if name == string(drill.Lose) {
		dir, err := stackDataDir(*stack, *dataDir)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runLoseDrill(ctx, dir, *region, *timeout, stdout)
	}
	fault, err := drill.ParseFault(name)
	if name != drillAll && (err != nil || fault == drill.CutOff) {
		fs.Usage()
		return fmt.Errorf("drill: unknown fault %q", name)
	}
	url := *status
	if url == "" {
		if url, err = runningStatusURL(*stack, *dataDir); err != nil {
			return err
		}
	}

	// Ctrl-C ends the drill early; the fault is restored either way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client := &drill.Client{BaseURL: url}
	if name == drillAll {
		_, err := drill.EveryRegion(ctx, client, *timeout, stdout)
		return err
	}
	s, err := client.Status(ctx)
	if err != nil {
		return err
	}
	if *region == "" {
		if *region, err = defaultDrillRegion(s); err != nil {
			return err
		}
	}
	_, err = drill.Run(ctx, client, drill.Plan{Fault: fault, Region: *region, Hold: *hold, Timeout: *timeout, Pace: 100 * time.Millisecond}, stdout)
	return err
}

// runningStatusURL finds the status page of the stack running on the data
// dir of stack, or on dataDir.
func runningStatusURL(stack, dataDir string) (string, error) {
	dataDir, err := stackDataDir(stack, dataDir)
	if err != nil {
		return "", err
	}
	st, err := datalock.Running(dataDir)
	if errors.Is(err, datalock.ErrNotRunning) {
		return "", fmt.Errorf("drill: %w: start it first (make local STACK=prod), or pass the -stack or -data-dir it runs with", err)
	}
	if err != nil {
		return "", fmt.Errorf("drill: %w", err)
	}
	if st.StatusURL == "" {
		return "", fmt.Errorf("drill: the stack on %s records no status page (started by an older hush-local?); pass -status", dataDir)
	}
	return st.StatusURL, nil
}

// stackDataDir returns dataDir, or the default data dir of stack.
func stackDataDir(stack, dataDir string) (string, error) {
	if dataDir != "" {
		return dataDir, nil
	}
	root, err := child.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("drill: %w", err)
	}
	return filepath.Join(root, ".hush", "local", stack), nil
}

// defaultDrillRegion picks the region nearest the write region, other than
// it: its clients have somewhere near to go.
func defaultDrillRegion(s statuspage.Status) (string, error) {
	i := slices.IndexFunc(s.FrontDoor.Vantages, func(v frontdoor.VantageStatus) bool { return v.Name == "default" })
	if i < 0 || len(s.FrontDoor.Vantages[i].Order) < 2 {
		var names []string
		for _, r := range s.FrontDoor.Regions {
			names = append(names, r.Name)
		}
		return "", fmt.Errorf("drill: the stack %s has the regions %s; a drill needs two or more (try -stack prod)", s.Stack, strings.Join(names, ", "))
	}
	return s.FrontDoor.Vantages[i].Order[1], nil
}
