// Package crash_test kills a local prod stack while its global table
// replicates, as a laptop that runs out of memory would, starts it again
// on the same data directory, and checks that nothing acknowledged was
// lost or undone: every region holds every acknowledged write in its last
// acknowledged state, and the standings equal their recomputation from the
// matches. It runs hush-local as a process of its own (the suite's stack
// cannot be killed from inside the test binary), so it is a package apart
// from the e2e suite, which would start a stack it does not need.
//
//	go test -count=1 -v ./e2e/crash
package crash_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/localcloud/statuspage"
	"github.com/hush-scores/hush/scores"
)

// hushLocal is the hush-local binary TestMain builds.
var hushLocal string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if testtier.SkipPackage(os.Stderr, "crash", testtier.LocalCloud) {
		return 0
	}
	root, err := child.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "hush-crash-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	hushLocal = filepath.Join(dir, "hush-local")
	build := exec.Command("go", "build", "-o", hushLocal, "./cmd/hush-local")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "crash: build hush-local: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// Sizes of the workload, as in the report that found the losses.
const (
	creates  = 120
	replaces = 30
	deletes  = 15
	workers  = 8
	// minBacklog is the least backlog the kill must catch: a run with
	// (nearly) nothing to replicate proves nothing.
	minBacklog = 50
	// delay is the stack's replication delay: longer than the default so
	// that the writes of the last seconds before the kill are still
	// waiting on a busy machine, while older ones are being applied.
	delay = "3s"
	// settle is how long the kill waits after the last acknowledged write.
	// DynamoDB Local answers a TransactWriteItems a moment before the
	// transaction is durable, and rolls it back when it starts again after
	// being killed in between (seen with a kill within a millisecond of
	// the answer, never 50 ms after it): a loss of the emulator, in the
	// write region itself, that no replicator can undo. The replicator's
	// own writes, which go on during the kill, are checked again for it.
	settle = 250 * time.Millisecond
)

// TestCrashHushLocalKilled kills hush-local with SIGKILL (its emulators die
// with it) right after the last acknowledged write, while replication
// runs, and starts it again on the same data directory.
func TestCrashHushLocalKilled(t *testing.T) {
	crashAndCheck(t, "hush-local", (*stack).kill)
}

// TestCrashDynamoDBLocalKilled kills DynamoDB Local alone with SIGKILL
// while replication runs: hush-local stops, saying why, and is started
// again on the same data directory.
func TestCrashDynamoDBLocalKilled(t *testing.T) {
	crashAndCheck(t, "DynamoDB Local", (*stack).killDynamoDB)
}

// crashAndCheck runs the workload on a stack, kills what with kill once
// replication has a backlog worth the name, starts the stack again on the
// same data directory, and checks every region against what was
// acknowledged.
func crashAndCheck(t *testing.T, what string, kill func(*stack, *testing.T)) {
	dir := t.TempDir()
	s := start(t, dir)
	tid := "crash-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	want := s.workload(t, tid)
	time.Sleep(settle)
	backlog := s.backlog(t)
	kill(s, t)
	t.Logf("killed %s with a backlog of %d changes", what, backlog)
	if backlog < minBacklog {
		t.Fatalf("backlog at the kill = %d, want at least %d: the run had too little to replicate to prove anything", backlog, minBacklog)
	}
	s = start(t, dir)
	s.check(t, tid, want)
}

// stack is a running hush-local.
type stack struct {
	cmd   *exec.Cmd
	out   *syncBuffer
	exit  chan error
	state datalock.State
	token string
	// writeRegion is the write region, as the status page last said.
	writeRegion string
	// stdin stays open: hush-local reads console commands from it.
	stdin io.WriteCloser
}

// start runs hush-local on dir and waits until it serves.
func start(t *testing.T, dir string) *stack {
	t.Helper()
	cmd := exec.Command(hushLocal, "-stack", "prod", "-data-dir", dir, "-base-port", "0", "-replication-delay", delay)
	s := &stack{cmd: cmd, out: &syncBuffer{}, exit: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatalf("start hush-local: %v", err)
	}
	go func() { s.exit <- cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(4 * time.Minute)
	for {
		select {
		case err := <-s.exit:
			s.exit <- err
			t.Fatalf("hush-local exited while starting (%v):\n%s", err, s.out.String())
		case <-time.After(250 * time.Millisecond):
		}
		st, err := datalock.Running(dir)
		if err == nil && st.PID == cmd.Process.Pid && st.StatusURL != "" && len(st.Gateways) == 3 &&
			strings.Contains(s.out.String(), "is running") {
			s.state = st
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hush-local did not come up within 4 minutes:\n%s", s.out.String())
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	demo := cognitolocal.DemoUsers[0]
	pool := cognitolocal.Pool{ID: s.state.UserPoolID, ClientID: s.state.UserPoolClientID}
	token, err := cognitolocal.IDToken(ctx, cognitolocal.NewClient(s.state.CognitoEndpoint, s.state.HomeRegion), pool, demo.Name, demo.Password)
	if err != nil {
		t.Fatalf("sign in %s: %v", demo.Name, err)
	}
	s.token = token
	return s
}

// stop ends hush-local with SIGINT if it still runs.
func (s *stack) stop(t *testing.T) {
	select {
	case err := <-s.exit:
		s.exit <- err
		return
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.exit:
		s.exit <- err
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		t.Errorf("hush-local did not stop within a minute of SIGINT")
	}
}

// descendants returns the processes started below pid, by scanning /proc.
func descendants(pid int) []int {
	parents := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		f := strings.Fields(rest)
		if len(f) > 1 {
			if pp, err := strconv.Atoi(f[1]); err == nil {
				parents[p] = pp
			}
		}
	}
	var out []int
	for p := range parents {
		for q := parents[p]; q > 1; q = parents[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// waitGone waits until every pid has exited.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, p := range pids {
		for alive(p) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d outlived hush-local's SIGKILL by a minute", p)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// kill sends SIGKILL to hush-local and waits for it and its emulators to
// be gone.
func (s *stack) kill(t *testing.T) {
	t.Helper()
	children := descendants(s.cmd.Process.Pid)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL hush-local: %v", err)
	}
	err := <-s.exit
	s.exit <- err
	waitGone(t, children)
}

// killDynamoDB sends SIGKILL to DynamoDB Local alone; hush-local must stop
// by itself, naming it.
func (s *stack) killDynamoDB(t *testing.T) {
	t.Helper()
	var jvm int
	for _, p := range descendants(s.cmd.Process.Pid) {
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
		if bytes.Contains(b, []byte("DynamoDBLocal")) {
			jvm = p
		}
	}
	if jvm == 0 {
		t.Fatal("found no DynamoDB Local process under hush-local")
	}
	children := descendants(s.cmd.Process.Pid)
	if err := syscall.Kill(jvm, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL DynamoDB Local: %v", err)
	}
	select {
	case err := <-s.exit:
		s.exit <- err
		if err == nil || !strings.Contains(s.out.String(), "DynamoDB Local stopped unexpectedly") {
			t.Errorf("hush-local ended with %v after DynamoDB Local was killed, want an error naming it; output:\n%s", err, s.out.tail(2000))
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("hush-local still runs 2 minutes after DynamoDB Local was killed:\n%s", s.out.tail(2000))
	}
	waitGone(t, children)
}

// links reads the replication links from the status page.
func (s *stack) links(ctx context.Context) ([]statuspage.Link, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(s.state.StatusURL, "/")+statuspage.JSONPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var snap struct {
		Replication []statuspage.Link      `json:"replication"`
		WriteRegion *statuspage.WriteState `json:"writeRegion"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return nil, fmt.Errorf("status.json: %w", err)
	}
	if snap.WriteRegion != nil {
		s.writeRegion = snap.WriteRegion.Region
	}
	return snap.Replication, nil
}

// backlog is the replication backlog of every link at once.
func (s *stack) backlog(t *testing.T) int {
	t.Helper()
	links, err := s.links(t.Context())
	if err != nil {
		t.Fatalf("read the backlog: %v", err)
	}
	n := 0
	for _, l := range links {
		n += l.Backlog
	}
	return n
}

// ledger is what the workload had acknowledged: by match ID, the last
// input, nil for a deleted match; and every answer it got, for messages.
type ledger struct {
	last    map[string]*scores.MatchInput
	history map[string][]string
}

// op is one write of the workload.
type op struct {
	method string
	in     scores.MatchInput
}

var players = []string{"Ann", "Bo", "Cy", "Di", "Ed", "Flo"}

// workload writes creates, replaces and deletes through the home region
// (every write goes to the write region) and returns what was
// acknowledged: by match ID, the last input, nil for a deleted match.
func (s *stack) workload(t *testing.T, tid string) ledger {
	t.Helper()
	input := func(i int, score string) scores.MatchInput {
		return scores.MatchInput{
			TournamentID: tid, MatchID: fmt.Sprintf("m%03d", i),
			Player1: players[i%len(players)], Player2: players[(i+1+(i/len(players))%(len(players)-1))%len(players)], Score: score,
		}
	}
	scoresOf := []string{"5,4,9", "6,-4,7,10", "-5,-4,-9", "11,-9,-3,8,-7"}
	want := ledger{last: map[string]*scores.MatchInput{}, history: map[string][]string{}}
	var mu sync.Mutex
	run := func(ops []op) {
		jobs := make(chan op)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for o := range jobs {
					answers := s.write(t, o)
					mu.Lock()
					if o.method == http.MethodDelete {
						want.last[o.in.MatchID] = nil
					} else {
						in := o.in
						want.last[o.in.MatchID] = &in
					}
					want.history[o.in.MatchID] = append(want.history[o.in.MatchID], answers...)
					mu.Unlock()
				}
			})
		}
		for _, o := range ops {
			jobs <- o
		}
		close(jobs)
		wg.Wait()
	}
	first := creates * 3 / 4
	var ops []op
	for i := range first {
		ops = append(ops, op{http.MethodPost, input(i, scoresOf[i%len(scoresOf)])})
	}
	run(ops)
	// The rest of the creates, the replaces (a new score, a winner changed
	// for half of them) and the deletes go together, and the kill follows.
	ops = ops[:0]
	for i := first; i < creates; i++ {
		ops = append(ops, op{http.MethodPost, input(i, scoresOf[i%len(scoresOf)])})
	}
	for i := range replaces {
		ops = append(ops, op{http.MethodPut, input(i, scoresOf[(i+1+i%2)%len(scoresOf)])})
	}
	for i := range deletes {
		ops = append(ops, op{http.MethodDelete, input(first/2+i, "")})
	}
	run(ops)
	return want
}

// write sends one write until it has a definite answer: an answer lost to
// a timeout or a 5xx is sent again, and a retried create that finds its
// match (409) or a retried delete that finds none (404) is done. A 429 (the
// write lost to other writes of the tournament: eight workers write one
// tournament's standing lines at once) is a definite "not done" and is
// sent again after a jittered pause, as a client honouring Retry-After
// would, for up to busyFor; it does not count as one of the 10 attempts.
func (s *stack) write(t *testing.T, o op) (answers []string) {
	url := s.state.Gateways[s.state.HomeRegion] + "/v1/tournament/match"
	if o.method == http.MethodDelete {
		url = s.state.Gateways[s.state.HomeRegion] + "/v1/tournament/" + o.in.TournamentID + "/match/" + o.in.MatchID
	}
	var body []byte
	if o.method != http.MethodDelete {
		body, _ = json.Marshal(o.in)
	}
	busyUntil := time.Now().Add(busyFor)
	for attempt := 1; ; attempt++ {
		status, answer, err := s.send(t.Context(), o.method, url, body)
		if err == nil && status == http.StatusTooManyRequests && time.Now().Before(busyUntil) {
			answers = append(answers, fmt.Sprintf("%s %d", o.method, status))
			attempt--
			time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
			continue
		}
		if err != nil {
			answers = append(answers, fmt.Sprintf("%s %v", o.method, err))
		} else {
			answers = append(answers, fmt.Sprintf("%s %d", o.method, status))
		}
		switch {
		case err == nil && status < 300:
			return answers
		case err == nil && attempt > 1 && (o.method == http.MethodPost && status == http.StatusConflict || o.method == http.MethodDelete && status == http.StatusNotFound):
			return answers
		case err == nil && status < 500 && status != http.StatusTooManyRequests:
			t.Errorf("%s %s: %d %s", o.method, o.in.MatchID, status, answer)
			return answers
		case attempt == 10:
			t.Errorf("%s %s: no answer after 10 attempts: %d %s %v", o.method, o.in.MatchID, status, answer, err)
			return answers
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
}

var client = &http.Client{Timeout: 30 * time.Second}

// busyFor bounds how long one write keeps answering 429 before the test
// gives up on it.
const busyFor = 2 * time.Minute

func (s *stack) send(ctx context.Context, method, url string, body []byte) (int, string, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("Authorization", s.token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// viewChangesAfterRestart is how many changes a link into the write region
// may apply after a restart: those of the one item the link's region
// writes itself, its view of the write region (see check).
const viewChangesAfterRestart = 2

// check waits for replication to drain after the restart, then compares
// every region with what was acknowledged, and its standings with their
// recomputation from its matches.
func (s *stack) check(t *testing.T, tid string, acked ledger) {
	t.Helper()
	began := time.Now()
	s.drain(t)
	t.Logf("replication drained %s after the restart", time.Since(began).Round(10*time.Millisecond))
	links, err := s.links(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		t.Logf("after the restart, link %s -> %s applied %d changes", l.From, l.To, l.Applied)
		// Every write of the API went to the write region: a change of
		// the API's data applied into it is an echo of the replicator's
		// own writes. One item of every other region is written there:
		// its own view of the write region, which every lease renewal
		// updates in its own replica (package writeregion). Its changes
		// waiting at the kill count once (the backlog keeps an item's
		// latest change), and the restarted replicator may find the one
		// before it there already, so a link may apply up to
		// viewChangesAfterRestart; an echo of the backlog (hundreds of
		// changes) cannot hide under that.
		if l.To == s.writeRegion && l.Applied > viewChangesAfterRestart {
			t.Errorf("link %s -> %s applied %d changes into the write region after the restart: echoes sent back", l.From, l.To, l.Applied)
		}
	}
	want := acked.last
	live := 0
	for _, in := range want {
		if in != nil {
			live++
		}
	}
	regions := make([]string, 0, len(s.state.Gateways))
	for r := range s.state.Gateways {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	for _, region := range regions {
		got := s.results(t, region, tid)
		var ms []scores.Match
		for id, in := range want {
			m, ok := got[id]
			switch {
			case in == nil && ok:
				t.Errorf("%s: match %s is back although its DELETE was acknowledged (answers %v)", region, id, acked.history[id])
			case in == nil:
			case !ok:
				t.Errorf("%s: match %s is missing although its write was acknowledged (answers %v)", region, id, acked.history[id])
			case m.Score != in.Score || m.Player1 != in.Player1 || m.Player2 != in.Player2:
				t.Errorf("%s: match %s holds %s %s %s, want the last acknowledged %s %s %s (answers %v)", region, id, m.Player1, m.Player2, m.Score, in.Player1, in.Player2, in.Score, acked.history[id])
			}
			if ok {
				ms = append(ms, m)
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				t.Errorf("%s: match %s was never written", region, id)
			}
		}
		if len(ms) != live {
			t.Errorf("%s: %d live matches, want %d", region, len(ms), live)
		}
		wantLines := scores.Standings(ms)
		gotLines := s.standings(t, region, tid)
		if !slices.Equal(gotLines, wantLines) {
			t.Errorf("%s: standings differ from their recomputation from the matches:\n got %+v\nwant %+v", region, gotLines, wantLines)
		}
	}
}

// drain waits until every link has had an empty backlog for a while.
func (s *stack) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	quiet := 0
	for quiet < 5 {
		if time.Now().After(deadline) {
			links, _ := s.links(t.Context())
			t.Fatalf("replication did not drain within 5 minutes of the restart: %+v", links)
		}
		time.Sleep(500 * time.Millisecond)
		links, err := s.links(t.Context())
		if err != nil {
			quiet = 0
			continue
		}
		busy := false
		for _, l := range links {
			busy = busy || l.Backlog > 0
		}
		if busy {
			quiet = 0
		} else {
			quiet++
		}
	}
}

// results reads every match of a tournament in region, by match ID.
func (s *stack) results(t *testing.T, region, tid string) map[string]scores.Match {
	t.Helper()
	out := map[string]scores.Match{}
	cursor := ""
	for {
		url := s.state.Gateways[region] + "/v1/tournament/" + tid + "/results?limit=100"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		status, body, err := s.send(t.Context(), http.MethodGet, url, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s: results: %d %s %v", region, status, body, err)
		}
		var page struct {
			Results []scores.Match `json:"results"`
			Cursor  string         `json:"cursor"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatalf("%s: results: %v", region, err)
		}
		for _, m := range page.Results {
			out[m.MatchID] = m
		}
		if page.Cursor == "" {
			return out
		}
		cursor = page.Cursor
	}
}

// standings reads a tournament's standings in region.
func (s *stack) standings(t *testing.T, region, tid string) []scores.Standing {
	t.Helper()
	status, body, err := s.send(t.Context(), http.MethodGet, s.state.Gateways[region]+"/v1/tournament/"+tid+"/standings", nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("%s: standings: %d %s %v", region, status, body, err)
	}
	var out struct {
		Standings []scores.Standing `json:"standings"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%s: standings: %v", region, err)
	}
	return out.Standings
}

// syncBuffer is hush-local's output, written by its pipes and read by the
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) tail(n int) string {
	s := b.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
