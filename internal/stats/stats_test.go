package stats

import (
	"slices"
	"testing"
	"time"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, m := range v {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 99, 0},
		{"one value is every percentile", ms(7), 50, 7 * time.Millisecond},
		{"one value p99", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p95 of 1..100", ms(hundred...), 95, 95 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the maximum", ms(hundred...), 100, 100 * time.Millisecond},
		{"p0 is the minimum", ms(hundred...), 0, 1 * time.Millisecond},
		// Nearest rank: ceil(0.99*10) = 10, so one slow request in ten is the p99.
		{"p99 of ten is the slowest", ms(1, 1, 1, 1, 1, 1, 1, 1, 1, 50), 99, 50 * time.Millisecond},
		{"p50 of four is the lower median", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p50 of five is the middle", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		// ceil(0.99*60) = 60: rounding 59.4 to 59 would hide the slowest.
		{"p99 of sixty rounds up", append(ms(make([]int, 59)...), time.Second), 99, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestPercentiles(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		ps     []float64
		want   []float64
	}{
		{"unsorted: min, median, max", []float64{3.5, 1.25, 9, 2}, []float64{0, 50, 100}, []float64{1.25, 2, 9}},
		{"none", nil, []float64{50, 99}, []float64{0, 0}},
		{"no percentiles asked", []float64{1}, nil, []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.values)
			got := Percentiles(in, tt.ps...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Percentiles(%v, %v) = %v, want %v", tt.values, tt.ps, got, tt.want)
			}
			if !slices.Equal(in, tt.values) {
				t.Errorf("Percentiles reordered its input: %v, was %v", in, tt.values)
			}
		})
	}
}
