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
)

// consoleHelp lists the drill commands hush-local reads on its standard
// input while the stack runs.
const consoleHelp = `Commands (type them here, then Enter):
  cut REGION           partition REGION: cross-region calls into and out of it hang
  reconnect REGION     end the partition
  down REGION          take REGION's table replica down (every call refused)
  up REGION            bring it back
  write-region REGION  move the write region (stop writes and let replication drain first)
  links                replication backlog, lag and changes applied per second of every link
  status               the above, plus the network and the write region
`

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
	one := func(do func(string) error, done string) error {
		if len(f) != 2 {
			return fmt.Errorf("%s needs one REGION", f[0])
		}
		if err := do(f[1]); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s %s\n", f[1], done)
		return nil
	}
	switch f[0] {
	case "cut":
		return one(s.CutOff, "is cut off")
	case "reconnect":
		return one(s.Reconnect, "is reconnected")
	case "down":
		return one(s.TakeReplicaDown, "replica is down")
	case "up":
		return one(s.BringReplicaUp, "replica is up")
	case "write-region":
		return one(func(r string) error { return s.SetWriteRegion(ctx, r) }, "is the write region")
	case "links":
		printLinks(out, s.ReplicationLinks())
		return nil
	case "status":
		fmt.Fprintf(out, "write region %s, replication delay %s\n", s.WriteRegion(), s.ReplicationDelay())
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
