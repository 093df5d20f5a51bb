package drill

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/hush-scores/hush/localcloud/replicator"
	"github.com/hush-scores/hush/scores"
)

// LosePlan is the drill of losing the home and write region under steady
// traffic, moving the write region by force, and bringing the lost region
// back.
type LosePlan struct {
	// Region is the region to lose; "" means the stack's write region.
	Region string
	// To is where the write region moves; "" means the region nearest
	// Region.
	To string
	// Token is the ID token the traffic writes with, taken before the loss.
	Token string
	// Tournament holds every match the drill writes.
	Tournament string
	// Players are the traffic's players (see TrafficPlan.Players).
	Players []string
	// WriteBound is the bound of a write: while the write region is lost,
	// every write must be refused within it. 0 means 10 s.
	WriteBound time.Duration
	// Before is how long the traffic runs before the loss; 0 means 2 s.
	Before time.Duration
	// Hold is how long the region stays lost, past the front door's
	// detection bound, before the forced move; 0 means 2 s.
	Hold time.Duration
	// After is how long the traffic runs once the first write after the
	// move was acknowledged, before the restore; 0 means long enough for
	// every writer to edit each of its items twice.
	After time.Duration
	// Pace is the traffic's (TrafficPlan.Pace).
	Pace time.Duration
	// Timeout bounds each wait; 0 means four detection bounds plus 30 s.
	Timeout time.Duration
}

// LoseHooks are what the drill needs beyond the front door and the stack's
// faults: the data plane's operator, the replicator's view of what is
// pending, the fence as a stale function holds it, hush-repair, and the
// user pool when it has a replica.
type LoseHooks struct {
	// Pending lists what replication has not delivered from one region
	// to another (Client.Pending, Stack.PendingReplication).
	Pending func(ctx context.Context, from, to string) ([]replicator.Pending, error)
	// Move moves the write region to to by force, as `hush-ops
	// write-region move -to TO -force` does.
	Move func(ctx context.Context, to string) error
	// StaleWrite asks a fence that still believes in the epoch before the
	// move (wired as the write function wires its own) to admit a write.
	// It reports whether the fence refused it as a write must be refused
	// (unavailable, 503), and what it answered.
	StaleWrite func(ctx context.Context) (refused bool, answer string)
	// Repair runs hush-repair's standings repair of tournament in region
	// and returns its report.
	Repair func(ctx context.Context, region, tournament string) (string, error)
	// Identity, when the stack's user pool has a secondary replica, adds
	// sign-in during the loss to the drill; nil leaves it out.
	Identity *LoseIdentity
}

// LoseResult is what the lose drill measured. Durations are from the
// event named.
type LoseResult struct {
	Region, To string
	// Bound is the front door's detection bound.
	Bound time.Duration
	// Writes and Acked count the traffic's writes, Reads its reads.
	Writes, Acked, Reads int
	// SurvivorReads are the reads near the surviving regions from the
	// loss to the restore; SurvivorFailed those of them that failed, and
	// SurvivorFailedAfterBound those sent after the detection bound.
	SurvivorReads, SurvivorFailed, SurvivorFailedAfterBound int
	// LostReadsFailedAfterBound are the reads near the lost region sent
	// after the detection bound, once the front door answered them from
	// another region, and before the restore, that failed.
	LostReadsFailedAfterBound int
	// Refused counts the writes sent from the loss to the move that were
	// answered 503 with a reason; NotRefused lists the others (near the
	// lost region, only those sent once the front door answered it from
	// another region count);
	// SlowestRefusal is the longest a refusal took.
	Refused        int
	NotRefused     []Write
	SlowestRefusal time.Duration
	// RefusedDuringMove counts the writes sent while the move ran, up to
	// the first acknowledged one, that were refused with 503 (within the
	// write bound too); SlowestRefusal covers them, and NotRefused lists
	// those answered neither 503 nor 200.
	RefusedDuringMove int
	// MoveTook is how long the forced move took; FirstWrite is from the
	// move command to the first acknowledged write.
	MoveTook, FirstWrite time.Duration
	// Missing are the items whose last acknowledged write the new write
	// region lacked at the move; Pending the items replication had not
	// delivered from the lost region to it then, PendingAcked those whose
	// waiting write had been acknowledged, PendingUnacked those whose
	// waiting write never was (its answer lost with the region).
	Missing, Pending, PendingAcked, PendingUnacked []string
	// OverwrittenLater are the pending items that were edited again after
	// the move; each must end with its later edit.
	OverwrittenLater []string
	// Diverged lists items whose final content, in some region, is older
	// than their last acknowledged write.
	Diverged []string
	// ReadsBack is from the restore to the first read near the lost region
	// answered by it.
	ReadsBack time.Duration
	// GatewayWrite says where a write through the returned region's
	// gateway landed; GatewayRefusals counts its 503s before it did.
	GatewayWrite    string
	GatewayRefusals int
	// StaleWrite is the fence's answer to a function of the old epoch;
	// StaleAdmitted is set when it did not refuse the write with 503.
	StaleWrite    string
	StaleAdmitted bool
	// StandingsBefore reports whether the standings matched the matches
	// before the repair; Repair is its report; Standings the players whose
	// lines were checked after it, StandingsWrong the lines that differ.
	StandingsBefore bool
	Repair          string
	Standings       int
	StandingsWrong  []string
	// Identity is what the sign-in part measured; nil when the drill had
	// no LoseHooks.Identity.
	Identity *LoseIdentityResult
}

// loseDrill is the lose drill under way.
type loseDrill struct {
	t      Target
	hooks  LoseHooks
	plan   LosePlan
	out    io.Writer
	start  time.Time
	client *http.Client
	// gateways are the regions' own URLs; near the front door near each.
	gateways, near map[string]string
	traffic        *Traffic
	// failedOver is when the front door near the lost region first
	// answered from another region; moved when the move was commanded.
	failedOver, moved time.Time
	res               LoseResult
}

// LoseRegion runs the drill: steady traffic through the front door near every
// region; the write region lost; the front door's failover, writes refused
// until the forced move, the move, the first write acknowledged after it
// and what the lost region had not replicated; the restore, reads served
// by the returned region, a write through it, a write with the old epoch,
// the later edits kept, and the standings repaired and checked. It
// narrates to out and returns what it measured; it restores the region
// whatever happens.
func LoseRegion(ctx context.Context, t Target, hooks LoseHooks, plan LosePlan, out io.Writer) (res LoseResult, err error) {
	if hooks.Pending == nil || hooks.Move == nil || hooks.StaleWrite == nil || hooks.Repair == nil {
		return res, errors.New("drill: the lose drill needs every hook: Pending, Move, StaleWrite, Repair")
	}
	if id := hooks.Identity; id != nil && (id.Prepare == nil || id.Activate == nil || id.SignIn == nil || id.SignUp == nil || id.Replica == "" || id.User == "") {
		return res, errors.New("drill: the lose drill's sign-in part needs a replica region, a user and every hook: Prepare, Activate, SignIn, SignUp")
	}
	st, err := t.Status(ctx)
	if err != nil {
		return res, err
	}
	d := &loseDrill{t: t, hooks: hooks, plan: plan, out: out, client: &http.Client{Timeout: 30 * time.Second},
		gateways: map[string]string{}, near: map[string]string{}}
	for _, r := range st.FrontDoor.Regions {
		d.gateways[r.Name] = r.URL
	}
	for _, v := range st.FrontDoor.Vantages {
		if v.Name != "default" && v.URL != "" {
			d.near[v.Name] = v.URL
		}
	}
	if len(d.near) < 3 {
		return res, fmt.Errorf("drill: losing a region needs three regions with a front door each; the stack %s has %d (try -stack prod)", st.Stack, len(d.near))
	}
	if d.plan.Region == "" && st.WriteRegion != nil {
		d.plan.Region = st.WriteRegion.Region
	}
	v := vantage(st, d.plan.Region)
	if v == nil || len(v.Order) < 2 {
		return res, fmt.Errorf("drill: %q is not a region of the stack; its regions are %s", d.plan.Region, strings.Join(regionNames(st), ", "))
	}
	d.plan.To = cmp.Or(d.plan.To, v.Order[1])
	d.plan.WriteBound = cmp.Or(d.plan.WriteBound, 10*time.Second)
	d.plan.Before = cmp.Or(d.plan.Before, 2*time.Second)
	d.plan.Hold = cmp.Or(d.plan.Hold, 2*time.Second)
	d.plan.Pace = cmp.Or(d.plan.Pace, 50*time.Millisecond)
	d.res = LoseResult{Region: d.plan.Region, To: d.plan.To, Bound: time.Duration(st.FrontDoor.DetectionMS * float64(time.Millisecond))}
	d.plan.Timeout = cmp.Or(d.plan.Timeout, 4*d.res.Bound+30*time.Second)
	fmt.Fprintf(out, "drill: lose %s, the write region, under traffic near every region; move the write region to %s by force; bring %s back\n",
		d.plan.Region, d.plan.To, d.plan.Region)
	d.start = time.Now()
	err = d.run(ctx)
	if d.traffic != nil {
		d.traffic.Stop()
	}
	return d.res, err
}

func (d *loseDrill) say(format string, args ...any) {
	fmt.Fprintf(d.out, "  t+%6.3fs  %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

// Seeds are the matches the lose drill's readers read, written before
// the traffic starts.
var Seeds = []string{"seed-0", "seed-1", "seed-2", "seed-3"}

// GatewayWriteID is the match the lose drill writes through the returned
// region's gateway.
const GatewayWriteID = "through-the-returned-region"

// run is the drill as named steps: seed and start the traffic, lose the
// region (restored on every way out), wait for the front door, move the
// write region by force, restore, and check what the region brought back.
func (d *loseDrill) run(ctx context.Context) (err error) {
	p := d.plan
	tp := TrafficPlan{Near: d.near, Token: p.Token, Tournament: p.Tournament, Players: p.Players, Reads: Seeds, Pace: p.Pace}
	if err := d.seed(ctx, tp); err != nil {
		return err
	}
	if err := d.beginTraffic(ctx, tp); err != nil {
		return err
	}

	lost := time.Now()
	if err := d.t.Break(ctx, Lose, p.Region); err != nil {
		return err
	}
	restored := false
	defer func() {
		if !restored {
			err = errors.Join(err, d.t.Restore(context.WithoutCancel(ctx), Lose, p.Region))
		}
	}()
	d.say("lost %s: its gateway, replica and network are dark, and its user pool if it is the home region", p.Region)
	signIn := d.startSignIn(ctx, lost)
	defer signIn.stop()
	if err := d.failover(ctx, lost); err != nil {
		return err
	}
	if err := d.move(ctx, lost, signIn); err != nil {
		return err
	}
	if err := signIn.join(d); err != nil {
		return err
	}
	after := cmp.Or(p.After, max(4*time.Second, 2*8*(p.Pace+100*time.Millisecond)))
	if !sleep(ctx, after) {
		return ctx.Err()
	}

	back := time.Now()
	if err := d.t.Restore(ctx, Lose, p.Region); err != nil {
		return err
	}
	restored = true
	return d.afterRestore(ctx, lost, back)
}

// seed writes the matches the readers read and waits until every region
// serves them.
func (d *loseDrill) seed(ctx context.Context, tp TrafficPlan) error {
	if err := Seed(ctx, tp, d.gateways[d.plan.Region], Seeds); err != nil {
		return err
	}
	for _, id := range Seeds {
		for r, base := range d.gateways {
			if err := d.until(ctx, "match "+id+" readable in "+r, func() bool {
				return d.get(ctx, base, id).status == http.StatusOK
			}); err != nil {
				return err
			}
		}
	}
	d.say("seeded %d matches, readable in every region", len(Seeds))
	return nil
}

// beginTraffic makes the sign-in part's existing user, when there is one,
// starts the traffic and lets it run for the plan's Before.
func (d *loseDrill) beginTraffic(ctx context.Context, tp TrafficPlan) (err error) {
	if id := d.hooks.Identity; id != nil {
		if err := id.Prepare(ctx); err != nil {
			return fmt.Errorf("drill: make %s, an existing user: %w", id.User, err)
		}
		d.say("identity: %s is a confirmed user, known to the user pool's replica in %s", id.User, id.Replica)
	}
	if d.traffic, err = StartTraffic(ctx, tp); err != nil {
		return err
	}
	d.say("traffic: a writer and a reader near each of %s, through the front door, one request per %s each", strings.Join(slices.Sorted(maps.Keys(d.near)), ", "), d.plan.Pace)
	if !sleep(ctx, d.plan.Before) {
		return ctx.Err()
	}
	return nil
}

// signIn is the sign-in part running beside the failover and the move, as
// users would: it starts at the loss and is joined before the restore.
// Without an identity hook it does nothing.
type signIn struct {
	movedAt atomic.Pointer[time.Time]
	result  chan LoseIdentityResult
	cancel  context.CancelFunc
}

// startSignIn starts the sign-in part at the loss.
func (d *loseDrill) startSignIn(ctx context.Context, lost time.Time) *signIn {
	s := &signIn{cancel: func() {}}
	id := d.hooks.Identity
	if id == nil {
		return s
	}
	ictx, cancel := context.WithCancel(ctx)
	s.cancel, s.result = cancel, make(chan LoseIdentityResult, 1)
	go func() {
		s.result <- d.identity(ictx, id, lost, func() time.Time {
			if m := s.movedAt.Load(); m != nil {
				return *m
			}
			return time.Time{}
		})
	}()
	return s
}

// join waits for the sign-in part and records its result.
func (s *signIn) join(d *loseDrill) error {
	if s.result == nil {
		return nil
	}
	r := <-s.result
	s.result = nil
	d.res.Identity = &r
	return r.Err
}

// stop ends a sign-in part that was not joined (the drill failed first).
func (s *signIn) stop() {
	s.cancel()
	if s.result != nil {
		<-s.result
	}
}

// failover waits until the front door near the lost region answers from
// another, then holds for the plan's Hold past the detection bound.
func (d *loseDrill) failover(ctx context.Context, lost time.Time) error {
	p := d.plan
	var answered reply
	if err := d.until(ctx, "the front door near "+p.Region+" to answer from another region", func() bool {
		answered = call(ctx, d.client, http.MethodGet, d.near[p.Region]+"/v1/health", "", nil)
		return answered.err == nil && answered.status == http.StatusOK && answered.region != p.Region
	}); err != nil {
		return err
	}
	d.failedOver = answered.sent
	d.say("the front door near %s answers from %s, %s after the loss (detection bound %s)", p.Region, answered.region, d.failedOver.Sub(lost).Round(time.Millisecond), d.res.Bound)
	if !sleep(ctx, time.Until(lost.Add(d.res.Bound+p.Hold))) {
		return ctx.Err()
	}
	return nil
}

// move records what the new write region lacks at the move, moves the
// write region by force and waits for the first write acknowledged after
// it.
func (d *loseDrill) move(ctx context.Context, lost time.Time, s *signIn) error {
	p := d.plan
	// At the move: what the new write region lacks, and what the lost one
	// has not delivered to it. Nothing is written anywhere meanwhile.
	if err := d.atTheMove(ctx); err != nil {
		return err
	}
	moved := time.Now()
	d.moved = moved
	s.movedAt.Store(&moved)
	d.say("hush-ops write-region move -to %s -force", p.To)
	if err := d.hooks.Move(ctx, p.To); err != nil {
		return fmt.Errorf("drill: the forced move to %s: %w", p.To, err)
	}
	d.res.MoveTook = time.Since(moved)
	d.say("the move returned after %s", d.res.MoveTook.Round(time.Millisecond))
	var first Write
	if err := d.until(ctx, "a write acknowledged after the move", func() bool {
		for _, w := range d.traffic.Writes() {
			if w.Acked() && !w.Sent.Before(moved) {
				first = w
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	d.res.FirstWrite = first.Done.Sub(moved)
	d.say("first write acknowledged %s after the move command (near %s, answered by %s)", d.res.FirstWrite.Round(time.Millisecond), first.Near, first.Region)
	d.refusals(lost, moved, first.Done)
	return nil
}

// afterRestore checks what the restored region brought back: reads served
// by it again, a write through it, a function of the old epoch refused,
// replication drained, every item's final contents and the standings.
func (d *loseDrill) afterRestore(ctx context.Context, lost, back time.Time) error {
	p := d.plan
	d.say("restored %s with what it held", p.Region)
	if err := d.until(ctx, "a read near "+p.Region+" answered by it", func() bool {
		for _, r := range d.traffic.Reads() {
			if r.Near == p.Region && r.OK() && r.Region == p.Region && r.Sent.After(back) {
				d.res.ReadsBack = r.Done.Sub(back)
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	d.say("reads near %s are served by %s again, %s after the restore", p.Region, p.Region, d.res.ReadsBack.Round(time.Millisecond))
	d.reads(lost, back)
	if err := d.gatewayWrite(ctx); err != nil {
		return err
	}
	d.staleWrite(ctx)
	writes, _ := d.traffic.Stop()
	d.res.Writes = len(writes)
	for _, w := range writes {
		if w.Acked() {
			d.res.Acked++
		}
	}
	d.res.Reads = len(d.traffic.Reads())
	if err := d.drained(ctx); err != nil {
		return err
	}
	if err := d.finalContents(ctx, writes); err != nil {
		return err
	}
	return d.standings(ctx)
}

// staleWrite asks a function that still believes in the old epoch to
// write, and records whether the fence refused it.
func (d *loseDrill) staleWrite(ctx context.Context) {
	refused, answer := d.hooks.StaleWrite(ctx)
	d.res.StaleWrite, d.res.StaleAdmitted = answer, !refused
	if refused {
		d.say("a function still believing in the old epoch asked to write: refused (%s)", answer)
	} else {
		d.say("a function still believing in the old epoch asked to write: NOT REFUSED (%s)", answer)
	}
}

// until polls ok until it holds or the plan's timeout runs out.
func (d *loseDrill) until(ctx context.Context, what string, ok func() bool) error {
	deadline := time.Now().Add(d.plan.Timeout)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("drill: waited %s for %s", d.plan.Timeout, what)
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return fmt.Errorf("drill: %w", ctx.Err())
		}
	}
	return nil
}

// get reads match id of the drill's tournament at base.
func (d *loseDrill) get(ctx context.Context, base, id string) reply {
	return call(ctx, d.client, http.MethodGet, base+"/v1/tournament/"+url.PathEscape(d.plan.Tournament)+"/match/"+url.PathEscape(id), "", nil)
}

// scoreAt returns the score match id holds in region's replica, "" when it
// holds none.
func (d *loseDrill) scoreAt(ctx context.Context, region, id string) (string, error) {
	a := d.get(ctx, d.gateways[region], id)
	switch {
	case a.err == nil && a.status == http.StatusNotFound:
		return "", nil
	case a.err != nil || a.status != http.StatusOK:
		return "", fmt.Errorf("drill: read %s in %s: %s", id, region, a)
	}
	var m scores.Match
	if err := json.Unmarshal(a.body, &m); err != nil {
		return "", fmt.Errorf("drill: read %s in %s: %w", id, region, err)
	}
	return m.Score, nil
}

// history is what the traffic wrote to each item: its writes by score, and
// the last one acknowledged.
type history struct {
	byScore map[string]map[string]Write // item -> score -> write
	last    map[string]Write            // item -> last acknowledged write
}

func historyOf(writes []Write) history {
	h := history{byScore: map[string]map[string]Write{}, last: map[string]Write{}}
	for _, w := range writes {
		if h.byScore[w.Match] == nil {
			h.byScore[w.Match] = map[string]Write{}
		}
		h.byScore[w.Match][w.Score] = w
		if w.Acked() && w.Seq >= h.last[w.Match].Seq {
			h.last[w.Match] = w
		}
	}
	return h
}

// behind reports whether content (a score the item holds, "" for none) is
// older than the item's last acknowledged write: the region lacks it.
func (h history) behind(item, content string) bool {
	last, ok := h.last[item]
	if !ok {
		return false
	}
	w, known := h.byScore[item][content]
	return content == "" || !known || w.Seq < last.Seq
}

func (d *loseDrill) atTheMove(ctx context.Context) error {
	p := d.plan
	h := historyOf(d.traffic.Writes())
	for _, item := range slices.Sorted(maps.Keys(h.last)) {
		got, err := d.scoreAt(ctx, p.To, item)
		if err != nil {
			return err
		}
		if h.behind(item, got) {
			d.res.Missing = append(d.res.Missing, item)
		}
	}
	pending, err := d.hooks.Pending(ctx, p.Region, p.To)
	if err != nil {
		return err
	}
	for _, c := range pending {
		item, ok := d.matchOf(c)
		if !ok {
			continue
		}
		d.res.Pending = append(d.res.Pending, item)
		if w, ok := h.byScore[item][c.Values["score"]]; ok && w.Acked() {
			d.res.PendingAcked = append(d.res.PendingAcked, item)
		} else {
			d.res.PendingUnacked = append(d.res.PendingUnacked, item)
		}
	}
	slices.Sort(d.res.Pending)
	slices.Sort(d.res.PendingAcked)
	slices.Sort(d.res.PendingUnacked)
	d.say("at the move: %d acknowledged writes missing in %s; %d items pending from %s to it, %d of them acknowledged writes, %d writes whose answer was lost",
		len(d.res.Missing), p.To, len(d.res.Pending), p.Region, len(d.res.PendingAcked), len(d.res.PendingUnacked))
	return nil
}

// matchOf returns the match ID of a pending change of the drill's
// tournament's match items.
func (d *loseDrill) matchOf(c replicator.Pending) (string, bool) {
	if c.Keys["PK"] != "TOURNAMENT#"+d.plan.Tournament {
		return "", false
	}
	return strings.CutPrefix(c.Keys["SK"], "MATCH#")
}

// refusals checks the writes sent from the loss to the move, which must
// all be refused with 503, and those sent while the move ran, up to the
// first acknowledged one, which must be refused or acknowledged.
func (d *loseDrill) refusals(lost, moved, opened time.Time) {
	for _, w := range d.traffic.Writes() {
		if w.Sent.Before(lost) || !w.Sent.Before(opened) || w.Near == d.plan.Region && w.Sent.Before(d.failedOver) {
			continue
		}
		during := !w.Sent.Before(moved)
		switch {
		case w.Status == http.StatusServiceUnavailable && w.Err == "":
			if during {
				d.res.RefusedDuringMove++
			} else {
				d.res.Refused++
			}
			d.res.SlowestRefusal = max(d.res.SlowestRefusal, w.Took())
		case during && w.Acked():
		default:
			d.res.NotRefused = append(d.res.NotRefused, w)
		}
	}
	d.say("from the loss to the move: %d writes refused with 503; while the move ran: %d more; the slowest refusal took %s (bound %s); %d answered otherwise",
		d.res.Refused, d.res.RefusedDuringMove, d.res.SlowestRefusal.Round(time.Millisecond), d.plan.WriteBound, len(d.res.NotRefused))
}

// reads counts the reads from the loss to the restore.
func (d *loseDrill) reads(lost, back time.Time) {
	after := lost.Add(d.res.Bound)
	// Near the lost region, a read fails until the front door answers it
	// from elsewhere: count from then, or the bound if later.
	elsewhere := after
	if d.failedOver.After(elsewhere) {
		elsewhere = d.failedOver
	}
	for _, r := range d.traffic.Reads() {
		if r.Sent.Before(lost) || !r.Sent.Before(back) {
			continue
		}
		if r.Near == d.plan.Region {
			if !r.OK() && r.Sent.After(elsewhere) {
				d.res.LostReadsFailedAfterBound++
			}
			continue
		}
		d.res.SurvivorReads++
		if !r.OK() {
			d.res.SurvivorFailed++
			if r.Sent.After(after) {
				d.res.SurvivorFailedAfterBound++
			}
		}
	}
	d.say("reads near the surviving regions while %s was lost: %d, %d failed (%d after the detection bound); near %s after the bound: %d failed",
		d.plan.Region, d.res.SurvivorReads, d.res.SurvivorFailed, d.res.SurvivorFailedAfterBound, d.plan.Region, d.res.LostReadsFailedAfterBound)
}

// gatewayWrite writes through the returned region's own gateway and reads
// the write at once in the new write region.
func (d *loseDrill) gatewayWrite(ctx context.Context) error {
	p := d.plan
	tr := &Traffic{plan: TrafficPlan{Tournament: p.Tournament, Players: p.Players}}
	if len(tr.plan.Players) < 2 {
		tr.plan.Players = []string{"ann", "bea", "cyd"}
	}
	const id = GatewayWriteID
	score := "7,8"
	var a reply
	if err := d.until(ctx, "a write through the gateway of "+p.Region, func() bool {
		a = call(ctx, d.client, http.MethodPut, d.gateways[p.Region]+"/v1/tournament/match", p.Token, tr.body(id, 0, score))
		if a.err == nil && a.status == http.StatusServiceUnavailable {
			d.res.GatewayRefusals++
		}
		return a.err == nil && a.status == http.StatusOK
	}); err != nil {
		return fmt.Errorf("%w (last: %s)", err, a)
	}
	got, err := d.scoreAt(ctx, p.To, id)
	if err != nil {
		return err
	}
	if got == score {
		d.res.GatewayWrite = p.To
	} else {
		d.res.GatewayWrite = "not " + p.To
	}
	d.say("a write through the gateway of %s was acknowledged after %d refusals and is in %s at once: %v", p.Region, d.res.GatewayRefusals, p.To, got == score)
	return nil
}

// drained waits until no link has anything pending.
func (d *loseDrill) drained(ctx context.Context) error {
	regions := slices.Sorted(maps.Keys(d.gateways))
	return d.until(ctx, "replication to drain", func() bool {
		for _, from := range regions {
			for _, to := range regions {
				if from == to {
					continue
				}
				if p, err := d.hooks.Pending(ctx, from, to); err != nil || len(p) > 0 {
					return false
				}
			}
		}
		return true
	})
}

// finalContents checks every item in every region against its last
// acknowledged write: never older. The pending items edited after the
// move must hold an edit made after it.
func (d *loseDrill) finalContents(ctx context.Context, writes []Write) error {
	h := historyOf(writes)
	diverged := map[string]bool{}
	for _, item := range slices.Sorted(maps.Keys(h.last)) {
		for region := range d.gateways {
			got, err := d.scoreAt(ctx, region, item)
			if err != nil {
				return err
			}
			if h.behind(item, got) {
				diverged[item+" in "+region+" holds "+cmp.Or(got, "nothing")+", last acknowledged "+h.last[item].Score] = true
			}
		}
	}
	for _, item := range d.res.Pending {
		if last := h.last[item]; last.Acked() && last.Sent.After(d.moved) {
			d.res.OverwrittenLater = append(d.res.OverwrittenLater, item)
		}
	}
	d.res.Diverged = slices.Sorted(maps.Keys(diverged))
	d.say("after the restore: %d items checked in every region, %d older than their last acknowledged write; %d of the lost region's unreplicated writes were edited after the move, and the later edit held",
		len(h.last), len(d.res.Diverged), len(d.res.OverwrittenLater))
	return nil
}

// standings compares the standings with a recomputation from the matches
// in the new write region, repairs them, and compares again.
func (d *loseDrill) standings(ctx context.Context) error {
	p := d.plan
	wrong, n, err := d.compareStandings(ctx)
	if err != nil {
		return err
	}
	d.res.StandingsBefore = len(wrong) == 0
	d.say("standings before the repair: %d players, %d lines differ from a recomputation from the matches", n, len(wrong))
	if d.res.Repair, err = d.hooks.Repair(ctx, p.To, p.Tournament); err != nil {
		return fmt.Errorf("drill: repair the standings: %w", err)
	}
	d.say("hush-repair: %s", d.res.Repair)
	if d.res.StandingsWrong, d.res.Standings, err = d.compareStandings(ctx); err != nil {
		return err
	}
	d.say("standings after the repair: %d players, %d lines differ", d.res.Standings, len(d.res.StandingsWrong))
	return nil
}

// compareStandings reads the tournament's matches and standings in the new
// write region and returns the lines that differ from scores.Standings of
// the matches, and the number of players.
func (d *loseDrill) compareStandings(ctx context.Context) ([]string, int, error) {
	base := d.gateways[d.plan.To] + "/v1/tournament/" + url.PathEscape(d.plan.Tournament)
	var matches []scores.Match
	cursor := ""
	for page := 0; page < 1000; page++ {
		u := base + "/results?limit=100"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		a := call(ctx, d.client, http.MethodGet, u, "", nil)
		if a.err != nil || a.status != http.StatusOK {
			return nil, 0, fmt.Errorf("drill: list the matches: %s", a)
		}
		var body struct {
			Results []scores.Match `json:"results"`
			Cursor  string         `json:"cursor"`
		}
		if err := json.Unmarshal(a.body, &body); err != nil {
			return nil, 0, fmt.Errorf("drill: list the matches: %w", err)
		}
		matches = append(matches, body.Results...)
		if cursor = body.Cursor; cursor == "" {
			break
		}
	}
	a := call(ctx, d.client, http.MethodGet, base+"/standings", "", nil)
	if a.err != nil || a.status != http.StatusOK {
		return nil, 0, fmt.Errorf("drill: read the standings: %s", a)
	}
	var got struct {
		Standings []scores.Standing `json:"standings"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil {
		return nil, 0, fmt.Errorf("drill: read the standings: %w", err)
	}
	want := scores.Standings(matches)
	var wrong []string
	for i := range max(len(want), len(got.Standings)) {
		var w, g scores.Standing
		if i < len(want) {
			w = want[i]
		}
		if i < len(got.Standings) {
			g = got.Standings[i]
		}
		if w != g {
			wrong = append(wrong, fmt.Sprintf("line %d: stored %+v, recomputed %+v", i+1, g, w))
		}
	}
	return wrong, len(want), nil
}

// Figures returns the drill's figures as one block the docs can quote.
func (r LoseResult) Figures() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lose-region drill: lost %s (home and write region), forced move to %s; front-door detection bound %s\n", r.Region, r.To, r.Bound)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("traffic", fmt.Sprintf("%d writes (%d acknowledged), %d reads", r.Writes, r.Acked, r.Reads))
	row("reads near the surviving regions while lost", fmt.Sprintf("%d, %d failed, %d after the detection bound", r.SurvivorReads, r.SurvivorFailed, r.SurvivorFailedAfterBound))
	row("reads near the lost region failed after the bound", fmt.Sprint(r.LostReadsFailedAfterBound))
	row("writes from the loss to the move", fmt.Sprintf("%d refused with 503, %d more while the move ran (slowest %s); %d answered otherwise", r.Refused, r.RefusedDuringMove, r.SlowestRefusal.Round(time.Millisecond), len(r.NotRefused)))
	row("forced move took", r.MoveTook.Round(time.Millisecond).String())
	row("move command to first acknowledged write", r.FirstWrite.Round(time.Millisecond).String())
	r.Identity.figures(row)
	row("acknowledged writes missing in the new write region", fmt.Sprintf("%d (pending from the lost region: %d; acknowledged %d, answer lost %d)", len(r.Missing), len(r.Pending), len(r.PendingAcked), len(r.PendingUnacked)))
	row("unreplicated writes edited after the move", fmt.Sprintf("%d, later edit kept; %d items older than their last acknowledged write", len(r.OverwrittenLater), len(r.Diverged)))
	row("restore to reads served by the returned region", r.ReadsBack.Round(time.Millisecond).String())
	row("write through the returned region's gateway", fmt.Sprintf("landed in %s after %d refusals", r.GatewayWrite, r.GatewayRefusals))
	stale := "refused"
	if r.StaleAdmitted {
		stale = "NOT REFUSED: " + r.StaleWrite
	}
	row("write by a function of the old epoch", stale)
	row("standings", fmt.Sprintf("exact before the repair: %v; after: %d players, %d lines wrong", r.StandingsBefore, r.Standings, len(r.StandingsWrong)))
	tw.Flush()
	return b.String()
}
