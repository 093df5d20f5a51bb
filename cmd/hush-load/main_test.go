package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/testtier"
)

func ds(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestSummarize(t *testing.T) {
	s := sample{Durations: ds(4, 1, 3, 2), Errors: 1, Elapsed: 2 * time.Second, FirstError: "boom"}
	got := summarize("GET x", s)
	want := summary{
		Name: "GET x", Requests: 4, Errors: 1, Throughput: 2,
		P50: 2 * time.Millisecond, P95: 4 * time.Millisecond, P99: 4 * time.Millisecond, FirstError: "boom",
	}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if s.Durations[0] != 4*time.Millisecond {
		t.Errorf("summarize sorted the caller's slice: %v", s.Durations)
	}
}

func TestSampleAdd(t *testing.T) {
	var s sample
	s.add(sample{Durations: ds(1), Errors: 0, Elapsed: time.Second})
	s.add(sample{Durations: ds(2, 3), Errors: 2, Elapsed: time.Second, FirstError: "first"})
	s.add(sample{Errors: 1, FirstError: "second"})
	if len(s.Durations) != 3 || s.Errors != 3 || s.Elapsed != 2*time.Second || s.FirstError != "first" {
		t.Errorf("got %+v, want 3 durations, 3 errors, 2s, first error %q", s, "first")
	}
}

func TestRender(t *testing.T) {
	r := report{
		Endpoints: []summary{
			{Name: "GET hello", Requests: 1000, Throughput: 500, P50: time.Millisecond, P95: 2 * time.Millisecond, P99: 3 * time.Millisecond},
			{Name: "GET match", Requests: 200, Errors: 2, Throughput: 100, P50: 2 * time.Millisecond, P95: 5 * time.Millisecond, P99: 9 * time.Millisecond, Floor: floorGet, FirstError: "GET /v1/x: status 503"},
		},
		Floors: []summary{
			{Name: floorGet, Requests: 300, Throughput: 150, P50: time.Millisecond, P95: 2 * time.Millisecond, P99: 3 * time.Millisecond},
		},
	}
	var b bytes.Buffer
	if err := render(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	wantLines := [][]string{
		{"endpoint", "requests", "errors", "req/s", "p50", "p95", "p99", "floor", "p99/floor"},
		{"GET hello", "1000", "0", "500", "1.00", "2.00", "3.00"},
		{"GET match", "200", "2", "100", "2.00", "5.00", "9.00", floorGet, "3.00x"},
		{floorGet, "300", "0", "150", "1.00", "2.00", "3.00", "(floor)"},
		{"GET match: 2 errors, the first: GET /v1/x: status 503"},
	}
	if len(lines) != len(wantLines) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(wantLines), out)
	}
	for i, want := range wantLines {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
	// The columns line up: every row of the table is as wide as the header.
	for i := 1; i < 4; i++ {
		if len(lines[i]) != len(lines[0]) {
			t.Errorf("row %d is %d wide, header %d:\n%s", i, len(lines[i]), len(lines[0]), out)
		}
	}
	if f := strings.Fields(lines[1]); f[len(f)-1] != "-" || f[len(f)-2] != "-" {
		t.Errorf("hello has no floor, so neither floor nor ratio: %q", lines[1])
	}
}

func TestRenderNoFloor(t *testing.T) {
	var b bytes.Buffer
	r := report{Endpoints: []summary{{Name: "GET hello", Requests: 1}}, NoFloor: "-no-floor", Notes: []string{"a note"}}
	if err := render(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"no floor: -no-floor\n", "note: a note\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestParseEndpoints(t *testing.T) {
	got, err := parseEndpoints(nil, io.Discard)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if got.Concurrency != 16 || got.Target != "" || got.Stack != "dev" || got.Table != "hush-dev" ||
		strings.Join(got.Endpoints, ",") != "hello,match,results,standings,health,put" {
		t.Errorf("defaults = %+v, want concurrency 16, a local dev stack and every endpoint", got)
	}
	good := [][]string{
		{"-target", "http://127.0.0.1:7460/dev", "-dynamodb-endpoint", "http://localhost:7470"},
		{"-target", "http://[::1]:7460/dev/"},
		{"-target", "https://abc.execute-api.eu-central-1.amazonaws.com/dev", "-allow-remote"},
		{"-requests", "500", "-duration", "0"},
		{"-endpoints", " match , results "},
		{"-concurrency", "256", "-rounds", "20"},
	}
	for _, args := range good {
		if _, err := parseEndpoints(args, io.Discard); err != nil {
			t.Errorf("parseEndpoints(%q): %v, want no error", args, err)
		}
	}
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"no concurrency", []string{"-concurrency", "0"}, "-concurrency 0"},
		{"too much concurrency", []string{"-concurrency", "1000"}, "-concurrency 1000"},
		{"unbounded", []string{"-duration", "0"}, "give at least one bound"},
		{"too long", []string{"-duration", "1h"}, "-duration 1h0m0s"},
		{"too many requests", []string{"-requests", "2000000"}, "-requests 2000000"},
		{"negative warm-up", []string{"-warmup", "-1s"}, "-warmup"},
		{"negative write timeout", []string{"-write-timeout", "-1s"}, "-write-timeout"},
		{"write timeout past the Lambda timeout", []string{"-write-timeout", "11s"}, "-write-timeout"},
		{"no rounds", []string{"-rounds", "0"}, "-rounds 0"},
		{"unknown endpoint", []string{"-endpoints", "hello,scan"}, `unknown endpoint "scan"`},
		{"endpoint twice", []string{"-endpoints", "hello,hello"}, `"hello" twice`},
		{"no endpoints", []string{"-endpoints", ","}, "-endpoints is empty"},
		{"remote target", []string{"-target", "http://10.0.0.5/dev"}, "not a loopback address"},
		{"remote DynamoDB", []string{"-target", "http://127.0.0.1/dev", "-dynamodb-endpoint", "http://10.0.0.5:8000", "-allow-remote"}, "-dynamodb-endpoint"},
		{"not http", []string{"-target", "ftp://127.0.0.1/dev"}, "http or https"},
		{"query in target", []string{"-target", "http://127.0.0.1/dev?x=1"}, "without query"},
		{"floor without target", []string{"-dynamodb-endpoint", "http://127.0.0.1:8000"}, "goes with -target"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
		{"unknown flag", []string{"-bogus"}, "bogus"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseEndpoints(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseEndpoints(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestNewSchedule(t *testing.T) {
	s := newSchedule(config{Concurrency: 4, Duration: 9 * time.Second, Requests: 100, Rounds: 3, Warmup: time.Second})
	if s.Round.Duration != 3*time.Second || s.Round.Requests != 34 {
		t.Errorf("round budget = %+v, want 3s and 34 requests (100 over 3 rounds, rounded up)", s.Round)
	}
}

func TestRunPhaseCountsRequestsAndErrors(t *testing.T) {
	var calls atomic.Int64
	seen := make([]atomic.Bool, 100)
	do := func(_ context.Context, worker, i int) error {
		calls.Add(1)
		if worker < 0 || worker >= 4 {
			return fmt.Errorf("worker %d out of range", worker)
		}
		seen[i].Store(true)
		if i%10 == 0 {
			return errors.New("every tenth fails")
		}
		return nil
	}
	var done atomic.Int64
	s := runPhase(t.Context(), do, 4, budget{Requests: 100}, &done)
	if calls.Load() != 100 || len(s.Durations) != 100 || done.Load() != 100 {
		t.Errorf("got %d calls, %d durations, %d done; want 100 of each", calls.Load(), len(s.Durations), done.Load())
	}
	if s.Errors != 10 || s.FirstError != "every tenth fails" {
		t.Errorf("got %d errors (first %q), want 10", s.Errors, s.FirstError)
	}
	for i := range seen {
		if !seen[i].Load() {
			t.Errorf("request %d never made", i)
		}
	}
}

func TestRunPhaseStopsWhenTimeIsUpOrContextEnds(t *testing.T) {
	do := func(ctx context.Context, _, _ int) error {
		select {
		case <-ctx.Done():
		case <-time.After(time.Millisecond):
		}
		return nil
	}
	var done atomic.Int64
	s := runPhase(t.Context(), do, 2, budget{Duration: 20 * time.Millisecond}, &done)
	if len(s.Durations) == 0 || len(s.Durations) >= maxSamples {
		t.Errorf("a time-bounded phase made %d requests, want some and fewer than the cap", len(s.Durations))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s = runPhase(ctx, do, 2, budget{Requests: 1000}, &done)
	if len(s.Durations) != 0 {
		t.Errorf("a phase whose context ended made %d requests, want 0", len(s.Durations))
	}
}

func TestMatchBodyPlayersDiffer(t *testing.T) {
	for k := range 60 {
		b, err := matchBody("t", "m", k)
		if err != nil {
			t.Fatal(err)
		}
		var p1, p2 string
		for _, p := range seedPlayers {
			if strings.Contains(string(b), `"player1":"`+p+`"`) {
				p1 = p
			}
			if strings.Contains(string(b), `"player2":"`+p+`"`) {
				p2 = p
			}
		}
		if p1 == "" || p1 == p2 {
			t.Errorf("match %d: players %q and %q, want two different ones: %s", k, p1, p2, b)
		}
	}
}

// TestSmoke drives a local stack it starts for about two seconds and checks
// that every endpoint and floor has a row and nothing failed. It asserts no
// timing: the figures depend on the machine.
func TestSmoke(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	// The tool, not the machine, is under test: on a shared 2-core machine
	// a cold DynamoDB Local's first transactions can outlast the cloud's
	// 1.8 s write bound, so this run allows 10 s and says so.
	c, err := parseEndpoints([]string{"-concurrency", "4", "-duration", "200ms", "-warmup", "20ms", "-rounds", "1", "-write-timeout", "10s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("write bound: %v instead of the cloud's 1.8 s (the tool is under test, not this machine's speed)", c.WriteTimeout)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	rep, err := execute(ctx, c, &stdout, &stderr)
	if err != nil {
		t.Fatalf("execute: %v\nstderr:\n%s", err, stderr.String())
	}
	if err := render(&stdout, rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", stdout.String())
	var wantRows []string
	for _, e := range allEndpoints {
		wantRows = append(wantRows, endpointLabel(e))
	}
	wantRows = append(wantRows, floorGet, floorQuery, floorStandings, floorTransact)
	var rows []summary
	rows = append(rows, rep.Endpoints...)
	rows = append(rows, rep.Floors...)
	if len(rows) != len(wantRows) {
		t.Fatalf("got %d rows, want %d (%v)", len(rows), len(wantRows), wantRows)
	}
	for i, want := range wantRows {
		r := rows[i]
		if r.Name != want {
			t.Errorf("row %d is %q, want %q", i, r.Name, want)
		}
		if r.Requests == 0 || r.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors (first: %s); want some and no errors", r.Name, r.Requests, r.Errors, r.FirstError)
		}
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	for _, e := range rep.Endpoints {
		if e.Name != endpointLabel(epHello) && rep.ratio(e) <= 0 {
			t.Errorf("%s has no ratio to its floor %q", e.Name, e.Floor)
		}
	}
	if !strings.Contains(stderr.String(), "%") {
		t.Errorf("no progress bar on stderr:\n%s", stderr.String())
	}
}
