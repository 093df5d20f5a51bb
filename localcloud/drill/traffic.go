package drill

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/hush-scores/hush/localcloud/frontdoor"
)

// TrafficPlan is steady traffic through the front door: for each region, a
// client near it that writes and one that reads, each recording every
// request it made.
type TrafficPlan struct {
	// Near maps each region to the front door near it (its vantage's URL).
	Near map[string]string
	// Token is the ID token the writers send. Take it before a drill loses
	// the home region: the user pool goes dark with it.
	Token string
	// Tournament holds every match the traffic writes and reads.
	Tournament string
	// Players are the names the writers' matches are between; nil means
	// ann, bea and cyd.
	Players []string
	// Items is how many matches each writer edits, in turn; 0 means 8. A
	// writer comes back to each of its matches every Items writes, so the
	// edits made after a drill moves the write region reach the matches a
	// lost region had not replicated.
	Items int
	// Reads are the match IDs the readers read in turn: written and
	// replicated before the traffic starts (Seed writes them).
	Reads []string
	// Pace is the time between two requests of one client; 0 means 50 ms.
	Pace time.Duration
	// Timeout bounds one request; 0 means 30 s.
	Timeout time.Duration
}

// Write is one write the traffic made: a PUT of a match, which creates it
// or replaces it.
type Write struct {
	// Near is the region the client is near; Region the region whose
	// gateway answered (the front door's X-Hush-Region), "" without one.
	Near, Region string
	Match, Score string
	// Seq counts the writer's writes from 0.
	Seq        int
	Sent, Done time.Time
	// Status is the answer's, 0 when there was none (Err says why).
	Status int
	Err    string
}

// Acked reports whether the write was acknowledged (200).
func (w Write) Acked() bool { return w.Err == "" && w.Status == http.StatusOK }

// Took is how long the write waited for its answer.
func (w Write) Took() time.Duration { return w.Done.Sub(w.Sent) }

// Read is one read the traffic made: a GET of a match.
type Read struct {
	Near, Region string
	Match        string
	Sent, Done   time.Time
	Status       int
	Err          string
}

// OK reports whether the read was answered with the match (200).
func (r Read) OK() bool { return r.Err == "" && r.Status == http.StatusOK }

// Traffic is traffic under way; Stop ends it and returns what it did.
type Traffic struct {
	plan   TrafficPlan
	client *http.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	writes []Write
	reads  []Read
}

// StartTraffic starts a writer and a reader near every region of plan.Near.
func StartTraffic(ctx context.Context, plan TrafficPlan) (*Traffic, error) {
	if len(plan.Near) == 0 || plan.Token == "" || plan.Tournament == "" {
		return nil, fmt.Errorf("drill: traffic needs the front door near each region, a token and a tournament")
	}
	if len(plan.Players) < 2 {
		plan.Players = []string{"ann", "bea", "cyd"}
	}
	plan.Items = cmp.Or(plan.Items, 8)
	plan.Pace = cmp.Or(plan.Pace, 50*time.Millisecond)
	plan.Timeout = cmp.Or(plan.Timeout, 30*time.Second)
	ctx, cancel := context.WithCancel(ctx)
	tr := &Traffic{plan: plan, cancel: cancel, client: &http.Client{Timeout: plan.Timeout}}
	for _, near := range slices.Sorted(maps.Keys(plan.Near)) {
		base := plan.Near[near]
		tr.wg.Add(1)
		go tr.write(ctx, near, base)
		if len(plan.Reads) > 0 {
			tr.wg.Add(1)
			go tr.read(ctx, near, base)
		}
	}
	return tr, nil
}

// ItemID is the match ID of a writer's k-th item.
func ItemID(near string, k int) string { return fmt.Sprintf("%s-%02d", near, k) }

// TrafficScore is the score of a writer's seq-th write: unique for each
// seq below 10,000, so the score an item holds says which write it is.
// Odd writes are won by player 2, so standings move both ways.
func TrafficScore(seq int) string {
	a, b := seq%100, (seq/100)%100
	if seq%2 == 1 {
		return fmt.Sprintf("-%d,-%d", a, b)
	}
	return fmt.Sprintf("%d,%d", a, b)
}

// Body returns the body of a PUT of match id between the players of item
// k, with score.
func (tr *Traffic) body(id string, k int, score string) map[string]any {
	p := tr.plan.Players
	return map[string]any{
		"tournament_id": tr.plan.Tournament, "match_id": id,
		"player1": p[k%len(p)], "player2": p[(k+1)%len(p)], "score": score,
	}
}

func (tr *Traffic) write(ctx context.Context, near, base string) {
	defer tr.wg.Done()
	for seq := 0; ; seq++ {
		k := seq % tr.plan.Items
		w := Write{Near: near, Match: ItemID(near, k), Score: TrafficScore(seq), Seq: seq}
		a := call(ctx, tr.client, http.MethodPut, base+"/v1/tournament/match", tr.plan.Token, tr.body(w.Match, k, w.Score))
		// A write cut short by Stop is kept too, unacknowledged: it may
		// have been made, and its score must be known as one of the writes.
		w.Sent, w.Done, w.Status, w.Region, w.Err = a.sent, a.done, a.status, a.region, a.errText()
		tr.mu.Lock()
		tr.writes = append(tr.writes, w)
		tr.mu.Unlock()
		if ctx.Err() != nil || !sleep(ctx, tr.plan.Pace) {
			return
		}
	}
}

func (tr *Traffic) read(ctx context.Context, near, base string) {
	defer tr.wg.Done()
	for i := 0; ; i++ {
		id := tr.plan.Reads[i%len(tr.plan.Reads)]
		a := call(ctx, tr.client, http.MethodGet, base+"/v1/tournament/"+url.PathEscape(tr.plan.Tournament)+"/match/"+url.PathEscape(id), "", nil)
		if ctx.Err() != nil {
			return
		}
		tr.mu.Lock()
		tr.reads = append(tr.reads, Read{Near: near, Region: a.region, Match: id, Sent: a.sent, Done: a.done, Status: a.status, Err: a.errText()})
		tr.mu.Unlock()
		if !sleep(ctx, tr.plan.Pace) {
			return
		}
	}
}

// Writes returns the writes made so far, in the order they were answered.
func (tr *Traffic) Writes() []Write {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.writes)
}

// Reads returns the reads made so far, in the order they were answered.
func (tr *Traffic) Reads() []Read {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.reads)
}

// Stop ends the traffic, waits for its clients and returns what they did.
// Stopping twice is harmless.
func (tr *Traffic) Stop() ([]Write, []Read) {
	tr.cancel()
	tr.wg.Wait()
	return tr.Writes(), tr.Reads()
}

// Seed writes the matches ids through base (a front door or a gateway)
// with plan's token, tournament and players, for the readers to read.
func Seed(ctx context.Context, plan TrafficPlan, base string, ids []string) error {
	tr := &Traffic{plan: plan, client: &http.Client{Timeout: cmp.Or(plan.Timeout, 30*time.Second)}}
	if len(tr.plan.Players) < 2 {
		tr.plan.Players = []string{"ann", "bea", "cyd"}
	}
	for k, id := range ids {
		a := call(ctx, tr.client, http.MethodPut, base+"/v1/tournament/match", plan.Token, tr.body(id, k, "5,4,9"))
		if a.err != nil || a.status != http.StatusOK {
			return fmt.Errorf("drill: seed match %s through %s: %s", id, base, a)
		}
	}
	return nil
}

// reply is what one request got.
type reply struct {
	sent, done time.Time
	status     int
	region     string
	body       []byte
	err        error
}

func (a reply) errText() string {
	if a.err == nil {
		return ""
	}
	return a.err.Error()
}

func (a reply) String() string {
	if a.err != nil {
		return "no answer (" + a.err.Error() + ")"
	}
	return fmt.Sprintf("%d %s", a.status, bytes.TrimSpace(a.body))
}

// call sends one request, JSON-encoding body when it is not nil.
func call(ctx context.Context, client *http.Client, method, u, token string, body any) reply {
	a := reply{sent: time.Now()}
	defer func() { a.done = time.Now() }()
	var payload io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.err, a.done = err, time.Now()
			return a
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, payload)
	if err != nil {
		a.err, a.done = err, time.Now()
		return a
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		a.err, a.done = err, time.Now()
		return a
	}
	defer resp.Body.Close()
	a.body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	a.status, a.region, a.done = resp.StatusCode, resp.Header.Get(frontdoor.HeaderRegion), time.Now()
	return a
}

// sleep waits d or until ctx ends; it reports whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
