package drill

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/scores"
)

func TestTrafficScoreIsAValidUniqueScore(t *testing.T) {
	seen := map[string]int{}
	for seq := range 10000 {
		s := TrafficScore(seq)
		if prev, ok := seen[s]; ok {
			t.Fatalf("TrafficScore(%d) = TrafficScore(%d) = %q, want each unique", seq, prev, s)
		}
		seen[s] = seq
		sc, err := scores.ParseScore(s, 0)
		if err != nil {
			t.Fatalf("TrafficScore(%d) = %q: %v", seq, s, err)
		}
		if want := 1 + seq%2; sc.Winner != want {
			t.Fatalf("TrafficScore(%d) = %q won by player %d, want %d", seq, s, sc.Winner, want)
		}
	}
}

// TestTrafficRecordsEveryRequest runs traffic through a fake front door,
// stops a region's gateway under it, and checks what was recorded: every
// write with its item, score, times and answer, every read likewise, the
// failures included.
func TestTrafficRecordsEveryRequest(t *testing.T) {
	s := newFakeStack(t)
	st, err := (&Client{BaseURL: s.url}).Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	near := map[string]string{}
	for _, v := range st.FrontDoor.Vantages {
		if v.Name != "default" {
			near[v.Name] = v.URL
		}
	}
	tr, err := StartTraffic(t.Context(), TrafficPlan{Near: near, Token: "token", Tournament: "t1", Items: 3, Reads: []string{"r1", "r2"}, Pace: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	s.regions["us-east-1"].down.Store(true)
	time.Sleep(100 * time.Millisecond)
	writes, reads := tr.Stop()
	if again, _ := tr.Stop(); len(again) != len(writes) {
		t.Errorf("a second Stop returned %d writes, want the same %d", len(again), len(writes))
	}
	next := map[string]int{}
	failed := map[string]int{}
	for _, w := range writes {
		if w.Seq != next[w.Near] {
			t.Errorf("write %+v: seq %d, want %d", w, w.Seq, next[w.Near])
		}
		next[w.Near]++
		if w.Match != ItemID(w.Near, w.Seq%3) || w.Score != TrafficScore(w.Seq) {
			t.Errorf("write %+v: want match %s with score %s", w, ItemID(w.Near, w.Seq%3), TrafficScore(w.Seq))
		}
		if w.Sent.IsZero() || w.Done.Before(w.Sent) {
			t.Errorf("write %+v: times out of order", w)
		}
		switch {
		case w.Acked() && w.Region != w.Near && w.Near != "us-east-1":
			t.Errorf("write %+v acknowledged by %s, want %s", w, w.Region, w.Near)
		case w.Acked() && w.Region == "":
			t.Errorf("write %+v acknowledged without the answering region", w)
		case strings.Contains(w.Err, context.Canceled.Error()):
			// Cut short by Stop, and kept: it may have been made.
		case !w.Acked():
			failed[w.Near]++
		}
	}
	for _, r := range regionsOf(near) {
		if next[r] < 3 {
			t.Errorf("the writer near %s made %d writes, want several", r, next[r])
		}
	}
	if failed["us-east-1"] == 0 || failed["eu-west-1"] != 0 {
		t.Errorf("failed writes by region %v, want some near us-east-1 (its gateway stopped) and none near eu-west-1", failed)
	}
	readFailed := map[string]int{}
	for _, r := range reads {
		if !r.OK() {
			readFailed[r.Near]++
			if r.Err == "" && r.Status == http.StatusOK {
				t.Errorf("read %+v counted failed", r)
			}
		}
	}
	if len(reads) == 0 || readFailed["us-east-1"] == 0 || readFailed["eu-central-1"] != 0 {
		t.Errorf("%d reads, failed by region %v; want some near us-east-1 only", len(reads), readFailed)
	}
}

func regionsOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
