package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// op makes one request. worker (0 to concurrency-1) and i (the request's
// number in its phase) let requests vary without shared state.
type op func(ctx context.Context, worker, i int) error

// phase is one endpoint or floor to measure.
type phase struct {
	Name string
	// Floor names the floor phase this one compares with, or "".
	Floor string
	Op    op
}

// budget bounds one run of a phase; a zero field is no bound, and
// maxSamples always bounds the count.
type budget struct {
	Duration time.Duration
	Requests int
}

// runPhase runs do from concurrency workers until the budget is spent or
// ctx ends, and records every request's duration. A request in flight when
// the time is up finishes and counts. done counts finished requests, for
// the progress bar.
func runPhase(ctx context.Context, do op, concurrency int, b budget, done *atomic.Int64) sample {
	limit := b.Requests
	if limit <= 0 || limit > maxSamples {
		limit = maxSamples
	}
	var claimed atomic.Int64
	start := time.Now()
	deadline := start.Add(b.Duration)
	perWorker := make([]sample, concurrency)
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Go(func() {
			s := &perWorker[w]
			for {
				i := int(claimed.Add(1)) - 1
				if i >= limit || ctx.Err() != nil || (b.Duration > 0 && !time.Now().Before(deadline)) {
					return
				}
				t0 := time.Now()
				err := do(ctx, w, i)
				s.Durations = append(s.Durations, time.Since(t0))
				if err != nil {
					s.Errors++
					if s.FirstError == "" {
						s.FirstError = err.Error()
					}
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	total := sample{Elapsed: time.Since(start)}
	for _, s := range perWorker {
		s.Elapsed = 0
		total.add(s)
	}
	return total
}

// schedule is how a run spends its budget: a warm-up of every phase, then
// Rounds rounds that each run every phase with its share of the budget.
type schedule struct {
	Concurrency int
	Warmup      time.Duration
	Rounds      int
	Round       budget
}

func newSchedule(c config) schedule {
	s := schedule{Concurrency: c.Concurrency, Warmup: c.Warmup, Rounds: c.Rounds}
	s.Round.Duration = c.Duration / time.Duration(c.Rounds)
	if c.Requests > 0 {
		s.Round.Requests = (c.Requests + c.Rounds - 1) / c.Rounds
	}
	return s
}

// measure warms every phase up, then runs the measured rounds, showing a
// progress bar on progress. Around the measured rounds it calls
// startProfile and stopProfile. The result holds one sample per phase, in
// the order of phases.
func measure(ctx context.Context, s schedule, phases []phase, progress io.Writer, startProfile func() error, stopProfile func()) ([]sample, error) {
	var done atomic.Int64
	bar, stopBar := newBar(s, len(phases), progress, &done)
	defer stopBar()

	for _, p := range phases {
		if s.Warmup <= 0 {
			break
		}
		bar.Describe(fmt.Sprintf("warm-up %-16s", p.Name))
		runPhase(ctx, p.Op, s.Concurrency, budget{Duration: s.Warmup}, &done)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	done.Store(0) // the bar counts measured requests only
	if err := startProfile(); err != nil {
		return nil, err
	}
	defer stopProfile()
	samples := make([]sample, len(phases))
	for r := range s.Rounds {
		for i, p := range phases {
			bar.Describe(fmt.Sprintf("round %d/%d %-16s", r+1, s.Rounds, p.Name))
			samples[i].add(runPhase(ctx, p.Op, s.Concurrency, s.Round, &done))
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("round %d: %w", r+1, err)
			}
		}
	}
	stopProfile()
	stopBar()
	return samples, nil
}

// newBar shows progress on w: by time when the rounds are bounded by time,
// else by measured requests. The returned stop finishes the bar; calling
// it again does nothing.
func newBar(s schedule, phases int, w io.Writer, done *atomic.Int64) (*progressbar.ProgressBar, func()) {
	byTime := s.Round.Duration > 0
	var total int64
	if byTime {
		total = int64(phases) * (s.Warmup + time.Duration(s.Rounds)*s.Round.Duration).Milliseconds()
	} else {
		total = int64(phases * s.Rounds * s.Round.Requests)
	}
	total = max(total, 1)
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionSetPredictTime(byTime),
		progressbar.OptionClearOnFinish(),
	}
	if !byTime {
		// By time, the count would be milliseconds; the phase in the
		// description says more.
		opts = append(opts, progressbar.OptionShowCount())
	}
	bar := progressbar.NewOptions64(total, opts...)
	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				v := done.Load()
				if byTime {
					v = time.Since(start).Milliseconds()
				}
				_ = bar.Set64(min(v, total-1))
			}
		}
	})
	var once sync.Once
	return bar, func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			_ = bar.Finish()
			fmt.Fprintln(w)
		})
	}
}
