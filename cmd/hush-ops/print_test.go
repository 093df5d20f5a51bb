package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/writeregion"
)

func TestPrintStatus(t *testing.T) {
	now := time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)
	st := writeregion.Status{
		Views: map[string]writeregion.View{
			"eu-central-1": {Replica: "eu-central-1", WriteRegion: "eu-west-1", Epoch: 4, State: writeregion.Open,
				LeaseUntil: now.Add(3200 * time.Millisecond), Changed: now.Add(-90 * time.Second), By: "hush-ops move"},
			"eu-west-1": {Replica: "eu-west-1", WriteRegion: "eu-central-1", Epoch: 3, State: writeregion.Paused,
				LeaseUntil: now.Add(-12 * time.Second), Changed: now.Add(-10 * time.Minute), By: "hush-ops pause"},
		},
		Unreachable: map[string]error{"us-east-1": errors.New("operation error DynamoDB: Query, connection refused")},
		Belief:      writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 4, State: writeregion.Open},
	}
	var b bytes.Buffer
	printStatus(&b, prodRegions, st, now)
	out := b.String()
	t.Log("\n" + out)
	lines := strings.Split(out, "\n")
	for _, c := range []struct {
		name string
		// row starts with this; its fields follow in order
		prefix string
		fields []string
	}{
		{"the belief", "Writes go to eu-west-1", []string{"epoch 4", "open", "2 of 3 views that answered"}},
		{"a current view", "eu-central-1", []string{"eu-west-1", "4", "open", "3.2s", "2026-12-04 16:28:30Z (1m30s ago)", "hush-ops move"}},
		{"a view behind", "eu-west-1", []string{"eu-central-1", "3", "paused", "ran out 12s ago", "2026-12-04 16:20:00Z (10m0s ago)", "hush-ops pause"}},
		{"the behind note", "eu-west-1 is behind at epoch 3", []string{"adopts epoch 4"}},
		{"the row of a replica that did not answer", "us-east-1", []string{"(no view)", "-", "-"}},
		{"why it did not answer", "us-east-1 did not answer: operation error DynamoDB: Query, connection refused", nil},
		{"the count", "1 of 3 replicas did not answer", nil},
	} {
		if !hasRow(lines, c.prefix, c.fields) {
			t.Errorf("%s: no line starting %q with %q in order", c.name, c.prefix, c.fields)
		}
	}

	checkAligned(t, out)

	// A replica not yet seeded, and one with no lease granted.
	st = writeregion.Status{
		Views: map[string]writeregion.View{
			"eu-central-1": {Replica: "eu-central-1", WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open, Changed: now, By: "seed"},
		},
		Unreachable: map[string]error{"eu-west-1": fmt.Errorf("views: %w", writeregion.ErrNoView)},
		Belief:      writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open},
	}
	b.Reset()
	printStatus(&b, []string{"eu-central-1", "eu-west-1"}, st, now)
	lines = strings.Split(b.String(), "\n")
	if !hasRow(lines, "eu-central-1", []string{"none granted", "seed"}) {
		t.Errorf("no lease: want \"none granted\" in\n%s", b.String())
	}
	if !hasRow(lines, "eu-west-1 holds no view", []string{"not seeded"}) {
		t.Errorf("unseeded replica: want \"holds no view\" in\n%s", b.String())
	}
}

// checkAligned checks that every row of the table starts its second
// column where the header does.
func checkAligned(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	h := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "REPLICA") })
	if h < 0 {
		t.Fatalf("no table header in\n%s", out)
	}
	col := strings.Index(lines[h], "WRITE REGION")
	for _, l := range lines[h+1:] {
		if l == "" {
			break
		}
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("row %q does not start its second column at %d, as the header does", l, col)
		}
	}
}

// hasRow reports whether a line starts with prefix and holds fields in
// order.
func hasRow(lines []string, prefix string, fields []string) bool {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		rest, ok := l[len(prefix):], true
		for _, f := range fields {
			i := strings.Index(rest, f)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(f):]
		}
		if ok {
			return true
		}
	}
	return false
}

func TestPrintStep(t *testing.T) {
	var b bytes.Buffer
	printStep(&b, writeregion.Step{Name: "pause", Detail: "paused epoch 3 on 3 of 3 views", Took: 412345 * time.Microsecond})
	printStep(&b, writeregion.Step{Name: "drain", Detail: "replicated to eu-west-1, us-east-1", Took: 2345 * time.Millisecond})
	want := "  pause: paused epoch 3 on 3 of 3 views (412ms)\n  drain: replicated to eu-west-1, us-east-1 (2.3s)\n"
	if b.String() != want {
		t.Errorf("steps printed\n%q, want\n%q", b.String(), want)
	}
}

func TestPrintFailure(t *testing.T) {
	cmd := "hush-ops -outputs 'saved outputs/prod.json'"
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"with the command that continues", fmt.Errorf("move: %w", &writeregion.OpError{
			Step: "drain", Left: "paused at epoch 3 on every replica: no region takes writes", Next: "write-region move -to eu-west-1",
			Err: errors.New("eu-west-1 has not received the drain marker after 1m0s"),
		}), []string{
			`hush-ops: write-region move failed at step "drain": eu-west-1 has not received the drain marker after 1m0s`,
			"The stack is left: paused at epoch 3 on every replica: no region takes writes",
			"To continue:\n  hush-ops -outputs 'saved outputs/prod.json' write-region move -to eu-west-1\n",
		}},
		{"without one", &writeregion.OpError{Step: "fence", Left: "unchanged", Err: errors.New("2 of 3 replicas answered")},
			[]string{`failed at step "fence": 2 of 3 replicas answered`, "The stack is left: unchanged", "See where it stands with:\n  hush-ops -outputs 'saved outputs/prod.json' write-region status\n"}},
		{"not the operator's", errors.New("context canceled"),
			[]string{"write-region move failed: context canceled", "state is unknown", cmd + " write-region status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printFailure(&b, "write-region move", tt.err, cmd)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("printed\n%s\nwant it to contain %q", b.String(), w)
				}
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"prod.json": "prod.json", "eu-west-1=http://127.0.0.1:80": "eu-west-1=http://127.0.0.1:80",
		"a b": "'a b'", "it's": `'it'\''s'`, "": "''", "$HOME/x": "'$HOME/x'",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
