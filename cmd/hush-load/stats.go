package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/hush-scores/hush/internal/stats"
)

// sample is what one phase recorded: every request's duration, the
// errors among them and the wall time the phase took.
type sample struct {
	Durations []time.Duration
	Errors    int
	Elapsed   time.Duration
	// FirstError describes the first failure, for the report.
	FirstError string
}

// add merges o into s: rounds of one phase add up.
func (s *sample) add(o sample) {
	s.Durations = append(s.Durations, o.Durations...)
	s.Errors += o.Errors
	s.Elapsed += o.Elapsed
	if s.FirstError == "" {
		s.FirstError = o.FirstError
	}
}

// summary is one row of the table.
type summary struct {
	Name       string
	Requests   int
	Errors     int
	Throughput float64 // requests per second of phase wall time
	P50        time.Duration
	P95        time.Duration
	P99        time.Duration
	// Floor names the floor row this row compares with, or "".
	Floor      string
	FirstError string
}

// summarize computes the row of s.
func summarize(name string, s sample) summary {
	ps := stats.Percentiles(s.Durations, 50, 95, 99)
	row := summary{
		Name: name, Requests: len(s.Durations), Errors: s.Errors, FirstError: s.FirstError,
		P50: ps[0], P95: ps[1], P99: ps[2],
	}
	if s.Elapsed > 0 {
		row.Throughput = float64(len(s.Durations)) / s.Elapsed.Seconds()
	}
	return row
}

// report is the whole result of a run.
type report struct {
	Endpoints []summary
	Floors    []summary
	// NoFloor says why there are no floor rows, when there are none.
	NoFloor string
	// Notes are printed under the table.
	Notes []string
}

// floor returns the floor row called name.
func (r report) floor(name string) (summary, bool) {
	for _, f := range r.Floors {
		if f.Name == name {
			return f, true
		}
	}
	return summary{}, false
}

// ratio is an endpoint's p99 over its floor's p99, or 0 when it has none.
func (r report) ratio(e summary) float64 {
	f, ok := r.floor(e.Floor)
	if !ok || f.P99 <= 0 {
		return 0
	}
	return float64(e.P99) / float64(f.P99)
}

// render writes the table: one row per endpoint, then the floors, then
// the first error of every row that had any.
func render(w io.Writer, r report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "endpoint\trequests\terrors\treq/s\tp50 ms\tp95 ms\tp99 ms\tfloor\tp99/floor p99\t")
	row := func(s summary, floor, ratio string) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n",
			s.Name, s.Requests, s.Errors, s.Throughput, ms(s.P50), ms(s.P95), ms(s.P99), floor, ratio)
	}
	for _, e := range r.Endpoints {
		floor, ratio := "-", "-"
		if e.Floor != "" {
			floor = e.Floor
			if x := r.ratio(e); x > 0 {
				ratio = fmt.Sprintf("%.2fx", x)
			}
		}
		row(e, floor, ratio)
	}
	for _, f := range r.Floors {
		row(f, "(floor)", "")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if len(r.Floors) == 0 && r.NoFloor != "" {
		fmt.Fprintf(w, "no floor: %s\n", r.NoFloor)
	}
	for _, s := range slices.Concat(r.Endpoints, r.Floors) {
		if s.Errors > 0 {
			fmt.Fprintf(w, "%s: %d errors, the first: %s\n", s.Name, s.Errors, s.FirstError)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond))
}
