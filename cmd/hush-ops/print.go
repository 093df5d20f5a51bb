package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hush-scores/hush/writeregion"
)

// printStep prints one step of an operation as it finishes.
func printStep(w io.Writer, s writeregion.Step) {
	fmt.Fprintf(w, "  %s: %s (%s)\n", s.Name, s.Detail, round(s.Took))
}

// printStatus prints what the answering views support, then each
// replica's own view in the order of regions, then what is amiss: the
// replicas that did not answer, and views behind the newest epoch.
func printStatus(w io.Writer, regions []string, st writeregion.Status, now time.Time) {
	if len(st.Views) > 0 {
		b := st.Belief
		fmt.Fprintf(w, "Writes go to %s, epoch %d, %s (what the %d of %d views that answered support)\n\n",
			b.WriteRegion, b.Epoch, b.State, len(st.Views), len(regions))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tWRITE REGION\tEPOCH\tSTATE\tLEASE LEFT\tCHANGED\tBY")
	var notes []string
	for _, r := range regions {
		v, ok := st.Views[r]
		if !ok {
			fmt.Fprintf(tw, "%s\t(no view)\t-\t-\t-\t-\t-\n", r)
			notes = append(notes, fmt.Sprintf("%s %s", r, missing(st.Unreachable[r])))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r, v.WriteRegion, v.Epoch, v.State, leaseLeft(v.LeaseUntil, now), changed(v.Changed, now), v.By)
		if v.Epoch < st.Belief.Epoch {
			notes = append(notes, fmt.Sprintf("%s is behind at epoch %d: it adopts epoch %d when the write region next renews its lease through it", r, v.Epoch, st.Belief.Epoch))
		}
	}
	tw.Flush()
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
	if n := len(regions) - len(st.Views); n > 0 {
		fmt.Fprintf(w, "%d of %d replicas did not answer with a view.\n", n, len(regions))
	}
}

// printUnreachable prints why each replica did not answer.
func printUnreachable(w io.Writer, regions []string, st writeregion.Status) {
	for _, r := range regions {
		if _, ok := st.Views[r]; !ok {
			fmt.Fprintf(w, "  %s: %s\n", r, missing(st.Unreachable[r]))
		}
	}
}

// missing says why a replica has no view to show.
func missing(err error) string {
	switch {
	case err == nil:
		return "no answer"
	case errors.Is(err, writeregion.ErrNoView):
		return "holds no view: the write region is not seeded in this replica (pulumi up seeds it)"
	default:
		return "did not answer: " + err.Error()
	}
}

// leaseLeft says how long the lease a view granted still runs.
func leaseLeft(until, now time.Time) string {
	switch d := until.Sub(now); {
	case until.IsZero():
		return "none granted"
	case d <= 0:
		return "ran out " + round(-d) + " ago"
	default:
		return round(d)
	}
}

// changed says when a view last changed, in UTC and how long ago.
func changed(at, now time.Time) string {
	if at.IsZero() {
		return "-"
	}
	return at.UTC().Format("2006-01-02 15:04:05Z") + " (" + round(now.Sub(at).Truncate(time.Second)) + " ago)"
}

// round shortens a duration for people: milliseconds under a second,
// tenths of a second under a minute, seconds above.
func round(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// printFailure prints why an operation failed, the state it left the
// stack in, and the command that continues.
func printFailure(w io.Writer, what string, err error, command string) {
	var op *writeregion.OpError
	if !errors.As(err, &op) {
		fmt.Fprintf(w, "hush-ops: %s failed: %v\n", what, err)
		fmt.Fprintf(w, "The stack's state is unknown; see it with:\n  %s write-region status\n", command)
		return
	}
	fmt.Fprintf(w, "hush-ops: %s failed at step %q: %v\n", what, op.Step, op.Err)
	if op.Left != "" {
		fmt.Fprintf(w, "The stack is left: %s\n", op.Left)
	}
	if op.Next != "" {
		fmt.Fprintf(w, "To continue:\n  %s %s\n", command, op.Next)
	} else {
		fmt.Fprintf(w, "See where it stands with:\n  %s write-region status\n", command)
	}
}

// quoteAll quotes each argument for a POSIX shell where it needs it.
func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = quote(a)
	}
	return out
}

func quote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || slices.Contains([]rune("-_./=:,@+"), r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
