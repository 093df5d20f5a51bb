package wiring_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/wiring"
	"github.com/hush-scores/hush/scores"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name                string
		fn                  api.Function
		region, writeRegion string
		want                wiring.Plan
	}{
		{"hello in the write region", api.FunctionHello, "eu-central-1", "eu-central-1", wiring.Plan{Store: wiring.None}},
		{"hello elsewhere", api.FunctionHello, "us-east-1", "eu-central-1", wiring.Plan{Store: wiring.None}},
		{"read in the write region", api.FunctionRead, "eu-central-1", "eu-central-1", wiring.Plan{Store: wiring.Local}},
		{"read elsewhere probes the write region", api.FunctionRead, "us-east-1", "eu-central-1", wiring.Plan{Store: wiring.Local, WriteProbe: true}},
		{"write in the write region", api.FunctionWrite, "eu-central-1", "eu-central-1", wiring.Plan{Store: wiring.WriteRegion}},
		{"write elsewhere still writes the write region", api.FunctionWrite, "us-east-1", "eu-central-1", wiring.Plan{Store: wiring.WriteRegion}},
		{"an unknown function gets nothing", api.Function("delete-everything"), "us-east-1", "eu-central-1", wiring.Plan{Store: wiring.None}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wiring.Decide(tt.fn, tt.region, tt.writeRegion); got != tt.want {
				t.Errorf("Decide(%s, %s, %s) = %+v, want %+v", tt.fn, tt.region, tt.writeRegion, got, tt.want)
			}
		})
	}
}

// TestDecideCoversEveryFunction keeps Decide in step with api.Functions:
// every function that may touch the table gets a store.
func TestDecideCoversEveryFunction(t *testing.T) {
	for _, spec := range api.Functions() {
		p := wiring.Decide(spec.Name, "r", "r")
		if (spec.Access == api.AccessNone) != (p.Store == wiring.None) {
			t.Errorf("Decide(%s) = %+v for access %v", spec.Name, p, spec.Access)
		}
	}
}

// fakeStore remembers which replica it was opened for.
type fakeStore struct {
	scores.Store
	replica wiring.Replica
}

func (fakeStore) Ping(context.Context) error { return nil }

func TestDeps(t *testing.T) {
	tests := []struct {
		name       string
		fn         api.Function
		region     string
		wantOpened []wiring.Replica
		wantStore  wiring.Replica
		wantProbe  bool
	}{
		{"hello opens nothing", api.FunctionHello, "us-east-1", nil, wiring.None, false},
		{"read in the write region", api.FunctionRead, "eu-central-1", []wiring.Replica{wiring.Local}, wiring.Local, false},
		{"read elsewhere", api.FunctionRead, "us-east-1", []wiring.Replica{wiring.Local, wiring.WriteRegion}, wiring.Local, true},
		{"write elsewhere", api.FunctionWrite, "us-east-1", []wiring.Replica{wiring.WriteRegion}, wiring.WriteRegion, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opened []wiring.Replica
			deps, err := wiring.Deps(tt.fn, tt.region, "eu-central-1", func(r wiring.Replica) (wiring.Store, error) {
				opened = append(opened, r)
				return fakeStore{replica: r}, nil
			})
			if err != nil {
				t.Fatalf("Deps: %v", err)
			}
			if !slices.Equal(opened, tt.wantOpened) {
				t.Errorf("opened %v, want %v", opened, tt.wantOpened)
			}
			if deps.Region != tt.region || deps.WriteRegion != "eu-central-1" {
				t.Errorf("Region, WriteRegion = %q, %q, want %q, %q", deps.Region, deps.WriteRegion, tt.region, "eu-central-1")
			}
			got := wiring.None
			if deps.Store != nil {
				got = deps.Store.(fakeStore).replica
			}
			if got != tt.wantStore {
				t.Errorf("store reaches %v, want %v", got, tt.wantStore)
			}
			if gotProbe := deps.WriteProbe != nil; gotProbe != tt.wantProbe {
				t.Errorf("write probe: %v, want %v", gotProbe, tt.wantProbe)
			}
			if tt.wantProbe && deps.WriteProbe.(fakeStore).replica != wiring.WriteRegion {
				t.Errorf("the probe reaches %v, want the write region", deps.WriteProbe.(fakeStore).replica)
			}
		})
	}
}

func TestDepsNamesAFailedOpen(t *testing.T) {
	boom := errors.New("no such endpoint")
	_, err := wiring.Deps(api.FunctionRead, "us-east-1", "eu-central-1", func(r wiring.Replica) (wiring.Store, error) {
		if r == wiring.WriteRegion {
			return nil, boom
		}
		return fakeStore{replica: r}, nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Deps = %v, want an error wrapping %v", err, boom)
	}
}
