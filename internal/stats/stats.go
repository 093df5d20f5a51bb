// Package stats holds the one percentile that Hush's tools and tests report
// (hush-load's tables, hush-coldstart's init times, the e2e figures), so
// that a p99 means the same thing wherever it is printed.
package stats

import (
	"cmp"
	"math"
	"slices"
)

// Percentile returns the nearest-rank p-th percentile (p from 0 to 100) of
// sorted, which must be in ascending order: the smallest value with at
// least p% of the values at or below it. p 0 gives the minimum, p 100 the
// maximum, p 50 the median (the lower one of an even count). No values
// give the zero value.
func Percentile[T cmp.Ordered](sorted []T, p float64) T {
	var zero T
	if len(sorted) == 0 {
		return zero
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Percentiles returns the nearest-rank percentiles ps of values, in any
// order, which it does not modify: it sorts a copy once.
func Percentiles[T cmp.Ordered](values []T, ps ...float64) []T {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = Percentile(sorted, p)
	}
	return out
}
