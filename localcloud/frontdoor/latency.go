package frontdoor

import (
	"cmp"
	"slices"
	"time"

	"github.com/hush-scores/hush/localcloud/distance"
)

// RTT returns the round-trip time between two regions from the table of
// package distance, which the cross-region links of the local cloud also
// use, and false when the table does not hold the pair.
func RTT(a, b string) (time.Duration, bool) { return distance.RTT(a, b) }

// RTTSource says where the round-trip times come from.
func RTTSource() string { return distance.Source() }

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
