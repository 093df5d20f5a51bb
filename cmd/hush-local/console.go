package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/drill"
)

// consoleHelp lists the drill commands hush-local reads on its standard
// input while the stack runs.
const consoleHelp = `Commands (type them here, then Enter):
  break FAULT REGION   put REGION through FAULT, one of the faults of hush-local drill:
                       gateway (connections refused), replica (its table replica
                       refuses every call), cutoff (cross-region calls into and out
                       of it hang), invert (its health check is inverted)
  restore FAULT REGION undo it
  cut REGION           the same as break cutoff REGION; reconnect REGION restores it
  down REGION          the same as break replica REGION; up REGION restores it
  write-region REGION [force]
                       move the write region as hush-ops write-region move does: pause,
                       drain replication, move, open; force moves on the replicas that
                       answer, for a write region that is cut off or down
  links                replication backlog, lag and changes applied per second of every link
  status               the above, plus the network and the write region
`

// shorthands are the console's short words for a fault broken or
// restored: "cut R" is "break cutoff R".
var shorthands = map[string][2]string{
	"cut": {"break", string(drill.CutOff)}, "reconnect": {"restore", string(drill.CutOff)},
	"down": {"break", string(drill.Replica)}, "up": {"restore", string(drill.Replica)},
}

// faultDone says what a fault did to a region, broken and restored.
var faultDone = map[drill.Fault][2]string{
	drill.CutOff:  {"is cut off", "is reconnected"},
	drill.Replica: {"replica is down", "replica is up"},
	drill.Gateway: {"gateway is stopped", "gateway is serving again"},
	drill.Invert:  {"health check is inverted", "health check is no longer inverted"},
}

// console reads drill commands from in until it ends or ctx does, and
// answers on out.
func console(ctx context.Context, s *localcloud.Stack, in io.Reader, out io.Writer) {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case line, ok := <-lines:
			if !ok {
				return
			}
			if err := command(ctx, s, strings.Fields(line), out); err != nil {
				fmt.Fprintln(out, "error:", err)
			}
		}
	}
}

// command runs one console command.
func command(ctx context.Context, s *localcloud.Stack, f []string, out io.Writer) error {
	if len(f) == 0 {
		return nil
	}
	f, err := expand(f)
	if err != nil {
		return err
	}
	switch f[0] {
	case "break", "restore":
		return fault(ctx, s.Faults(), f, out)
	case "write-region":
		if err := moveWriteRegion(ctx, s.Faults(), f, out); err != nil {
			return err
		}
		b := s.WriteRegionBelief()
		fmt.Fprintf(out, "the views say: write region %s, epoch %d, %s\n", b.WriteRegion, b.Epoch, b.State)
		return nil
	case "links":
		printLinks(out, s.ReplicationLinks())
		return nil
	case "status":
		b := s.WriteRegionBelief()
		fmt.Fprintf(out, "write region %s (epoch %d, %s), replication delay %s\n", b.WriteRegion, b.Epoch, b.State, s.ReplicationDelay())
		for _, st := range s.NetworkStates() {
			fmt.Fprintf(out, "  %-16s cut off %-5v replica down %v\n", st.Region, st.CutOff, st.Down)
		}
		printLinks(out, s.ReplicationLinks())
		return nil
	case "help", "?":
		fmt.Fprint(out, consoleHelp)
		return nil
	}
	return fmt.Errorf("unknown command %q; type help", f[0])
}

// expand turns a shorthand ("cut R") into the command it stands for
// ("break cutoff R"); other commands stay as they are.
func expand(f []string) ([]string, error) {
	long, ok := shorthands[f[0]]
	if !ok {
		return f, nil
	}
	if len(f) != 2 {
		return nil, fmt.Errorf("%s needs one REGION", f[0])
	}
	return []string{long[0], long[1], f[1]}, nil
}

// fault runs "break FAULT REGION" or "restore FAULT REGION"; FAULT is
// parsed as hush-local drill parses it.
func fault(ctx context.Context, b drill.Breaker, f []string, out io.Writer) error {
	if len(f) != 3 {
		return fmt.Errorf("%s needs a FAULT and one REGION", f[0])
	}
	flt, err := drill.ParseFault(f[1])
	if err != nil {
		return err
	}
	act, done := b.Break, faultDone[flt][0]
	if f[0] == "restore" {
		act, done = b.Restore, faultDone[flt][1]
	}
	if err := act(ctx, flt, f[2]); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s %s\n", f[2], done)
	return nil
}

func printLinks(out io.Writer, links []localcloud.LinkStats) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  link\tbacklog\tlag\tlast lag\tapplied\twrites\tchanges/s\tchanges/s busy")
	for _, l := range links {
		fmt.Fprintf(tw, "  %s -> %s\t%d\t%s\t%s\t%d\t%d\t%.0f\t%.0f\n", l.From, l.To, l.Backlog,
			l.Lag.Round(time.Millisecond), l.LastLag.Round(time.Millisecond), l.Applied, l.Writes, l.Rate, l.BusyRate)
	}
	tw.Flush()
}

// watchLinks prints the links every interval while any has a backlog, so
// a partition or a slow replica shows while the stack runs.
func watchLinks(ctx context.Context, s *localcloud.Stack, out io.Writer, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		links := s.ReplicationLinks()
		for _, l := range links {
			if l.Backlog > 0 {
				fmt.Fprintf(out, "replication backlog at %s:\n", time.Now().Format(time.TimeOnly))
				printLinks(out, links)
				break
			}
		}
	}
}

// moveWriteRegion runs `write-region REGION [force]` on the stack's
// operator of the write region.
func moveWriteRegion(ctx context.Context, b drill.Breaker, f []string, out io.Writer) error {
	force := len(f) == 3 && f[2] == "force"
	if len(f) != 2 && !force {
		return fmt.Errorf("%s needs one REGION, then force or nothing", f[0])
	}
	if err := b.MoveWriteRegion(ctx, f[1], force); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s is the write region\n", f[1])
	return nil
}
