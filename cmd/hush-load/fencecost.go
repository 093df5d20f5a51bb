package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/writeregion"
)

// The write-region fence's share of a day (writeregion/fence.go): a write
// function instance reads the views of its own replica (one consistent
// Query of the write-region partition) when its belief is over
// writeregion.DefaultBeliefTTL old, and renews its lease through every
// region's view (one conditional UpdateItem in each region, which the
// global table then replicates to every other region) once less than the
// write bound and writeregion.RenewAhead is left of it. Both happen only
// when a write asks: an idle instance makes no call.
//
// The day's row is priced from these documented rates, with the capacity
// of one call as the run measured it, not from the number of calls the
// meter counted during the run: the fence's calls per write depend on the
// write rate (one Query and one round per write when writes are sparse, one
// Query a second and a round every renewEvery when an instance is busy),
// and the compressed day's scorekeepers write every second or so, where the
// stated day writes a few hundred times in ten hours. The calls counted
// while polling are the busy case; the report prints them beside the busy
// rates, so a run checks the documented rates it prices with. (They are
// the write function's alone: the read functions read their belief for
// GET health only, which the polling does not send, and the local stack's
// own belief watch uses clients without the meter.)

// renewEvery is how long after a renewal round started a busy fence starts
// the next: its lease less the write bound and the renewal ahead of it, in
// the cloud (api.DefaultWriteTimeout; wiring.Lease keeps DefaultLease for
// it).
const renewEvery = writeregion.DefaultLease - api.DefaultWriteTimeout - writeregion.RenewAhead

// fenceCost is the fence's share of a day in a stack of Regions regions.
type fenceCost struct {
	Regions int
	Writes  float64
	// Queries and Rounds are the day's belief reads and renewal rounds
	// with the day's writes spread at random over its hours; BusyQueries
	// and BusyRounds those of an instance kept busy all those hours, the
	// most one instance can make.
	Queries, Rounds         float64
	BusyQueries, BusyRounds float64
	// ReadUnits per Query and WriteUnits per UpdateItem, as measured in the
	// run, or 1 each (a strongly consistent read of a few small items, a
	// write of one item under 1 KB) when it measured none.
	ReadUnits, WriteUnits float64
	Measured              bool
	USD, BusyUSD          float64
}

// fenceDay prices the fence for the stated day. With writes arriving at
// random at rate r over the day's hours into one warm write-function
// instance, the next belief read after one comes at the first write once
// the TTL is up, on average TTL + 1/r later: writes/(1 + r*TTL) reads in
// the day, about one per write when writes are sparse and one per TTL when
// busy. Renewal rounds follow the same rule with renewEvery.
func fenceDay(rep dayReport, m dayModel, regions int) fenceCost {
	secs := m.Hours * 3600
	writes := float64(m.Matches + m.Corrections + m.Deletes)
	rate := writes / secs
	ttl, every := writeregion.DefaultBeliefTTL.Seconds(), renewEvery.Seconds()
	f := fenceCost{Regions: regions, Writes: writes,
		Queries: writes / (1 + rate*ttl), Rounds: writes / (1 + rate*every),
		BusyQueries: secs / ttl, BusyRounds: secs / every, ReadUnits: 1, WriteUnits: 1}
	c := rep.PollControl
	if q := c.Requests["Query"]; q > 0 && c.ReadUnits > 0 {
		f.ReadUnits, f.Measured = c.ReadUnits/float64(q), true
	}
	if u := c.Requests["UpdateItem"]; u > 0 && c.WriteUnits > 0 {
		f.WriteUnits, f.Measured = c.WriteUnits/float64(u), true
	}
	n := float64(regions)
	price := func(queries, rounds float64) float64 {
		// A round writes one view in each region and replicates each to
		// the n-1 others: n*n standard writes of one view.
		return queries*f.ReadUnits*priceDynamoRead.USD + rounds*n*n*f.WriteUnits*priceDynamoWrite.USD
	}
	f.USD, f.BusyUSD = price(f.Queries, f.Rounds), price(f.BusyQueries, f.BusyRounds)
	return f
}

// renderFence prints the assumption behind the day's fence row and what the
// run measured on the write-region partition while polling.
func renderFence(w io.Writer, rep dayReport, m dayModel) {
	f := fenceDay(rep, m, 1)
	busy := [3]float64{}
	for i := range busy {
		busy[i] = fenceDay(rep, m, i+1).BusyUSD
	}
	units := "as measured in this run"
	if !f.Measured {
		units = "assumed: the run measured none"
	}
	fmt.Fprintf(w, "write-region fence: priced from its documented rates (why: cmd/hush-load/fencecost.go). The day's %.0f writes spread at random over %.0f h\n"+
		"into one warm write-function instance, which reads its belief (a Query) once it is over %s old and renews its lease (one UpdateItem in each region,\n"+
		"replicated to the others) once %s have passed since the last renewal: about %.0f Queries and %.0f rounds in the day. An instance busy all %.0f h\n"+
		"would make %.0f Queries and %.0f rounds: %.4f / %.4f / %.4f USD for 1 / 2 / 3 regions. Per call %.1f read units (Query) and %.1f write units\n"+
		"(UpdateItem), %s.\n",
		f.Writes, m.Hours, writeregion.DefaultBeliefTTL, renewEvery, f.Queries, f.Rounds,
		m.Hours, f.BusyQueries, f.BusyRounds, busy[0], busy[1], busy[2], f.ReadUnits, f.WriteUnits, units)
	c := rep.PollControl
	counts := map[string]float64{}
	for op, n := range c.Requests {
		counts[op] = float64(n)
	}
	writes := 0
	for _, p := range rep.Polls {
		if strings.HasPrefix(p.Name, "PUT") {
			writes += len(p.Durations)
		}
	}
	fmt.Fprintf(w, "Measured while polling (%s, %d writes; the write function's fence): %s on the write-region partition, %.1f read and %.1f write units",
		rep.Plan.Poll, writes, requestList(counts), c.ReadUnits, c.WriteUnits)
	secs := rep.Plan.Poll.Seconds()
	if q, u, n := c.Requests["Query"], c.Requests["UpdateItem"], len(rep.Regions); q > 0 && u > 0 && n > 0 && secs > 0 {
		fmt.Fprintf(w, ": a Query every %.1f s and a round of %d every %.1f s, against the busy rates' %s and %s",
			secs/float64(q), n, secs*float64(n)/float64(u), writeregion.DefaultBeliefTTL, renewEvery)
	}
	fmt.Fprintln(w, ".")
}
