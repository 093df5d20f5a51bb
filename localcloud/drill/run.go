package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hush-scores/hush/localcloud/frontdoor"
	"github.com/hush-scores/hush/localcloud/statuspage"
)

// Target is a stack a drill runs against; Client is one.
type Target interface {
	Break(ctx context.Context, fault Fault, region string) error
	Restore(ctx context.Context, fault Fault, region string) error
	Status(ctx context.Context) (statuspage.Status, error)
}

// Plan is one drill: break Region with Fault, watch the clients near it
// move to the next-nearest region, restore, watch them come back.
type Plan struct {
	Fault  Fault
	Region string
	// Pace is the time between two requests of the client near Region;
	// 0 means 50 ms.
	Pace time.Duration
	// Hold is how long the fault stays once traffic has moved; 0 means two
	// check intervals, enough to see that it stays moved.
	Hold time.Duration
	// Timeout bounds each wait (for failover, for failback); 0 means four
	// times the front door's detection bound plus 10 s. A wait that runs
	// out is an error: the drill failed.
	Timeout time.Duration
}

// Result is what a drill measured. Times are from the moment the fault was
// put in (failover) or taken out (failback).
type Result struct {
	Fault  Fault
	Region string
	// Next is the region that answered the clients near Region meanwhile.
	Next string
	// Bound is the front door's detection bound: threshold × interval plus
	// one interval.
	Bound time.Duration
	// Noticed is when the front door marked Region unhealthy; Failover when
	// the first request near Region was answered by Next.
	Noticed  time.Duration
	Failover time.Duration
	// Requests counts the requests sent between the fault and the
	// failover; Failed those of them that got no 2xx answer.
	Requests int
	Failed   int
	// Recovered is when the front door marked Region healthy again;
	// Failback when the first request near it was answered by it again.
	Recovered time.Duration
	Failback  time.Duration
}

// Drill is a drill under way: Start has broken the region and seen traffic
// move; Finish restores it.
type Drill struct {
	t      Target
	plan   Plan
	out    io.Writer
	client *http.Client
	url    string // the front door of the vantage near plan.Region
	start  time.Time
	seq    int // the last event printed
	// noticed is set once the front door has marked the region unhealthy.
	noticed bool
	res     Result
}

// Run runs plan from start to finish, narrating to out.
func Run(ctx context.Context, t Target, plan Plan, out io.Writer) (Result, error) {
	d, err := Start(ctx, t, plan, out)
	if err != nil {
		return Result{}, err
	}
	if err := d.Hold(ctx); err != nil {
		return d.res, errors.Join(err, d.restoreOnly(ctx))
	}
	return d.Finish(ctx)
}

// Start checks that the clients near plan.Region are served by it, breaks
// it, and returns once they are served by another region. On failure it
// restores what it broke.
func Start(ctx context.Context, t Target, plan Plan, out io.Writer) (*Drill, error) {
	s, err := t.Status(ctx)
	if err != nil {
		return nil, err
	}
	fd := s.FrontDoor
	v := vantage(s, plan.Region)
	if v == nil || v.URL == "" {
		return nil, fmt.Errorf("drill: %q is not a region of the stack with a front-door port; its regions are %s", plan.Region, strings.Join(regionNames(s), ", "))
	}
	interval := time.Duration(fd.IntervalMS * float64(time.Millisecond))
	bound := time.Duration(fd.DetectionMS * float64(time.Millisecond))
	if plan.Pace == 0 {
		plan.Pace = 50 * time.Millisecond
	}
	if plan.Hold == 0 {
		plan.Hold = 2 * interval
	}
	if plan.Timeout == 0 {
		plan.Timeout = 4*bound + 10*time.Second
	}
	d := &Drill{
		t: t, plan: plan, out: out, url: v.URL,
		client: &http.Client{Timeout: 5 * time.Second},
		res:    Result{Fault: plan.Fault, Region: plan.Region, Bound: bound},
	}
	if len(fd.Events) > 0 {
		d.seq = fd.Events[len(fd.Events)-1].Seq
	}
	fmt.Fprintf(out, "drill: %s; the front door checks every %s and needs %d failed checks in a row: expect traffic to move within %s\n",
		words(plan.Fault, plan.Region).plan, interval, fd.Threshold, bound)

	d.start = time.Now()
	if p := d.probe(ctx); !p.ok() || p.region != plan.Region {
		return nil, fmt.Errorf("drill: before the drill, a client near %s got %s; want a 2xx from %s (is a fault already in place?)", plan.Region, p, plan.Region)
	}
	d.say(0, "a client near %s (%s) is served by %s", plan.Region, d.url, plan.Region)

	// The clock starts as the fault goes in: the front door may notice it
	// before Break returns (an inversion takes at once).
	d.start = time.Now()
	if err := t.Break(ctx, plan.Fault, plan.Region); err != nil {
		return nil, err
	}
	d.say(time.Since(d.start), "broke: %s", words(plan.Fault, plan.Region).broke)
	moved, err := d.watch(ctx, func(p answer) bool { return p.ok() && p.region != plan.Region }, true)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("drill: traffic near %s did not move: %w", plan.Region, err), d.restoreOnly(ctx))
	}
	d.res.Next, d.res.Failover = moved.region, moved.at
	d.say(moved.at, "traffic near %s is now answered by %s; %d of %d requests failed before that",
		plan.Region, moved.region, d.res.Failed, d.res.Requests)
	return d, nil
}

// Result returns what the drill has measured so far.
func (d *Drill) Result() Result { return d.res }

// Hold keeps the fault in place for the plan's hold time, checking that
// traffic stays away from the broken region.
func (d *Drill) Hold(ctx context.Context) error {
	end := time.Now().Add(d.plan.Hold)
	for time.Now().Before(end) {
		if p := d.probe(ctx); p.region == d.plan.Region {
			return fmt.Errorf("drill: %s answered a client near it again while broken (%s)", d.plan.Region, p)
		}
		if err := d.pause(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Finish restores the region and returns once the clients near it are
// served by it again.
func (d *Drill) Finish(ctx context.Context) (Result, error) {
	restored := time.Now()
	if err := d.t.Restore(ctx, d.plan.Fault, d.plan.Region); err != nil {
		return d.res, err
	}
	d.say(time.Since(d.start), "restored: %s", words(d.plan.Fault, d.plan.Region).restored)
	back, err := d.watch(ctx, func(p answer) bool { return p.ok() && p.region == d.plan.Region }, false)
	if err != nil {
		return d.res, fmt.Errorf("drill: traffic near %s did not come back: %w", d.plan.Region, err)
	}
	d.res.Failback = back.at - restored.Sub(d.start)
	d.say(back.at, "traffic near %s is answered by %s again", d.plan.Region, d.plan.Region)
	r := d.res
	fmt.Fprintf(d.out, "drill: failover %s after the fault (front door noticed at %s, bound %s); %d of %d requests failed meanwhile; failback %s after the restore\n",
		r.Failover.Round(time.Millisecond), r.Noticed.Round(time.Millisecond), r.Bound, r.Failed, r.Requests, r.Failback.Round(time.Millisecond))
	return r, nil
}

// restoreOnly undoes the fault after a failed drill.
func (d *Drill) restoreOnly(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	if err := d.t.Restore(ctx, d.plan.Fault, d.plan.Region); err != nil {
		return fmt.Errorf("drill: restore after the failure: %w", err)
	}
	d.say(time.Since(d.start), "restored: %s", words(d.plan.Fault, d.plan.Region).restored)
	return nil
}

// watch sends requests near the region until done says so, printing the
// front door's events as they come, counting failures when counting.
func (d *Drill) watch(ctx context.Context, done func(answer) bool, counting bool) (answer, error) {
	deadline := time.Now().Add(d.plan.Timeout)
	lastEvents := time.Time{}
	for {
		p := d.probe(ctx)
		if counting {
			d.res.Requests++
			if !p.ok() {
				d.res.Failed++
				if d.res.Failed == 1 {
					d.say(p.at, "a client near %s got %s", d.plan.Region, p)
				}
			}
		}
		// Events are read every few requests: their times are the front
		// door's own, so reading late shifts nothing.
		if done(p) || time.Since(lastEvents) > 200*time.Millisecond {
			d.events(ctx)
			lastEvents = time.Now()
		}
		if done(p) {
			return p, nil
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("still %s after %s", p, d.plan.Timeout)
		}
		if err := d.pause(ctx); err != nil {
			return p, err
		}
	}
}

func (d *Drill) pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("drill: %w", ctx.Err())
	case <-time.After(d.plan.Pace):
		return nil
	}
}

// events prints the front door's events since the last ones printed, and
// notes when it marked the drilled region unhealthy and healthy again.
func (d *Drill) events(ctx context.Context) {
	s, err := d.t.Status(ctx)
	if err != nil {
		d.say(time.Since(d.start), "could not read the status: %v", err)
		return
	}
	for _, e := range s.FrontDoor.Events {
		if e.Seq <= d.seq {
			continue
		}
		d.seq = e.Seq
		at := e.At.Sub(d.start)
		d.say(at, "front door: %s", e.Text)
		if e.Region == d.plan.Region && e.Healthy != nil {
			if !*e.Healthy && !d.noticed {
				d.res.Noticed, d.noticed = at, true
			}
			if *e.Healthy && d.noticed {
				d.res.Recovered = at
			}
		}
	}
}

func (d *Drill) say(at time.Duration, format string, args ...any) {
	fmt.Fprintf(d.out, "  t+%6.3fs  %s\n", at.Seconds(), fmt.Sprintf(format, args...))
}

// answer is what one request near the drilled region got.
type answer struct {
	at     time.Duration // since the drill's start, when the answer came
	status int
	region string // the front door's HeaderRegion
	err    error
}

func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

func (a answer) String() string {
	if a.err != nil {
		return "no answer (" + a.err.Error() + ")"
	}
	return fmt.Sprintf("%d from %s", a.status, a.region)
}

// probe sends one request near the drilled region.
func (d *Drill) probe(ctx context.Context) answer {
	a := probeURL(ctx, d.client, d.url)
	a.at = time.Since(d.start)
	return a
}

// probeURL asks a front door for its region's health, which reads the
// region's table replica as a client's read would.
func probeURL(ctx context.Context, client *http.Client, base string) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/health", nil)
	if err != nil {
		return answer{err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return answer{status: resp.StatusCode, region: resp.Header.Get(frontdoor.HeaderRegion)}
}

// faultWords are what a drill will do, what it did and what undid it.
type faultWords struct{ plan, broke, restored string }

// faultTexts holds each fault's words; %s is the region.
var faultTexts = map[Fault]faultWords{
	Gateway: {"stop the gateway of %s", "stopped the gateway of %s", "started the gateway of %s again"},
	Replica: {"take the table replica of %s down", "took the table replica of %s down", "brought the table replica of %s back"},
	CutOff:  {"cut %s off from the other regions", "cut %s off", "reconnected %s"},
	Invert:  {"invert the health check of %s", "inverted the health check of %s", "the health check of %s is no longer inverted"},
	Lose:    {"lose %s (gateway, replica, network, and Cognito in the home region)", "lost %s: it is dark", "%s is back with what it held"},
}

// words returns f's words for region; a fault without words is named as it
// is.
func words(f Fault, region string) faultWords {
	t, ok := faultTexts[f]
	if !ok {
		name := string(f) + " " + region
		return faultWords{name, name, name + " undone"}
	}
	return faultWords{fmt.Sprintf(t.plan, region), fmt.Sprintf(t.broke, region), fmt.Sprintf(t.restored, region)}
}

func vantage(s statuspage.Status, region string) *frontdoor.VantageStatus {
	i := slices.IndexFunc(s.FrontDoor.Vantages, func(v frontdoor.VantageStatus) bool { return v.Name == region })
	if i < 0 {
		return nil
	}
	return &s.FrontDoor.Vantages[i]
}

func regionNames(s statuspage.Status) []string {
	var names []string
	for _, r := range s.FrontDoor.Regions {
		names = append(names, r.Name)
	}
	return names
}
