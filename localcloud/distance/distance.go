// Package distance holds how far apart the AWS regions of a stack are: a
// table of round-trip times between pairs of regions, which the front door
// uses to rank regions by nearness and the cross-region links of package
// regionnet use to delay calls, and Model, the rule the local cloud applies
// to the table (as it is, scaled, or one figure for every pair).
package distance

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// source names where the round-trip times below come from, for the status
// page and the docs.
const source = "CloudPing (cloudping.co) median round-trip times between AWS regions, rounded to 5 ms; " +
	"approximate and not re-measured here"

// rtts are median round-trip times between pairs of AWS regions, in
// milliseconds, each pair written once. The front door only needs them to
// get the order right (Route 53 latency routing answers with the region of
// lowest measured latency to the resolver, which no table on one machine can
// reproduce); the cross-region links add them to every call, so they also
// set what a write routed across an ocean costs locally. The figures are
// CloudPing's published medians as remembered, rounded; they are unverified
// against today's measurements.
var rtts = map[[2]string]int{
	{"eu-central-1", "eu-west-1"}:        25,
	{"eu-central-1", "eu-west-2"}:        15,
	{"eu-central-1", "eu-west-3"}:        10,
	{"eu-central-1", "eu-north-1"}:       25,
	{"eu-central-1", "us-east-1"}:        90,
	{"eu-central-1", "us-east-2"}:        100,
	{"eu-central-1", "us-west-2"}:        155,
	{"eu-central-1", "ap-northeast-1"}:   225,
	{"eu-central-1", "ap-southeast-1"}:   160,
	{"eu-west-1", "eu-west-2"}:           15,
	{"eu-west-1", "eu-west-3"}:           20,
	{"eu-west-1", "eu-north-1"}:          40,
	{"eu-west-1", "us-east-1"}:           70,
	{"eu-west-1", "us-east-2"}:           80,
	{"eu-west-1", "us-west-2"}:           125,
	{"eu-west-1", "ap-northeast-1"}:      200,
	{"eu-west-1", "ap-southeast-1"}:      175,
	{"eu-west-2", "eu-west-3"}:           10,
	{"eu-west-2", "eu-north-1"}:          30,
	{"eu-west-2", "us-east-1"}:           75,
	{"eu-west-2", "us-east-2"}:           85,
	{"eu-west-2", "us-west-2"}:           135,
	{"eu-west-3", "eu-north-1"}:          30,
	{"eu-west-3", "us-east-1"}:           80,
	{"eu-north-1", "us-east-1"}:          110,
	{"us-east-1", "us-east-2"}:           15,
	{"us-east-1", "us-west-2"}:           65,
	{"us-east-1", "ap-northeast-1"}:      145,
	{"us-east-1", "ap-southeast-1"}:      215,
	{"us-east-2", "us-west-2"}:           50,
	{"us-west-2", "ap-northeast-1"}:      100,
	{"us-west-2", "ap-southeast-1"}:      165,
	{"ap-northeast-1", "ap-southeast-1"}: 70,
}

// RTT returns the round-trip time between two regions from the table, and
// false when the table does not hold the pair. A region is 0 from itself.
func RTT(a, b string) (time.Duration, bool) {
	if a == b {
		return 0, true
	}
	ms, ok := rtts[[2]string{a, b}]
	if !ok {
		ms, ok = rtts[[2]string{b, a}]
	}
	return time.Duration(ms) * time.Millisecond, ok
}

// Source says where the round-trip times come from.
func Source() string { return source }

// Farthest returns the pair of regions with the longest round trip between
// them, and that round trip; ok is false when regions has fewer than two
// entries or the table lacks one of their pairs.
func Farthest(regions []string) (a, b string, rtt time.Duration, ok bool) {
	found := false
	for i, x := range regions {
		for _, y := range regions[i+1:] {
			d, known := RTT(x, y)
			if !known {
				return "", "", 0, false
			}
			if !found || d > rtt {
				a, b, rtt, found = x, y, d, true
			}
		}
	}
	return a, b, rtt, found
}

// Model is the rule that gives the round trip between two regions of the
// local cloud. The zero Model is the table as it is. It is a flag.Value:
//
//	table  the table's figures (the default)
//	0.5x   the table's figures times 0.5 (any factor >= 0; 0x: none)
//	20ms   20 ms between every two regions, whatever the table says
//	0      no round trip at all (also "none")
type Model struct {
	scale float64 // 0 means 1
	fixed time.Duration
	// flat is set when fixed applies to every pair instead of the table.
	flat bool
}

// Scaled returns the table's figures multiplied by factor.
func Scaled(factor float64) Model { return Model{scale: factor, flat: factor == 0} }

// Flat returns one round trip for every pair of regions.
func Flat(rtt time.Duration) Model { return Model{fixed: max(rtt, 0), flat: true} }

// ParseModel reads a Model as the -cross-region-rtt flag writes it; see
// Model.
func ParseModel(s string) (Model, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "table", "1x":
		return Model{}, nil
	case "0", "none":
		return Flat(0), nil
	}
	if f, ok := strings.CutSuffix(s, "x"); ok {
		factor, err := strconv.ParseFloat(f, 64)
		if err != nil || factor < 0 || factor > 100 {
			return Model{}, fmt.Errorf("distance: %q: a scale is a factor from 0 to 100 followed by x, like 0.5x", s)
		}
		return Scaled(factor), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return Model{}, fmt.Errorf("distance: %q is neither a scale of the table (0.5x), a round trip for every pair (20ms) nor none (0)", s)
	}
	return Flat(d), nil
}

// Set implements flag.Value.
func (m *Model) Set(s string) error {
	v, err := ParseModel(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// String describes the model the way ParseModel reads it back.
func (m Model) String() string {
	switch {
	case m.flat && m.fixed == 0:
		return "none"
	case m.flat:
		return m.fixed.String()
	case m.scale == 0 || m.scale == 1:
		return "table"
	}
	return strconv.FormatFloat(m.scale, 'f', -1, 64) + "x"
}

// ErrUnknownPair is returned for a pair of regions the table does not hold
// under a model that reads the table.
var ErrUnknownPair = errors.New("distance: the table has no round trip between these regions")

// RTT returns the round trip between regions a and b under the model.
func (m Model) RTT(a, b string) (time.Duration, error) {
	if a == b {
		return 0, nil
	}
	if m.flat {
		return m.fixed, nil
	}
	d, ok := RTT(a, b)
	if !ok {
		return 0, fmt.Errorf("%w: %s and %s (add the pair to the table, or give one round trip for every pair, like 20ms)", ErrUnknownPair, a, b)
	}
	if m.scale != 0 {
		d = time.Duration(float64(d) * m.scale).Round(time.Millisecond)
	}
	return d, nil
}
