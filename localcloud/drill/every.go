package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// EveryRegion inverts the health check of every region at once, the one
// drill the cloud's configuration refuses: Route 53 then counts every record
// as healthy, so each vantage must be answered by its own, nearest region
// rather than by none. It returns the region that answered each vantage
// meanwhile, and restores every check before it returns.
func EveryRegion(ctx context.Context, t Target, timeout time.Duration, out io.Writer) (_ map[string]string, err error) {
	s, err := t.Status(ctx)
	if err != nil {
		return nil, err
	}
	regions := regionNames(s)
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "  t+%6.3fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(out, "drill: invert the health check of every region (%d); Route 53 then treats them all as healthy\n", len(regions))
	var broken []string
	defer func() {
		ctx := context.WithoutCancel(ctx)
		for _, r := range broken {
			if rerr := t.Restore(ctx, Invert, r); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		if len(broken) > 0 {
			say("restored: every check is no longer inverted")
		}
		if err == nil {
			err = waitStatus(ctx, t, timeout, func(s vantageView) bool { return !s.anyAllUnhealthy() && s.allHome() })
			if err == nil {
				say("every vantage is answered by its own region, with every region healthy")
			}
		}
	}()
	for _, r := range regions {
		if err := t.Break(ctx, Invert, r); err != nil {
			return nil, err
		}
		broken = append(broken, r)
	}
	say("broke: inverted %d checks", len(broken))
	if err := waitStatus(ctx, t, timeout, func(s vantageView) bool { return s.allUnhealthy() }); err != nil {
		return nil, fmt.Errorf("drill: the front door did not see every region unhealthy: %w", err)
	}
	s, err = t.Status(ctx)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 5 * time.Second}
	got := map[string]string{}
	for _, v := range s.FrontDoor.Vantages {
		if v.Name == "default" || v.URL == "" {
			continue
		}
		a := probeURL(ctx, client, v.URL)
		if !a.ok() {
			return got, fmt.Errorf("drill: every region unhealthy: a client near %s got %s, want an answer from its nearest region", v.Name, a)
		}
		got[v.Name] = a.region
		say("every region is unhealthy, so all count as healthy: a client near %s is answered by %s", v.Name, a.region)
	}
	return got, nil
}

// vantageView is the routing part of a status, for waits.
type vantageView struct{ rows []vantageRow }

type vantageRow struct {
	name, routesTo string
	allUnhealthy   bool
}

func (v vantageView) allUnhealthy() bool {
	for _, r := range v.rows {
		if !r.allUnhealthy {
			return false
		}
	}
	return len(v.rows) > 0
}

func (v vantageView) anyAllUnhealthy() bool {
	for _, r := range v.rows {
		if r.allUnhealthy {
			return true
		}
	}
	return false
}

// allHome is true when every region's vantage routes to that region.
func (v vantageView) allHome() bool {
	for _, r := range v.rows {
		if r.name != "default" && r.routesTo != r.name {
			return false
		}
	}
	return true
}

// waitStatus polls the status until ok holds.
func waitStatus(ctx context.Context, t Target, timeout time.Duration, ok func(vantageView) bool) error {
	deadline := time.Now().Add(timeout)
	for {
		s, err := t.Status(ctx)
		if err != nil {
			return err
		}
		var v vantageView
		for _, r := range s.FrontDoor.Vantages {
			v.rows = append(v.rows, vantageRow{name: r.Name, routesTo: r.RoutesTo, allUnhealthy: r.AllUnhealthy})
		}
		if ok(v) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("routing still %+v after %s", v.rows, timeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drill: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
