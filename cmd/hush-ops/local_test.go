package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/scores"
	"github.com/hush-scores/hush/writeregion"
)

// localProd is a temporary local prod stack (eu-central-1, eu-west-1,
// us-east-1, from Pulumi.prod.yaml) and what the command's tests need of
// it.
type localProd struct {
	stack *localcloud.Stack
	// flags name the stack to hush-ops as an operator would: the outputs
	// file the stack wrote into its data dir, and its secret.
	flags []string
	out   outputs
}

// startLocalProd starts the stack, with writes going to eu-central-1
// (hush:writeRegion of Pulumi.prod.yaml), and seeds the write region where
// the stack has not: Seed never overwrites, so this is the seed the stack
// would write.
func startLocalProd(t *testing.T) *localProd {
	t.Helper()
	testtier.Needs(t, testtier.LocalCloud)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	s, err := localcloud.StartTemp(ctx, localcloud.Options{Stack: "prod", ReplicationDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("start a local prod stack: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	dir := s.Info().DataDir
	file := filepath.Join(dir, outputsFileName)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the local stack wrote no outputs file: %v", err)
	}
	o, err := parseOutputs(b)
	if err != nil {
		t.Fatalf("the local stack's outputs file %s: %v\n%s", file, err, b)
	}
	if want := []string{"eu-central-1", "eu-west-1", "us-east-1"}; strings.Join(o.regions, ",") != strings.Join(want, ",") || o.table != "hush-prod" || len(o.endpoints) != 3 {
		t.Fatalf("the local stack's outputs: table %q, regions %v, endpoints %v; want hush-prod, %v and an endpoint each", o.table, o.regions, o.endpoints, want)
	}
	p := &localProd{stack: s, out: o, flags: []string{"-outputs", file, "-secret-file", filepath.Join(dir, secretFileName)}}
	for _, r := range o.regions {
		_, err := dynamo.NewControl(p.client(t, r), o.table, r).Seed(ctx, writeregion.View{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open, By: "seed"})
		if err != nil && !errors.Is(err, writeregion.ErrRefused) {
			t.Fatalf("seed %s: %v", r, err)
		}
	}
	return p
}

// client returns a client of region's replica, as hush-ops reaches it.
func (p *localProd) client(t *testing.T, region string) *dynamodb.Client {
	t.Helper()
	c, err := dynamoclient.ForEndpoint(p.out.endpoints[region], region, dynamoclient.Secret(p.stack.Info().Secret), dynamo.ConfigureEmulator)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hushOps runs the command as an operator would, on the real clients.
func (p *localProd) hushOps(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run(ctx, append(append([]string{}, p.flags...), args...), &out, &errOut, osEnv(), dialReplicas)
	t.Logf("hush-ops %s: exit %d after %s\n%s%s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond), out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

// views returns the own view of every replica, read in it.
func (p *localProd) views(ctx context.Context, t *testing.T) map[string]writeregion.View {
	t.Helper()
	out := map[string]writeregion.View{}
	for _, r := range p.out.regions {
		vs, err := dynamo.NewControl(p.client(t, r), p.out.table, r).Views(ctx)
		if err != nil {
			t.Fatalf("views of %s: %v", r, err)
		}
		for _, v := range vs {
			if v.Replica == r {
				out[r] = v
			}
		}
	}
	return out
}

func (p *localProd) wantViews(ctx context.Context, t *testing.T, want writeregion.Belief) {
	t.Helper()
	for r, v := range p.views(ctx, t) {
		if v.Of() != want {
			t.Errorf("%s's view = %+v, want %+v", r, v.Of(), want)
		}
	}
}

// TestLocalStack runs status, pause, resume, a planned move and, with the
// new write region's replica down, a forced move through the command's own
// code path against a running local prod stack, found through the outputs
// file and the secret in its data dir, then -local.
func TestLocalStack(t *testing.T) {
	p := startLocalProd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	home := writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open}

	code, out, _ := p.hushOps(ctx, t, "write-region", "status")
	if code != exitOK {
		t.Errorf("status: exit %d, want 0", code)
	}
	for _, r := range p.out.regions {
		if !hasRow(strings.Split(out, "\n"), r, []string{"eu-central-1", "1", "open"}) {
			t.Errorf("status: no row of %s saying eu-central-1, epoch 1, open", r)
		}
	}

	if code, _, _ = p.hushOps(ctx, t, "write-region", "pause"); code != exitOK {
		t.Errorf("pause: exit %d, want 0", code)
	}
	p.wantViews(ctx, t, writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Paused})
	if code, _, _ = p.hushOps(ctx, t, "write-region", "resume"); code != exitOK {
		t.Errorf("resume: exit %d, want 0", code)
	}
	p.wantViews(ctx, t, home)

	code, out, _ = p.hushOps(ctx, t, "write-region", "move", "-to", "eu-west-1")
	if code != exitOK {
		t.Errorf("move: exit %d, want 0", code)
	}
	if !strings.Contains(out, "done in") {
		t.Errorf("move: output lacks \"done in\"")
	}
	p.wantViews(ctx, t, writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 2, State: writeregion.Open})

	// The write region's replica is lost: status says so, a planned move
	// refuses and names the forced one, which moves on the two others.
	if err := p.stack.Faults().Break(ctx, drill.Replica, "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	code, out, _ = p.hushOps(ctx, t, "write-region", "status")
	if code != exitUnreachable || !hasRow(strings.Split(out, "\n"), "eu-west-1 did not answer", nil) {
		t.Errorf("status with eu-west-1's replica down: exit %d, want %d and eu-west-1 named", code, exitUnreachable)
	}
	code, _, errOut := p.hushOps(ctx, t, "write-region", "move", "-to", "us-east-1")
	if code != exitFailed || !strings.Contains(errOut, "write-region move -to us-east-1 -force") {
		t.Errorf("planned move without the write region: exit %d, want %d and the forced move to continue", code, exitFailed)
	}
	if code, _, _ = p.hushOps(ctx, t, "write-region", "move", "-to", "us-east-1", "-force"); code != exitOK {
		t.Errorf("forced move: exit %d, want 0", code)
	}
	if err := p.stack.Faults().Restore(ctx, drill.Replica, "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	views := p.views(ctx, t)
	for _, r := range []string{"eu-central-1", "us-east-1"} {
		if want := (writeregion.Belief{WriteRegion: "us-east-1", Epoch: 3, State: writeregion.Open}); views[r].Of() != want {
			t.Errorf("%s's view after the forced move = %+v, want %+v", r, views[r].Of(), want)
		}
	}
	if got := views["eu-west-1"].Epoch; got != 2 {
		t.Errorf("eu-west-1's own view, down during the forced move, is at epoch %d, want 2 (it adopts 3 at its next renewal)", got)
	}

	// -local finds the same stack by its data dir.
	var stdout, stderr bytes.Buffer
	code = run(ctx, []string{"-local", "-data-dir", p.stack.Info().DataDir, "write-region", "status"}, &stdout, &stderr, osEnv(), dialReplicas)
	lines := strings.Split(stdout.String(), "\n")
	if code != exitOK || !hasRow(lines, "Writes go to us-east-1", []string{"epoch 3", "open"}) || !hasRow(lines, "eu-west-1 is behind at epoch 2", nil) {
		t.Errorf("-local status: exit %d, output\n%s%s\nwant 0, writes going to us-east-1 at epoch 3, and eu-west-1 behind", code, stdout.String(), stderr.String())
	}
}

// TestLocalPlannedMoveLosesNothing is the planned-move check:
// steady writes through the API of two regions before, during and after
// `hush-ops write-region move -to eu-west-1` on a healthy local prod
// stack; afterwards every acknowledged write is present in every replica.
// Writes refused with 503 while the move pauses them were not
// acknowledged, and are only counted.
func TestLocalPlannedMoveLosesNothing(t *testing.T) {
	p := startLocalProd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	info := p.stack.Info()
	token, err := cognitolocal.IDToken(ctx, cognitolocal.NewClient(info.CognitoEndpoint, info.HomeRegion),
		cognitolocal.Pool{ID: info.UserPoolID, ClientID: info.UserPoolClientID}, cognitolocal.DemoUsers[0].Name, cognitolocal.DemoUsers[0].Password)
	if err != nil {
		t.Fatal(err)
	}

	w := &writers{token: token, acked: map[string]ack{}, codes: map[string]int{}}
	phase := func(name string) { w.setPhase(name) }
	phase("before")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, region := range []string{"eu-central-1", "us-east-1"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.write(ctx, fmt.Sprintf("w%d", i), info.URL(region), stop)
		}()
	}
	time.Sleep(3 * time.Second)
	phase("during")
	code, _, _ := p.hushOps(ctx, t, "write-region", "move", "-to", "eu-west-1")
	phase("after")
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	if code != exitOK {
		t.Fatalf("move: exit %d, want 0", code)
	}
	p.wantViews(ctx, t, writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 2, State: writeregion.Open})

	byPhase := map[string]int{}
	for _, a := range w.acked {
		byPhase[a.phase]++
	}
	t.Logf("acknowledged writes by phase %v; answers %v", byPhase, w.codes)
	if byPhase["before"] == 0 || byPhase["after"] == 0 {
		t.Fatalf("acknowledged writes before the move %d, after it %d: want some of each, or the test proves nothing (answers %v)", byPhase["before"], byPhase["after"], w.codes)
	}
	for c, n := range w.codes {
		if c != "200" && c != "503" {
			t.Errorf("%d writes answered %s; want only 200 or 503 (refused while paused)", n, c)
		}
	}
	// The move paused writes while they ran: some were refused, saying so.
	if w.codes["503"] == 0 || !strings.Contains(w.refusal, "paused") {
		t.Errorf("%d writes refused during the move, the last saying %q; want some, refused because writes were paused", w.codes["503"], w.refusal)
	}
	// Every region's functions follow the move.
	for _, r := range p.out.regions {
		if got := healthWriteRegion(ctx, t, info.URL(r)); got != "eu-west-1" {
			t.Errorf("health in %s names write region %q after the move, want eu-west-1", r, got)
		}
	}

	// Every acknowledged write, in every replica, once replication has
	// had its time.
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range p.out.regions {
		store := dynamo.NewStore(p.client(t, r), p.out.table)
		for id, a := range w.acked {
			for {
				m, err := store.GetMatch(ctx, tournament, id)
				if err == nil {
					if m.Score != a.score {
						t.Errorf("%s holds %s with score %q, want the acknowledged %q", r, id, m.Score, a.score)
					}
					break
				}
				if scores.ErrorCode(err) != scores.CodeNotFound || time.Now().After(deadline) {
					t.Errorf("%s: acknowledged write %s (%s the move) is missing: %v", r, id, a.phase, err)
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
}

const tournament = "planned-move"

// writers write matches through the API steadily and record each answer.
type writers struct {
	token string
	mu    sync.Mutex
	phase string
	acked map[string]ack
	codes map[string]int
	// refusal is the body of the latest 503.
	refusal string
}

type ack struct{ phase, score string }

func (w *writers) setPhase(p string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.phase = p
}

// write creates a match a time through the gateway at url until stop.
func (w *writers) write(ctx context.Context, name, url string, stop <-chan struct{}) {
	client := &http.Client{Timeout: 5 * time.Second}
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
		id := fmt.Sprintf("%s-%04d", name, n)
		score := []string{"5,4,9", "-6,4,-7,-10", "11,-9,8"}[n%3]
		body, _ := json.Marshal(scores.MatchInput{TournamentID: tournament, MatchID: id, Player1: "Ann" + name, Player2: "Bo" + name, Score: score})
		w.mu.Lock()
		phase := w.phase
		w.mu.Unlock()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/tournament/match", bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", w.token)
		req.Header.Set("Content-Type", "application/json")
		answer, refusal := "error", ""
		if resp, err := client.Do(req); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			answer = fmt.Sprint(resp.StatusCode)
			if resp.StatusCode == http.StatusServiceUnavailable {
				refusal = string(b)
			}
		}
		w.mu.Lock()
		w.codes[answer]++
		if refusal != "" {
			w.refusal = refusal
		}
		if answer == "200" {
			w.acked[id] = ack{phase: phase, score: score}
		}
		w.mu.Unlock()
	}
}

// healthWriteRegion returns the write region health names at the stage
// URL url, once its belief (cached a second) has caught up with the move.
func healthWriteRegion(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	var body struct {
		WriteRegion string `json:"write_region"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err == nil && body.WriteRegion == "eu-west-1" {
				return body.WriteRegion
			}
		}
		if time.Now().After(deadline) {
			return body.WriteRegion
		}
		time.Sleep(200 * time.Millisecond)
	}
}
