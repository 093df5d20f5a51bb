package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/testtier"
)

// TestDayQuick runs the tournament-day scenario in quick mode on a local
// two-region stack and checks what it must show: every kind of request
// with the DynamoDB requests it makes (standings one Query, whatever the
// tournament's size), capacity for each, 304s under polling in every
// region with the same ETags everywhere, and the cost tables.
func TestDayQuick(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	// As in TestSmoke: the scenario is under test, not this machine's
	// speed, so a cold DynamoDB Local gets 10 s per write, said here.
	c, err := parseDay([]string{"-quick", "-stack", "stage", "-write-timeout", "10s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("write bound: %v instead of the cloud's 1.8 s", c.WriteTimeout)
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	rep, err := executeDay(ctx, c, &stderr)
	if err != nil {
		t.Fatalf("executeDay: %v\nstderr:\n%s", err, stderr.String())
	}
	var out bytes.Buffer
	if err := renderDay(&out, rep, true); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out.String())

	want := map[string]map[string]float64{
		"GET standings (20 matches)":  {"Query": 1},
		"GET standings (120 matches)": {"Query": 1},
		"GET results (20 matches)":    {"Query": 1},
		"GET results (120, a page)":   {"Query": 1},
		"GET match":                   {"GetItem": 1},
		"GET player matches":          {"Query": 1},
		"GET health":                  {"GetItem": 1},
		"POST match":                  {"TransactWriteItems": 1},
		"PUT match (replace)":         {"GetItem": 1, "TransactWriteItems": 1},
		"DELETE match":                {"GetItem": 1, "TransactWriteItems": 1},
	}
	if len(rep.Kinds) != len(want) {
		t.Fatalf("%d kinds, want %d", len(rep.Kinds), len(want))
	}
	for _, k := range rep.Kinds {
		w, ok := want[k.Name]
		if !ok {
			t.Errorf("unexpected kind %q", k.Name)
			continue
		}
		if !maps.Equal(k.Requests, w) {
			t.Errorf("%s makes %v DynamoDB requests, want %v", k.Name, k.Requests, w)
		}
		write := strings.HasPrefix(k.Name, "POST") || strings.HasPrefix(k.Name, "PUT") || strings.HasPrefix(k.Name, "DELETE")
		if write && (k.WriteUnit <= 0 || k.ReplicatedBytes <= 0) || !write && k.ReadUnits <= 0 {
			t.Errorf("%s: %.1f read units, %.1f write units, %.0f replicated bytes; want capacity reported", k.Name, k.ReadUnits, k.WriteUnit, k.ReplicatedBytes)
		}
		if k.LogBytes <= 0 || k.HandlerMS <= 0 {
			t.Errorf("%s: %.0f log bytes, handler %.2f ms; want both measured", k.Name, k.LogBytes, k.HandlerMS)
		}
	}
	small, big := standingsPair(rep)
	if big.ReadUnits > small.ReadUnits {
		t.Errorf("standings of %d matches read %.1f units, of %d matches %.1f: want no more for the bigger one (same players)",
			rep.Plan.Big, big.ReadUnits, rep.Plan.Small, small.ReadUnits)
	}
	if err := rep.problems(); err != nil {
		t.Error(err)
	}
	var polls, notModified int
	for _, p := range rep.Polls {
		if !strings.HasPrefix(p.Name, "PUT") {
			polls += len(p.Durations)
			notModified += p.Status304
			if len(p.RegionsSeen) != len(rep.Regions) {
				t.Errorf("%s polled regions %v, want all of %v", p.Name, p.RegionsSeen, rep.Regions)
			}
		}
	}
	if polls == 0 || notModified == 0 {
		t.Errorf("%d polls, %d answered 304; want some of each", polls, notModified)
	}
	for _, s := range []string{"Cost per million requests", "A tournament day", "total", "Route 53 health checks", "aws.amazon.com/dynamodb/pricing"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the report lacks %q", s)
		}
	}
}

// TestDayProblems: a run whose regions disagreed or whose polls failed is
// reported as a failure, after its tables.
func TestDayProblems(t *testing.T) {
	clean := dayReport{SameETags: true, Polls: []*pollStat{{Name: "GET standings (20)", Durations: make([]time.Duration, 5)}}}
	if err := clean.problems(); err != nil {
		t.Errorf("clean run: %v", err)
	}
	bad := dayReport{Polls: []*pollStat{{Name: "GET standings (3000)", Errors: 2, Durations: make([]time.Duration, 5)}}}
	err := bad.problems()
	if err == nil || !strings.Contains(err.Error(), "different ETags") || !strings.Contains(err.Error(), "GET standings (3000): 2 of 5 requests failed") {
		t.Errorf("run with disagreeing regions and failed polls: %v", err)
	}
}
