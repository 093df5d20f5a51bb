package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/dynamo"
)

// TestFenceDay: the fence's calls follow the write rate, one Query and one
// renewal round per write when writes are sparse, never more than an
// instance kept busy all day; a round costs one view write per region and
// its replication to every other; the units per call come from the run
// when it measured some.
func TestFenceDay(t *testing.T) {
	measured := dayReport{PollControl: dynamo.ControlUsage{Requests: map[string]int{"Query": 10, "UpdateItem": 4}, ReadUnits: 20, WriteUnits: 4}}
	within := func(got, want, tol float64) bool { return math.Abs(got-want) <= tol*want }
	tests := []struct {
		name    string
		rep     dayReport
		m       dayModel
		regions int
		// wantQueries and wantRounds are the day's calls, within 5%.
		wantQueries, wantRounds float64
		wantRU, wantWU          float64
	}{
		{"sparse writes: one Query and one round each", measured, dayModel{Hours: 10, Matches: 300, Corrections: 30, Deletes: 5}, 3, 335, 335, 2, 1},
		{"busy all day: one Query a second, a round every 2.2 s", measured, dayModel{Hours: 1, Matches: 10_000_000}, 2, 3600, 3600 / 2.2, 2, 1},
		{"nothing measured: one unit per call", dayReport{}, dayModel{Hours: 10, Matches: 300, Corrections: 30, Deletes: 5}, 1, 335, 335, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fenceDay(tt.rep, tt.m, tt.regions)
			if !within(f.Queries, tt.wantQueries, 0.05) || !within(f.Rounds, tt.wantRounds, 0.05) {
				t.Errorf("%.0f Queries and %.0f rounds, want about %.0f and %.0f", f.Queries, f.Rounds, tt.wantQueries, tt.wantRounds)
			}
			if f.Queries > f.BusyQueries || f.Rounds > f.BusyRounds {
				t.Errorf("%.0f Queries and %.0f rounds exceed a busy instance's %.0f and %.0f", f.Queries, f.Rounds, f.BusyQueries, f.BusyRounds)
			}
			if f.ReadUnits != tt.wantRU || f.WriteUnits != tt.wantWU {
				t.Errorf("per call %.1f read and %.1f write units, want %.1f and %.1f", f.ReadUnits, f.WriteUnits, tt.wantRU, tt.wantWU)
			}
			n := float64(tt.regions)
			want := f.Queries*tt.wantRU*priceDynamoRead.USD + f.Rounds*n*n*tt.wantWU*priceDynamoWrite.USD
			if !within(f.USD, want, 1e-9) {
				t.Errorf("%.6f USD, want %.6f", f.USD, want)
			}
		})
	}
}

// TestDayCostHealth: each region pays a health check of an alarm and the
// alarm, per day, and no GET health traffic: Route 53 sends none.
func TestDayCostHealth(t *testing.T) {
	rep := dayReport{Kinds: []kindStat{{Name: "GET health", HandlerMS: 5, ReadUnits: 1, LogBytes: 300}}}
	quiet := dayModel{Hours: 10, RefreshSeconds: 30}
	for regions := 1; regions <= 3; regions++ {
		lines := map[string]float64{}
		for _, l := range dayCost(rep, quiet, regions) {
			lines[l.Service] = l.USD
		}
		n := float64(regions)
		for service, want := range map[string]float64{
			"Route 53 health checks (of alarms)": n * 0.50 / 30,
			"CloudWatch alarms (edge health)":    n * 0.10 / 30,
			"API Gateway":                        0,
			"DynamoDB reads":                     0,
		} {
			if got, ok := lines[service]; !ok || math.Abs(got-want) > 1e-12 {
				t.Errorf("%d regions: %s %.6f USD (listed: %v), want %.6f", regions, service, got, ok, want)
			}
		}
	}
}

// TestRenderFence: the day's report says how the fence's row was priced and
// what the run measured on the write-region partition.
func TestRenderFence(t *testing.T) {
	rep := dayReport{Plan: dayPlan{Poll: 20 * time.Second}, Regions: []string{"a", "b"},
		PollControl: dynamo.ControlUsage{Requests: map[string]int{"Query": 40, "UpdateItem": 18}, ReadUnits: 40, WriteUnits: 18},
		Polls:       []*pollStat{{Name: "PUT match (scorekeepers)", Durations: make([]time.Duration, 19)}}}
	var out bytes.Buffer
	renderFence(&out, rep, tournamentDay)
	for _, s := range []string{"documented rates", "335 writes", "about 332 Queries", "40 Query + 18 UpdateItem", "19 writes", "as measured in this run",
		"a Query every 0.5 s and a round of 2 every 2.2 s"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the fence's note lacks %q:\n%s", s, out.String())
		}
	}
}
