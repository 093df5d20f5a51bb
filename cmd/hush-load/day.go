package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/internal/stats"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/gateway"
	"github.com/hush-scores/hush/scores"
)

// The tournament-day scenario (hush-load day): a local stack of every
// region of -stack, two tournaments among the same players (20 and 3,000
// matches), then
//
//   - a probe: each kind of request, one at a time, so the DynamoDB
//     requests and capacity (dynamo.Meter), the handler's duration and the
//     log bytes of each request are exactly its own;
//   - a polling phase: spectators polling standings and results of both
//     tournaments in every region with If-None-Match, while a few
//     scorekeepers replace matches in the write region;
//
// and from those a cost per million requests of each kind and a cost of a
// stated day (dayModel) for stacks of 1, 2 and 3 regions (cost.go).

// dayPlan sizes a run of the scenario.
type dayPlan struct {
	Small, Big int // matches of the two tournaments
	ProbeEach  int // requests per kind in the probe
	Spectators int
	Scorers    int
	Poll       time.Duration // length of the polling phase
	PollEvery  time.Duration // a spectator's pause between two polls
	ScoreEvery time.Duration // a scorekeeper's pause between two writes
}

var (
	fullDay  = dayPlan{Small: 20, Big: 3000, ProbeEach: 30, Spectators: 24, Scorers: 2, Poll: 20 * time.Second, PollEvery: 100 * time.Millisecond, ScoreEvery: time.Second}
	quickDay = dayPlan{Small: 20, Big: 120, ProbeEach: 3, Spectators: 4, Scorers: 1, Poll: 2 * time.Second, PollEvery: 100 * time.Millisecond, ScoreEvery: 500 * time.Millisecond}
)

// kindStat is what the probe measured for one kind of request, per request.
type kindStat struct {
	Name      string
	N         int
	P50       time.Duration
	Requests  map[string]float64 // DynamoDB requests per operation
	ReadUnits float64
	WriteUnit float64
	// LocalWriteUnits is what DynamoDB Local reported for the writes
	// (too little for multi-item transactions, see dynamo.Meter).
	LocalWriteUnits float64
	// ReplicaWriteUnits is what the write costs in each other region.
	ReplicaWriteUnits float64
	// ReplicatedBytes is the size (DynamoDB's item-size rules) of what a
	// write changes, which a global table sends to every other region.
	ReplicatedBytes float64
	RespBytes       float64
	LogBytes        float64
	HandlerMS       float64 // mean handler duration from its request log line
}

// pollStat is one endpoint of the polling phase.
type pollStat struct {
	Name        string
	Durations   []time.Duration
	Status304   int
	Errors      int
	Bytes       int64 // body bytes received
	SavedBytes  int64 // body bytes a 304 spared (the size of the 200 it stood for)
	RegionsSeen map[string]bool
}

// dayReport is everything the scenario prints.
type dayReport struct {
	Plan    dayPlan
	Regions []string
	Kinds   []kindStat
	Polls   []*pollStat
	// SameETags is true when every region answered the same ETag for the
	// same path and data once replicated (waited for before the polling).
	SameETags bool
	// PollControl is what the calls on the write-region partition made and
	// cost during the polling phase: the write function's fence (belief
	// reads, lease renewals), in no request's figures (see fencecost.go).
	PollControl dynamo.ControlUsage
}

// runDay is `hush-load day`: it runs the scenario on a local stack and
// prints its tables.
func runDay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseDay(args, stderr)
	if err != nil {
		return err
	}
	rep, err := executeDay(ctx, c, stderr)
	if err != nil {
		return err
	}
	if err := renderDay(stdout, rep, c.Quick); err != nil {
		return err
	}
	return rep.problems()
}

// problems returns an error naming what went wrong in a run whose tables
// were printed: figures from polls that failed, or from regions that never
// agreed, are not the scenario's, and the command must not pass for good.
func (rep dayReport) problems() error {
	var errs []error
	if !rep.SameETags {
		errs = append(errs, errors.New("the regions answered different ETags for the same data"))
	}
	for _, p := range rep.Polls {
		if p.Errors > 0 {
			errs = append(errs, fmt.Errorf("%s: %d of %d requests failed", p.Name, p.Errors, len(p.Durations)))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("day: the run is not a clean measurement: %w", errors.Join(errs...))
	}
	return nil
}

// executeDay runs the scenario and returns what it measured; progress goes
// to stderr. Its steps: the local stack, the run's user and clients, the
// seed and its replication, the probe and the polling phase.
func executeDay(ctx context.Context, c dayConfig, stderr io.Writer) (_ dayReport, err error) {
	plan := fullDay
	if c.Quick {
		plan = quickDay
	}
	// What was started is stopped in reverse, even after an error.
	var cl cleanups
	defer func() {
		if cerr := cl.run(context.WithoutCancel(ctx)); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	meter := &dynamo.Meter{}
	logs := &logMeter{}
	s, err := startDayStack(ctx, c, meter, logs, stderr, &cl)
	if err != nil {
		return dayReport{}, err
	}
	d := &day{plan: plan, meter: meter, logs: logs}
	if err := d.connect(ctx, s); err != nil {
		return dayReport{}, err
	}
	if err := d.seedAndReplicate(ctx, stderr); err != nil {
		return dayReport{}, err
	}
	return d.probeAndPoll(ctx, stderr)
}

// startDayStack starts a local stack of every region of c.Stack whose
// DynamoDB calls go through meter and whose logs go to logs; it adds to cl
// the steps that stop the stack and end its start context.
func startDayStack(ctx context.Context, c dayConfig, meter *dynamo.Meter, logs *logMeter, stderr io.Writer, cl *cleanups) (*localcloud.Stack, error) {
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	cl.add(func(context.Context) error { cancel(); return nil })
	opts := localcloud.Options{
		Stack: c.Stack, Progress: stderr, WriteTimeout: c.WriteTimeout,
		Logger:          slog.New(slog.NewJSONHandler(logs, nil)),
		DynamoDBOptions: []func(*dynamodb.Options){meter.Install},
		// The front door's health checks would land in the probe's
		// meters; in the cloud the checks follow CloudWatch alarms and
		// send no requests, so the day prices the checks and alarms
		// themselves (see dayCost), not GET health traffic.
		FrontDoor: localcloud.FrontDoorOptions{CheckInterval: 24 * time.Hour},
	}
	if !c.Throttle {
		// As for the load table: the scenario measures the handlers, and
		// its compressed day polls far faster than a real one.
		opts.Throttle = &gateway.Throttle{}
	}
	s, err := localcloud.StartTemp(startCtx, opts)
	if err != nil {
		return nil, fmt.Errorf("day: start a local %s stack: %w", c.Stack, err)
	}
	// An error stopping the stack is reported on stderr, not returned.
	cl.add(func(context.Context) error {
		if cerr := s.Close(); cerr != nil {
			fmt.Fprintln(stderr, "hush-load: stop the local stack:", cerr)
		}
		return nil
	})
	return s, nil
}

// connect signs a user of the run's own up on the stack s and sets the
// rest of the run: its HTTP client and token, its regions, the names of its
// two tournaments and a store that reaches the table directly.
func (d *day) connect(ctx context.Context, s *localcloud.Stack) error {
	info := s.Info()
	t := target{Base: info.Regions[0].URL, Region: info.HomeRegion, PoolID: info.UserPoolID,
		ClientID: info.UserPoolClientID, CognitoEndpoint: info.CognitoEndpoint, Secret: info.Secret}
	cognito, err := newCognito(ctx, t)
	if err != nil {
		return err
	}
	runID := randomID()
	token, err := signUp(ctx, cognito, t, "day-"+runID)
	if err != nil {
		return err
	}
	direct, err := dynamolocal.NewClient(ctx, info.DynamoDBEndpoint, info.HomeRegion, dynamolocal.Credentials(info.Secret), dynamo.ConfigureEmulator)
	if err != nil {
		return err
	}
	sub, err := tokenSub(token)
	if err != nil {
		return err
	}
	d.client = newHTTPClient(d.plan.Spectators + d.plan.Scorers + 8)
	d.token = token
	d.home = info.Regions[0].URL
	d.small, d.big = "day-"+runID+"-20", "day-"+runID+"-big"
	d.store = dynamo.NewStore(direct, info.Table)
	d.scorer = scores.Caller{Sub: sub, Username: "day-" + runID}
	for _, r := range info.Regions {
		d.regions = append(d.regions, r.URL)
		d.regionNames = append(d.regionNames, r.Name)
	}
	return nil
}

// seedAndReplicate seeds both tournaments and waits until every region
// answers the same standings and results for them.
func (d *day) seedAndReplicate(ctx context.Context, stderr io.Writer) error {
	fmt.Fprintf(stderr, "seeding %d and %d matches...\n", d.plan.Small, d.plan.Big)
	if err := d.seed(ctx); err != nil {
		return err
	}
	// The seed reaches the other regions through the local global table:
	// thousands of items, which take a while at its pace. Probing while it
	// replicates would measure a busy DynamoDB Local, and polling before it
	// has would count the other regions' 404s as errors.
	fmt.Fprint(stderr, "waiting for the seed to replicate to every region... ")
	t0 := time.Now()
	same, err := d.sameETags(ctx, seedReplicatesWithin)
	if err != nil || !same {
		fmt.Fprintln(stderr, "failed")
		if err != nil {
			return err
		}
		return fmt.Errorf("day: the regions still answer different standings or results %s after the seed", seedReplicatesWithin)
	}
	fmt.Fprintf(stderr, "ok (%.1fs)\n", time.Since(t0).Seconds())
	return nil
}

// probeAndPoll measures the seeded run: the probe of each kind of request,
// whether the regions agree on the ETags, then the polling phase and what
// the write-region partition's control calls cost during it.
func (d *day) probeAndPoll(ctx context.Context, stderr io.Writer) (dayReport, error) {
	rep := dayReport{Plan: d.plan, Regions: d.regionNames}
	fmt.Fprintln(stderr, "probing each kind of request...")
	var err error
	if rep.Kinds, err = d.probe(ctx); err != nil {
		return dayReport{}, err
	}
	if rep.SameETags, err = d.sameETags(ctx, convergeWithin); err != nil {
		return dayReport{}, err
	}
	fmt.Fprintf(stderr, "polling for %s...\n", d.plan.Poll)
	d.meter.Take()
	rep.Polls = d.poll(ctx)
	rep.PollControl = d.meter.Take().Control
	return rep, nil
}

// day is one run's stack, data and meters.
type day struct {
	plan        dayPlan
	client      *http.Client
	token       string
	home        string
	regions     []string
	regionNames []string
	small, big  string
	meter       *dynamo.Meter
	logs        *logMeter
	// store reaches the table directly, without the meter, to seed the big
	// tournament as scorer.
	store  *dynamo.Store
	scorer scores.Caller
}

// seed writes the small tournament through the API of the write (home)
// region, and the big one straight into the table followed by a repair of
// its standings: 3,000 transactions through DynamoDB Local on two busy
// cores would take most of the run, and the scenario measures the reads.
func (d *day) seed(ctx context.Context) error {
	jobs := make(chan int)
	var failed atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for k := range jobs {
				body, err := matchBody(d.small, fmt.Sprintf("m%05d", k), k)
				if err == nil {
					err = d.seedWrite(ctx, body)
				}
				if err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	for k := range d.plan.Small {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("day: %d seed writes failed, first: %v", n, first.Load())
	}
	ms := make([]scores.Match, 0, d.plan.Big)
	for k := range d.plan.Big {
		body, err := matchBody(d.big, fmt.Sprintf("m%05d", k), k)
		if err != nil {
			return err
		}
		var in scores.MatchInput
		if err := json.Unmarshal(body, &in); err != nil {
			return fmt.Errorf("day: seed: %w", err)
		}
		m, err := scores.NewMatch(in, d.scorer, time.Now().UTC())
		if err != nil {
			return fmt.Errorf("day: seed: %w", err)
		}
		ms = append(ms, m)
	}
	if err := d.store.ImportMatches(ctx, ms); err != nil {
		return fmt.Errorf("day: seed: %w", err)
	}
	rep, err := d.store.RepairStandings(ctx, d.big)
	if err != nil {
		return fmt.Errorf("day: seed: %w", err)
	}
	if !rep.Exact || rep.Matches != d.plan.Big {
		return fmt.Errorf("day: seed: standings of %d matches not exact after the import: %+v", d.plan.Big, rep)
	}
	d.meter.Take()
	d.logs.take()
	return ctx.Err()
}

// seedWrite posts one match of the seed. Four writers share the small
// tournament's standing lines, so a write can lose to the others and get
// 429 (try again); it is sent again after the Retry-After pause with some
// jitter, for up to a minute, as a scorekeeper's client would.
func (d *day) seedWrite(ctx context.Context, body []byte) error {
	deadline := time.Now().Add(time.Minute)
	for {
		a, err := d.do(ctx, http.MethodPost, d.home+"/v1/tournament/match", body, "")
		if err == nil || a.Status != http.StatusTooManyRequests || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second + time.Duration(rand.IntN(500))*time.Millisecond): //nolint:gosec // jitter, not a secret
		}
	}
}

// probeKind is one kind of request of the probe; req returns the request
// number i of the kind.
type probeKind struct {
	name string
	req  func(i int) (method, url string, body []byte)
}

func (d *day) probeKinds() []probeKind {
	get := func(path string) func(int) (string, string, []byte) {
		return func(int) (string, string, []byte) { return http.MethodGet, d.home + path, nil }
	}
	probeID := func(i int) string { return fmt.Sprintf("probe%04d", i) }
	write := func(method string, shift int) func(int) (string, string, []byte) {
		return func(i int) (string, string, []byte) {
			body, _ := matchBody(d.big, probeID(i), i+shift) // encoding a map of strings cannot fail
			return method, d.home + "/v1/tournament/match", body
		}
	}
	return []probeKind{
		{fmt.Sprintf("GET standings (%d matches)", d.plan.Small), get("/v1/tournament/" + d.small + "/standings")},
		{fmt.Sprintf("GET standings (%d matches)", d.plan.Big), get("/v1/tournament/" + d.big + "/standings")},
		{fmt.Sprintf("GET results (%d matches)", d.plan.Small), get("/v1/tournament/" + d.small + "/results")},
		{fmt.Sprintf("GET results (%d, a page)", d.plan.Big), get("/v1/tournament/" + d.big + "/results")},
		{"GET match", get("/v1/tournament/" + d.big + "/match/m00001")},
		{"GET player matches", get("/v1/player/" + seedPlayers[0] + "/matches")},
		{"GET health", get("/v1/health")},
		{"POST match", write(http.MethodPost, 0)},
		{"PUT match (replace)", write(http.MethodPut, 2)},
		{"DELETE match", func(i int) (string, string, []byte) {
			return http.MethodDelete, d.home + "/v1/tournament/" + d.big + "/match/" + probeID(i), nil
		}},
	}
}

// probe sends each kind's requests one at a time, so everything the meters
// count between two kinds belongs to that kind.
func (d *day) probe(ctx context.Context) ([]kindStat, error) {
	var out []kindStat
	for _, k := range d.probeKinds() {
		var durs []time.Duration
		var resp int64
		// Request 0 warms the path up and is not counted.
		for i := range d.plan.ProbeEach + 1 {
			if i == 1 {
				d.meter.Take()
				d.logs.take()
				durs, resp = nil, 0
			}
			method, url, body := k.req(i)
			t0 := time.Now()
			a, err := d.do(ctx, method, url, body, "")
			if err != nil {
				return nil, fmt.Errorf("day: probe %s: %w", k.name, err)
			}
			durs = append(durs, time.Since(t0))
			resp += a.Bytes
		}
		u := d.meter.Take()
		lb, handler := d.logs.take()
		n := float64(d.plan.ProbeEach)
		st := kindStat{Name: k.name, N: d.plan.ProbeEach, Requests: map[string]float64{},
			ReadUnits: u.ReadUnits / n, WriteUnit: u.WriteUnits / n, LocalWriteUnits: u.ReportedWriteUnits / n, ReplicaWriteUnits: u.ReplicaWriteUnits / n, ReplicatedBytes: float64(u.WrittenBytes) / n,
			RespBytes: float64(resp) / n, LogBytes: float64(lb) / n, HandlerMS: handler}
		for op, c := range u.Requests {
			st.Requests[op] = float64(c) / n
		}
		st.P50 = stats.Percentiles(durs, 50)[0]
		out = append(out, st)
	}
	return out, nil
}

// convergeWithin bounds how long sameETags waits for the regions to agree
// after the probe's writes: the local global table replicates with a delay
// (hush-local's -replication-delay), so a region may serve an older version
// for a while.
const convergeWithin = 90 * time.Second

// seedReplicatesWithin bounds the wait for the seed to replicate: 3,000
// matches are 9,000 items for each other region, applied one conditional
// write at a time.
const seedReplicatesWithin = 10 * time.Minute

// sameETags waits until every region answers the same ETag for the big
// tournament's standings and results, which is what content-derived ETags
// promise once the data has replicated, and reports false if they still
// differ after within.
func (d *day) sameETags(ctx context.Context, within time.Duration) (bool, error) {
	deadline := time.Now().Add(within)
	for {
		same, err := d.etagsAgree(ctx)
		if err != nil || same || time.Now().After(deadline) {
			return same, err
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("day: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// etagsAgree asks every region once for the big tournament's standings and
// results and reports whether they all answer the same ETag.
func (d *day) etagsAgree(ctx context.Context) (bool, error) {
	for _, path := range []string{"/v1/tournament/" + d.big + "/standings", "/v1/tournament/" + d.big + "/results"} {
		var tags []string
		for _, base := range d.regions {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
			if err != nil {
				return false, err
			}
			res, err := d.client.Do(req)
			if err != nil {
				return false, fmt.Errorf("day: %w", err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			tags = append(tags, res.Header.Get("ETag"))
		}
		if slices.Contains(tags, "") || len(slices.Compact(tags)) != 1 {
			return false, nil
		}
	}
	return true, nil
}

// poll runs the spectators and scorekeepers for plan.Poll.
func (d *day) poll(ctx context.Context) []*pollStat {
	ctx, cancel := context.WithTimeout(ctx, d.plan.Poll)
	defer cancel()
	paths := []struct{ name, path string }{
		{fmt.Sprintf("GET standings (%d)", d.plan.Big), "/v1/tournament/" + d.big + "/standings"},
		{fmt.Sprintf("GET results (%d)", d.plan.Big), "/v1/tournament/" + d.big + "/results"},
		{fmt.Sprintf("GET standings (%d)", d.plan.Small), "/v1/tournament/" + d.small + "/standings"},
		{fmt.Sprintf("GET results (%d)", d.plan.Small), "/v1/tournament/" + d.small + "/results"},
	}
	stats := make([]*pollStat, len(paths)+1)
	for i, p := range paths {
		stats[i] = &pollStat{Name: p.name, RegionsSeen: map[string]bool{}}
	}
	writes := &pollStat{Name: "PUT match (scorekeepers)", RegionsSeen: map[string]bool{d.regionNames[0]: true}}
	stats[len(paths)] = writes
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range d.plan.Spectators {
		wg.Go(func() {
			// A spectator's cache is keyed by path, as a browser's is by URL
			// behind one domain name, whichever region answers.
			etags := map[string]string{}
			full := map[string]int64{}
			// Each spectator watches one page, asking the regions in turn.
			for k := w; ctx.Err() == nil; k++ {
				p := paths[w%len(paths)]
				region := k % len(d.regions)
				t0 := time.Now()
				a, err := d.do(ctx, http.MethodGet, d.regions[region]+p.path, nil, etags[p.path])
				dur := time.Since(t0)
				if ctx.Err() != nil {
					return
				}
				st := stats[w%len(paths)]
				mu.Lock()
				st.Durations = append(st.Durations, dur)
				st.RegionsSeen[d.regionNames[region]] = true
				switch {
				case err != nil:
					st.Errors++
				case a.Status == http.StatusNotModified:
					st.Status304++
					st.SavedBytes += full[p.path]
				default:
					st.Bytes += a.Bytes
					etags[p.path] = a.ETag
					full[p.path] = a.Bytes
				}
				mu.Unlock()
				sleep(ctx, d.plan.PollEvery)
			}
		})
	}
	for w := range d.plan.Scorers {
		wg.Go(func() {
			for k := w; ctx.Err() == nil; k += d.plan.Scorers {
				tournament, n := d.big, d.plan.Big
				if k%2 == 1 {
					tournament, n = d.small, d.plan.Small
				}
				// Match j gets the score of seed k+j: a new result for it.
				j := (k * 7) % n
				body, _ := matchBody(tournament, fmt.Sprintf("m%05d", j), j+k+1) // cannot fail, see matchBody
				t0 := time.Now()
				_, err := d.do(ctx, http.MethodPut, d.home+"/v1/tournament/match", body, "")
				dur := time.Since(t0)
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				writes.Durations = append(writes.Durations, dur)
				if err != nil {
					writes.Errors++
				}
				mu.Unlock()
				sleep(ctx, d.plan.ScoreEvery)
			}
		})
	}
	wg.Wait()
	return stats
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// answer is what do keeps of a response.
type answer struct {
	Status int
	ETag   string
	Bytes  int64 // body bytes
}

// do sends one request (a write with the scorekeeper's token, a GET with
// etag as If-None-Match when given) and wants a 2xx or 304.
func (d *day) do(ctx context.Context, method, url string, body []byte, etag string) (answer, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return answer{}, err
	}
	if method != http.MethodGet {
		req.Header.Set("Authorization", d.token)
		req.Header.Set("Content-Type", "application/json")
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res, err := d.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	a := answer{Status: res.StatusCode, ETag: res.Header.Get("ETag"), Bytes: n}
	if err != nil {
		return a, err
	}
	if res.StatusCode >= 300 && res.StatusCode != http.StatusNotModified {
		return a, fmt.Errorf("%s %s: status %d", method, url, res.StatusCode)
	}
	return a, nil
}

// logMeter is the local stack's log: it counts the bytes the handlers and
// gateways log (what CloudWatch Logs would ingest from them) and the
// handlers' own durations from their request lines.
type logMeter struct {
	mu      sync.Mutex
	bytes   int64
	handler []float64
}

func (l *logMeter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bytes += int64(len(p))
	if bytes.Contains(p, []byte(`"msg":"request"`)) && bytes.Contains(p, []byte(`"duration_ms"`)) {
		var line struct {
			DurationMS *float64 `json:"duration_ms"`
		}
		if json.Unmarshal(p, &line) == nil && line.DurationMS != nil {
			l.handler = append(l.handler, *line.DurationMS)
		}
	}
	return len(p), nil
}

// take returns the bytes logged and the mean handler duration in ms since
// the last take.
func (l *logMeter) take() (int64, float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, hs := l.bytes, l.handler
	l.bytes, l.handler = 0, nil
	if len(hs) == 0 {
		return b, 0
	}
	var sum float64
	for _, h := range hs {
		sum += h
	}
	return b, sum / float64(len(hs))
}

// tokenSub reads the sub claim of an ID token this run signed up for. The
// token is not verified: it comes straight from the user pool, and only
// names the owner of the matches seeded beside the API.
func tokenSub(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("day: the ID token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("day: ID token payload: %w", err)
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Sub == "" {
		return "", fmt.Errorf("day: ID token without sub: %w", errors.Join(err, errors.New("no sub claim")))
	}
	return claims.Sub, nil
}
