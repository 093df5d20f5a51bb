package frontdoor

import (
	"cmp"
	"slices"
	"time"
)

// Snapshot is what the front door sees at one moment, for the status page
// and drills. Lists are copies; newest entries last.
type Snapshot struct {
	At         time.Time `json:"at"`
	IntervalMS float64   `json:"intervalMs"`
	Threshold  int       `json:"threshold"`
	// DetectionMS is the longest a failure should take to change routing:
	// threshold × interval plus one interval for a check in progress.
	DetectionMS float64         `json:"detectionMs"`
	RTTSource   string          `json:"rttSource"`
	Regions     []RegionStatus  `json:"regions"`
	Vantages    []VantageStatus `json:"vantages"`
	Events      []Event         `json:"events"`
}

// RegionStatus is one region as the front door sees it.
type RegionStatus struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Healthy is the status routing uses; Measured is what the checks
	// alone say, before inversion.
	Healthy  bool      `json:"healthy"`
	Measured bool      `json:"measured"`
	Inverted bool      `json:"inverted"`
	Since    time.Time `json:"since"`
	Checks   []Check   `json:"checks"`
	Requests []Request `json:"requests"`
	// Served counts the requests sent to the region; Failed those it gave
	// no answer to.
	Served int `json:"served"`
	Failed int `json:"failed"`
}

// VantageStatus is where one vantage's requests go.
type VantageStatus struct {
	// Name is a region, or "default" for the default port.
	Name string `json:"name"`
	// Location is the region the vantage is near: the write region for the
	// default.
	Location string `json:"location"`
	// URL is the front-door address of the vantage, "" when not served.
	URL string `json:"url"`
	// Order lists the regions from nearest to farthest.
	Order []string `json:"order"`
	// RoutesTo is the region answering the vantage now.
	RoutesTo string `json:"routesTo"`
	// AllUnhealthy is true when no region is healthy, so the nearest
	// answers.
	AllUnhealthy bool `json:"allUnhealthy"`
}

// Snapshot returns the front door's state now.
func (fd *FrontDoor) Snapshot() Snapshot {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	s := Snapshot{
		At: time.Now(), IntervalMS: ms(fd.opts.Interval), Threshold: fd.opts.Threshold,
		DetectionMS: ms(time.Duration(fd.opts.Threshold+1) * fd.opts.Interval),
		RTTSource:   RTTSource(),
		Events:      slices.Clone(fd.events),
	}
	for _, name := range fd.names {
		r := fd.regions[name]
		s.Regions = append(s.Regions, RegionStatus{
			Name: name, URL: r.URL, Healthy: r.healthy(), Measured: r.verdict.healthy, Inverted: r.inverted,
			Since: r.since, Checks: slices.Clone(r.checks), Requests: slices.Clone(r.requests),
			Served: r.served, Failed: r.failed,
		})
	}
	for _, v := range append([]string{""}, fd.names...) {
		at := fd.vantageOf(v)
		rt := fd.routeLocked(v)
		s.Vantages = append(s.Vantages, VantageStatus{
			Name: cmp.Or(v, "default"), Location: at, URL: fd.vantages[v],
			Order: slices.Clone(fd.order[at]), RoutesTo: rt.Region, AllUnhealthy: rt.AllUnhealthy,
		})
	}
	return s
}

// EventsAfter returns the events numbered above seq, oldest first.
func (fd *FrontDoor) EventsAfter(seq int) []Event {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	i := slices.IndexFunc(fd.events, func(e Event) bool { return e.Seq > seq })
	if i < 0 {
		return nil
	}
	return slices.Clone(fd.events[i:])
}
