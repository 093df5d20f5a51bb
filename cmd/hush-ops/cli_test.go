package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/writeregion"
)

// runFake runs the command on w's replicas, with prod's outputs saved in
// prod.json, and returns its exit status and what it printed.
func runFake(t *testing.T, w *world, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{
		stdout: &out, stderr: &errOut, flags: newTargetFlags(),
		env: fakeEnv(map[string]string{"prod.json": prodOutputs}, nil),
		dial: func(_ context.Context, tg target) (map[string]writeregion.Control, error) {
			if tg.Table != "hush-prod" {
				t.Errorf("dialled table %q, want hush-prod", tg.Table)
			}
			return w.controls(), nil
		},
		now: w.Now, sleep: w.Sleep,
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	code = c.run(ctx, args)
	t.Logf("hush-ops %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

// wantViews checks the own view of each replica that answers.
func wantViews(t *testing.T, w *world, want writeregion.Belief, regions ...string) {
	t.Helper()
	for _, r := range regions {
		v, ok := w.own(r)
		if !ok || v.Of() != want {
			t.Errorf("%s's view = %+v, want %+v", r, v.Of(), want)
		}
	}
}

func TestCommandUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", []string{"-outputs", "prod.json"}, "no command"},
		{"unknown command", []string{"-outputs", "prod.json", "write-regoin", "status"}, `unknown command "write-regoin"`},
		{"no verb", []string{"-outputs", "prod.json", "write-region"}, "write-region wants one of status, pause, resume, move; got nothing"},
		{"unknown verb", []string{"-outputs", "prod.json", "write-region", "open"}, `got "open"`},
		{"move without -to", []string{"-outputs", "prod.json", "write-region", "move"}, "write-region move needs -to REGION (one of eu-central-1, eu-west-1, us-east-1)"},
		{"move to a typo", []string{"-outputs", "prod.json", "write-region", "move", "-to", "eu-west1"}, `-to "eu-west1" is not one of the stack's regions eu-central-1, eu-west-1, us-east-1 (did you mean "eu-west-1"?)`},
		{"-force on pause", []string{"-outputs", "prod.json", "write-region", "pause", "-force"}, "flag provided but not defined: -force"},
		{"stray argument", []string{"-outputs", "prod.json", "write-region", "status", "now"}, `unexpected arguments ["now"]`},
		{"bad outputs", []string{"-outputs", "missing.json", "write-region", "status"}, "read the outputs file"},
		{"a flag misspelt", []string{"-outptus", "prod.json", "write-region", "status"}, "-outptus is no flag of hush-ops; did you mean -outputs?"},
		{"a flag of move misspelt", []string{"-outputs", "prod.json", "write-region", "move", "-too", "eu-west-1"}, "did you mean -to?"},
		{"bad -endpoint", []string{"-endpoint", "eu-west-1", "write-region", "status"}, `"eu-west-1": want region=URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, prodRegions, "eu-central-1")
			code, _, stderr := runFake(t, w, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", stderr, tt.want)
			}
			wantViews(t, w, writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open}, prodRegions...)
		})
	}
	if code, _, _ := runFake(t, newWorld(t, prodRegions, "eu-central-1"), "-h"); code != exitOK {
		t.Errorf("-h: exit %d, want 0", code)
	}
}

func TestCommandStatus(t *testing.T) {
	w := newWorld(t, prodRegions, "eu-central-1")
	// The target flags may follow the command too.
	code, out, _ := runFake(t, w, "write-region", "status", "-outputs", "prod.json")
	if code != exitOK {
		t.Errorf("exit %d, want 0", code)
	}
	lines := strings.Split(out, "\n")
	for _, r := range prodRegions {
		if !hasRow(lines, r, []string{"eu-central-1", "1", "open", "none granted", "seed"}) {
			t.Errorf("no row of %s's view in\n%s", r, out)
		}
	}
	w.setDown("us-east-1", true)
	code, out, _ = runFake(t, w, "-outputs", "prod.json", "write-region", "status")
	if code != exitUnreachable {
		t.Errorf("with us-east-1 down: exit %d, want %d", code, exitUnreachable)
	}
	if !hasRow(strings.Split(out, "\n"), "us-east-1 did not answer", []string{errDown.Error()}) {
		t.Errorf("with us-east-1 down: no row saying it did not answer in\n%s", out)
	}
	for _, r := range prodRegions {
		w.setDown(r, true)
	}
	code, _, stderr := runFake(t, w, "-outputs", "prod.json", "write-region", "status")
	if code != exitUnreachable || !strings.Contains(stderr, "no replica answered") {
		t.Errorf("with every replica down: exit %d, stderr %q; want %d and no replica answered", code, stderr, exitUnreachable)
	}
	for _, r := range prodRegions {
		if !hasRow(strings.Split(stderr, "\n"), r+": did not answer", []string{errDown.Error()}) {
			t.Errorf("with every replica down: stderr does not say why %s did not answer:\n%s", r, stderr)
		}
	}
}

func TestCommandPauseResumeMove(t *testing.T) {
	w := newWorld(t, prodRegions, "eu-central-1")
	steps := func(out string) int { return strings.Count(out, ")\n  ") + strings.Count(out, ")\ndone") }
	code, out, _ := runFake(t, w, "-outputs", "prod.json", "write-region", "pause")
	if code != exitOK || !strings.Contains(out, "done in") || steps(out) == 0 {
		t.Errorf("pause: exit %d, output\n%s\nwant 0, its steps and done", code, out)
	}
	wantViews(t, w, writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Paused}, prodRegions...)

	if code, _, _ = runFake(t, w, "-outputs", "prod.json", "write-region", "resume"); code != exitOK {
		t.Errorf("resume: exit %d, want 0", code)
	}
	wantViews(t, w, writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open}, prodRegions...)

	code, out, _ = runFake(t, w, "-outputs", "prod.json", "write-region", "move", "-to", "eu-west-1")
	if code != exitOK || steps(out) < 3 {
		t.Errorf("move: exit %d, output\n%s\nwant 0 and its steps (pause, drain, move, ...)", code, out)
	}
	if !hasRow(strings.Split(out, "\n"), "Writes go to eu-west-1", []string{"epoch 2", "open"}) {
		t.Errorf("move: the status after it does not say writes go to eu-west-1 at epoch 2:\n%s", out)
	}
	wantViews(t, w, writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 2, State: writeregion.Open}, prodRegions...)
}

// TestCommandForcedMove loses the write region: a planned move refuses
// and names the forced one, which moves on the replicas that answer.
func TestCommandForcedMove(t *testing.T) {
	w := newWorld(t, prodRegions, "eu-central-1")
	w.setDown("eu-central-1", true)
	code, _, stderr := runFake(t, w, "-outputs", "prod.json", "write-region", "move", "-to", "eu-west-1")
	if code != exitFailed {
		t.Errorf("planned move without the write region: exit %d, want %d", code, exitFailed)
	}
	for _, want := range []string{"The stack is left", "-force"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("planned move without the write region: stderr lacks %q", want)
		}
	}
	wantViews(t, w, writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open}, "eu-west-1", "us-east-1")

	code, out, _ := runFake(t, w, "-outputs", "prod.json", "write-region", "move", "-to", "eu-west-1", "-force")
	if code != exitOK {
		t.Errorf("forced move: exit %d, want 0", code)
	}
	if !strings.Contains(out, "eu-central-1 did not answer") {
		t.Errorf("forced move: the status after it does not show eu-central-1 unanswering:\n%s", out)
	}
	wantViews(t, w, writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 2, State: writeregion.Open}, "eu-west-1", "us-east-1")
	if v, _ := w.own("eu-central-1"); v.Epoch != 1 {
		t.Errorf("the lost region's view changed while down: %+v", v)
	}

	// With a second region lost no majority answers: the forced move
	// refuses, says what it left, and changes nothing.
	w = newWorld(t, prodRegions, "eu-central-1")
	w.setDown("eu-central-1", true)
	w.setDown("us-east-1", true)
	code, _, stderr = runFake(t, w, "-outputs", "prod.json", "write-region", "move", "-to", "eu-west-1", "-force")
	if code != exitFailed || !strings.Contains(stderr, "The stack is left") {
		t.Errorf("forced move with one replica of three: exit %d, stderr %q; want %d and the state left", code, stderr, exitFailed)
	}
	wantViews(t, w, writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open}, "eu-west-1")
}

// TestCommandDialFails says nothing changed when the clients cannot be
// built.
func TestCommandDialFails(t *testing.T) {
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, flags: newTargetFlags(), now: time.Now,
		env: fakeEnv(map[string]string{"prod.json": prodOutputs}, nil),
		dial: func(context.Context, target) (map[string]writeregion.Control, error) {
			return nil, errors.New("aws config: no region")
		},
	}
	if code := c.run(t.Context(), []string{"-outputs", "prod.json", "write-region", "pause"}); code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if want := "aws config: no region\nNothing was changed."; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q lacks %q", errOut.String(), want)
	}
}
