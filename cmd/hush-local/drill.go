package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hush-scores/hush/localstack"
	"github.com/hush-scores/hush/localstack/drill"
	"github.com/hush-scores/hush/localstack/frontdoor"
	"github.com/hush-scores/hush/localstack/statuspage"
)

// drillAll is the drill that inverts every region's check at once.
const drillAll = "all"

// runDrill is `hush-local drill FAULT`: it breaks one region of a running
// local stack, narrates what the front door does about it, and restores it.
func runDrill(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hush-local drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: hush-local drill [flags] FAULT

Runs a failover drill against a running hush-local and narrates it: what it
broke, when the front door noticed, where the traffic near that region went,
and when it came back. Start the stack with short checks to finish in seconds:
  hush-local -stack prod -check-interval 1s

FAULT is one of:
  gateway   stop the region's gateway (connections refused)
  replica   take the region's table replica down (health answers 503)
  invert    invert the region's health check, as hush:failoverDrill does
  all       invert every region's check: all count as healthy, each vantage
            is answered by its nearest region

Flags:
`)
		fs.PrintDefaults()
	}
	basePort := fs.Int("base-port", localstack.DefaultBasePort, "the -base-port of the running hush-local")
	status := fs.String("status", "", "the status page URL hush-local printed (default: from -base-port)")
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
	url := *status
	if url == "" {
		url = localstack.StatusURL(*basePort)
	}

	// Ctrl-C ends the drill early; the fault is restored either way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client := &drill.Client{BaseURL: url}
	if name == drillAll {
		_, err := drill.EveryRegion(ctx, client, *timeout, stdout)
		return err
	}
	fault, err := drill.ParseFault(name)
	if err != nil || fault == drill.CutOff {
		fs.Usage()
		return fmt.Errorf("drill: unknown fault %q", name)
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
