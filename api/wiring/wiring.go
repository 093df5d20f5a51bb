// Package wiring decides what each Lambda function of Hush is given in a
// region: which table replica its store reaches and whether it probes the
// write region for GET /v1/health. The decision is a pure function, so the
// Lambda mains (handlers/internal/tablestore) and the local cloud make the
// same one; each opens the stores its own way (AWS clients in Lambda,
// clients of the emulated replicas locally).
package wiring

import (
	"fmt"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/scores"
)

// Replica names the table replica a store reaches.
type Replica int

// The replicas a function's store can reach.
const (
	// None is no store at all: the function never touches the table.
	None Replica = iota
	// Local is the replica of the region the function runs in.
	Local
	// WriteRegion is the write region's replica, reached with the write
	// path's bounds (dynamo.ConfigureWriteClient).
	WriteRegion
)

func (r Replica) String() string {
	switch r {
	case None:
		return "none"
	case Local:
		return "local"
	case WriteRegion:
		return "write region"
	}
	return fmt.Sprintf("Replica(%d)", int(r))
}

// Plan is what one function gets in one region.
type Plan struct {
	// Store is the replica the function's store reaches.
	Store Replica
	// WriteProbe is true when the function reports the write path's health
	// from outside the write region: it then also gets a store of the write
	// region's replica to ping.
	WriteProbe bool
}

// Decide returns the plan of fn in region when writeRegion takes every
// write. A function that only reads reads its own region's replica (reads
// stay in their region) and, outside the write region, probes the write
// region; the write function writes the write region's replica wherever it
// runs; a function without table access gets nothing. An unknown function
// gets nothing too: NewHandler then refuses it.
func Decide(fn api.Function, region, writeRegion string) Plan {
	switch access(fn) {
	case api.AccessRead:
		return Plan{Store: Local, WriteProbe: region != writeRegion}
	case api.AccessWrite:
		return Plan{Store: WriteRegion}
	}
	return Plan{Store: None}
}

func access(fn api.Function) api.Access {
	for _, spec := range api.Functions() {
		if spec.Name == fn {
			return spec.Access
		}
	}
	return api.AccessNone
}

// Store is what a function's store must do: keep the matches, and answer a
// ping for the write path's health. *dynamo.Store is one.
type Store interface {
	scores.Store
	api.Pinger
}

// Opener opens a store of the given replica (never None).
type Opener func(Replica) (Store, error)

// Deps returns the dependencies of fn in region as Decide plans them:
// Region, WriteRegion, Store and WriteProbe, with the stores opened by
// open. The caller adds the rest (Logger, Now, WriteTimeout).
func Deps(fn api.Function, region, writeRegion string, open Opener) (api.Deps, error) {
	plan := Decide(fn, region, writeRegion)
	deps := api.Deps{Region: region, WriteRegion: writeRegion}
	if plan.Store != None {
		s, err := open(plan.Store)
		if err != nil {
			return api.Deps{}, fmt.Errorf("wiring: %s store of %s: %w", plan.Store, fn, err)
		}
		deps.Store = s
	}
	if plan.WriteProbe {
		p, err := open(WriteRegion)
		if err != nil {
			return api.Deps{}, fmt.Errorf("wiring: write region probe of %s: %w", fn, err)
		}
		deps.WriteProbe = p
	}
	return deps, nil
}
