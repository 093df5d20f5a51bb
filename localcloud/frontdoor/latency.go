package frontdoor

import (
	"cmp"
	"slices"
	"time"
)

// rttSource names where the round-trip times below come from, for the status
// page and the README.
const rttSource = "CloudPing (cloudping.co) median round-trip times between AWS regions, rounded to 5 ms; " +
	"approximate and not re-measured here"

// rtts are median round-trip times between pairs of AWS regions, in
// milliseconds, each pair written once. They only need to get the order
// right: Route 53 latency routing answers with the region of lowest measured
// latency to the resolver, which no table on one machine can reproduce, so
// the nearest region of a vantage is taken to be the one with the lowest
// region-to-region round trip. The figures are CloudPing's published medians
// as remembered, rounded; they are unverified against today's measurements.
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

// RTTSource says where the round-trip times come from.
func RTTSource() string { return rttSource }

// Order returns regions ordered from nearest to farthest from vantage: the
// vantage itself first (when it is one of them), then by round-trip time.
// Pairs the table lacks come after every known one, in the order given,
// so a stack of unlisted regions still routes deterministically.
func Order(vantage string, regions []string) []string {
	type ranked struct {
		name  string
		rtt   time.Duration
		known bool
		index int
	}
	rs := make([]ranked, len(regions))
	for i, r := range regions {
		d, ok := RTT(vantage, r)
		rs[i] = ranked{name: r, rtt: d, known: ok, index: i}
	}
	slices.SortStableFunc(rs, func(x, y ranked) int {
		if x.known != y.known {
			if x.known {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(x.rtt, y.rtt); c != 0 && x.known {
			return c
		}
		return cmp.Compare(x.index, y.index)
	})
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.name
	}
	return out
}
