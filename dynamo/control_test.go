package dynamo

import (
	"errors"
	"testing"
	"time"

	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/scores"
	"github.com/hush-scores/hush/writeregion"
)

// newTestControls returns a Control per region, all over one fresh table of
// DynamoDB Local: each writes only its own view, as in the stack, and the
// shared table stands for replication that has caught up.
func newTestControls(t *testing.T, regions ...string) []*Control {
	t.Helper()
	client := dynamotest.Start(t, ConfigureClient, allOps.install)
	table := dynamotest.NewTable(t, client, CreateTable)
	cs := make([]*Control, len(regions))
	for i, r := range regions {
		cs[i] = NewControl(client, table, r)
	}
	return cs
}

var viewTime = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func seedView(t *testing.T, c *Control, b writeregion.Belief) {
	t.Helper()
	if _, err := c.Seed(ctxT(t), writeregion.View{WriteRegion: b.WriteRegion, Epoch: b.Epoch, State: b.State, Changed: viewTime, By: "test"}); err != nil {
		t.Fatalf("seed %s with %+v: %v", c.Region(), b, err)
	}
}

func ownView(t *testing.T, c *Control) writeregion.View {
	t.Helper()
	views, err := c.Views(ctxT(t))
	if err != nil {
		t.Fatalf("views of %s: %v", c.Region(), err)
	}
	for _, v := range views {
		if v.Replica == c.Region() {
			return v
		}
	}
	t.Fatalf("views of %s: none of its own in %+v", c.Region(), views)
	return writeregion.View{}
}

func TestControlSeedNeverOverwrites(t *testing.T) {
	c := newTestControls(t, "eu-west-1")[0]
	first := writeregion.View{Replica: "ignored", WriteRegion: "eu-west-1", Epoch: 1, State: writeregion.Open, Changed: viewTime, By: "seed"}
	got, err := c.Seed(ctxT(t), first)
	if err != nil {
		t.Fatalf("first seed: %v", err)
	}
	want := first
	want.Replica = "eu-west-1"
	if got != want {
		t.Errorf("first seed: got %+v, want %+v", got, want)
	}

	second := writeregion.View{WriteRegion: "us-east-1", Epoch: 7, State: writeregion.Paused, Changed: viewTime.Add(time.Hour), By: "seed again"}
	got, err = c.Seed(ctxT(t), second)
	if !errors.Is(err, writeregion.ErrRefused) {
		t.Fatalf("second seed: got err %v, want ErrRefused", err)
	}
	if got != want {
		t.Errorf("second seed: refusal carries %+v, want the first view %+v", got, want)
	}
	if own := ownView(t, c); own != want {
		t.Errorf("after the second seed the view is %+v, want %+v", own, want)
	}
}

func TestControlViewsReadsEveryReplicasView(t *testing.T) {
	cs := newTestControls(t, "eu-west-1", "us-east-1", "ap-southeast-2")
	if views, err := cs[0].Views(ctxT(t)); err != nil || len(views) != 0 {
		t.Fatalf("views before any seed: got %+v, %v; want none and no error", views, err)
	}
	for _, c := range cs {
		seedView(t, c, writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 1, State: writeregion.Open})
	}
	views, err := cs[1].Views(ctxT(t))
	if err != nil {
		t.Fatalf("views: %v", err)
	}
	got := map[string]writeregion.Belief{}
	for _, v := range views {
		got[v.Replica] = v.Of()
	}
	want := writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 1, State: writeregion.Open}
	for _, c := range cs {
		if got[c.Region()] != want {
			t.Errorf("view of %s: got %+v, want %+v", c.Region(), got[c.Region()], want)
		}
	}
	if len(views) != len(cs) {
		t.Errorf("views: got %d, want %d", len(views), len(cs))
	}
}

func TestControlRenew(t *testing.T) {
	open := func(region string, epoch int64) writeregion.Belief {
		return writeregion.Belief{WriteRegion: region, Epoch: epoch, State: writeregion.Open}
	}
	paused := func(region string, epoch int64) writeregion.Belief {
		return writeregion.Belief{WriteRegion: region, Epoch: epoch, State: writeregion.Paused}
	}
	until := viewTime.Add(5 * time.Second)
	tests := []struct {
		name    string
		view    writeregion.Belief
		ask     writeregion.Belief
		granted bool
		// want is the view's belief after the call, returned either way.
		want writeregion.Belief
	}{
		{"same belief grants", open("eu-west-1", 3), open("eu-west-1", 3), true, open("eu-west-1", 3)},
		{"older epoch adopts", open("eu-west-1", 3), open("us-east-1", 4), true, open("us-east-1", 4)},
		{"older paused epoch adopts", paused("eu-west-1", 3), open("us-east-1", 4), true, open("us-east-1", 4)},
		{"newer epoch refuses", open("us-east-1", 5), open("eu-west-1", 4), false, open("us-east-1", 5)},
		{"paused view refuses", paused("eu-west-1", 3), open("eu-west-1", 3), false, paused("eu-west-1", 3)},
		{"another write region refuses", open("us-east-1", 3), open("eu-west-1", 3), false, open("us-east-1", 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestControls(t, "eu-west-1")[0]
			seedView(t, c, tt.view)
			got, err := c.Renew(ctxT(t), tt.ask, until, "write@eu-west-1")
			switch {
			case tt.granted && err != nil:
				t.Fatalf("renew %+v on %+v: %v, want a grant", tt.ask, tt.view, err)
			case !tt.granted && !errors.Is(err, writeregion.ErrRefused):
				t.Fatalf("renew %+v on %+v: got err %v, want ErrRefused", tt.ask, tt.view, err)
			}
			if got.Of() != tt.want {
				t.Errorf("returned view says %+v, want %+v", got.Of(), tt.want)
			}
			own := ownView(t, c)
			if own.Of() != tt.want {
				t.Errorf("stored view says %+v, want %+v", own.Of(), tt.want)
			}
			if tt.granted != own.LeaseUntil.Equal(until) {
				t.Errorf("stored lease until %v (granted %v), want %v only when granted", own.LeaseUntil, tt.granted, until)
			}
		})
	}
}

func TestControlRenewWithoutView(t *testing.T) {
	c := newTestControls(t, "eu-west-1")[0]
	_, err := c.Renew(ctxT(t), writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 1, State: writeregion.Open}, viewTime, "t")
	if !errors.Is(err, writeregion.ErrNoView) {
		t.Fatalf("renew without a view: got %v, want ErrNoView", err)
	}
	if _, err := c.Views(ctxT(t)); err != nil {
		t.Fatalf("views: %v", err)
	}
	if views, _ := c.Views(ctxT(t)); len(views) != 0 {
		t.Errorf("renew without a view created %+v", views)
	}
}

func TestControlSet(t *testing.T) {
	b := func(region string, epoch int64, s writeregion.State) writeregion.Belief {
		return writeregion.Belief{WriteRegion: region, Epoch: epoch, State: s}
	}
	const (
		open   = writeregion.Open
		paused = writeregion.Paused
	)
	tests := []struct {
		name string
		view writeregion.Belief
		set  writeregion.Belief
		ok   bool
	}{
		{"move to a greater epoch", b("eu-west-1", 3, open), b("us-east-1", 4, open), true},
		{"fence at a greater epoch, paused", b("eu-west-1", 3, open), b("us-east-1", 4, paused), true},
		{"pause at the same epoch and region", b("eu-west-1", 3, open), b("eu-west-1", 3, paused), true},
		{"resume at the same epoch and region", b("eu-west-1", 3, paused), b("eu-west-1", 3, open), true},
		{"move at the same epoch", b("eu-west-1", 3, open), b("us-east-1", 3, open), false},
		{"move to an older epoch", b("eu-west-1", 3, open), b("us-east-1", 2, open), false},
		{"pause an older epoch", b("eu-west-1", 3, open), b("eu-west-1", 2, paused), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestControls(t, "eu-west-1")[0]
			seedView(t, c, tt.view)
			lease := viewTime.Add(3 * time.Second)
			if tt.view.State == open {
				if _, err := c.Renew(ctxT(t), tt.view, lease, "write@eu-west-1"); err != nil {
					t.Fatalf("renew: %v", err)
				}
			}
			got, err := c.Set(ctxT(t), tt.set, "hush-ops test")
			want := tt.view
			if tt.ok {
				want = tt.set
				if err != nil {
					t.Fatalf("set %+v on %+v: %v", tt.set, tt.view, err)
				}
				if got.Of() != tt.view {
					t.Errorf("set returned %+v, want the view before, %+v", got.Of(), tt.view)
				}
				if tt.view.State == open && !got.LeaseUntil.Equal(lease) {
					t.Errorf("set returned lease until %v, want the last lease %v", got.LeaseUntil, lease)
				}
			} else {
				if !errors.Is(err, writeregion.ErrRefused) {
					t.Fatalf("set %+v on %+v: got err %v, want ErrRefused", tt.set, tt.view, err)
				}
				if got.Of() != tt.view {
					t.Errorf("refusal carries %+v, want the view %+v", got.Of(), tt.view)
				}
			}
			own := ownView(t, c)
			if own.Of() != want {
				t.Errorf("stored view says %+v, want %+v", own.Of(), want)
			}
			if tt.ok && own.By != "hush-ops test" {
				t.Errorf("stored view by %q, want the setter", own.By)
			}
		})
	}
}

func TestControlMark(t *testing.T) {
	cs := newTestControls(t, "eu-west-1", "us-east-1")
	if err := cs[0].Mark(ctxT(t), "t1"); !errors.Is(err, writeregion.ErrNoView) {
		t.Fatalf("mark without a view: got %v, want ErrNoView", err)
	}
	seedView(t, cs[0], writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 1, State: writeregion.Open})
	seedView(t, cs[1], writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 1, State: writeregion.Open})
	if err := cs[0].Mark(ctxT(t), "t2"); err != nil {
		t.Fatalf("mark: %v", err)
	}
	if got := ownView(t, cs[0]); got.Drain != "t2" || got.Of().Epoch != 1 {
		t.Errorf("marked view: got %+v, want drain t2 and the belief unchanged", got)
	}
	if got := ownView(t, cs[1]); got.Drain != "" {
		t.Errorf("the other view got drain %q, want none: a Control marks its own view only", got.Drain)
	}
}

func TestControlUnreachableIsUnavailable(t *testing.T) {
	client, err := dynamoclient.ForEndpoint("http://127.0.0.1:1", dynamotest.Region, ConfigureClient)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	c := NewControl(client, "hush-test-none", "eu-west-1")
	_, err = c.Views(ctxT(t))
	wantCode(t, "views of a dead replica", err, scores.CodeUnavailable)
	_, err = c.Renew(ctxT(t), writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 1, State: writeregion.Open}, viewTime, "t")
	wantCode(t, "renew on a dead replica", err, scores.CodeUnavailable)
	if errors.Is(err, writeregion.ErrRefused) {
		t.Errorf("renew on a dead replica: %v is a refusal, want no answer", err)
	}
}

func TestControlRefusesBeliefsNoViewMayHold(t *testing.T) {
	c := NewControl(nil, "no-table", "eu-west-1") // never reaches a table
	tests := []struct {
		name string
		call func() error
	}{
		{"seed without a write region", func() error {
			_, err := c.Seed(ctxT(t), writeregion.View{Epoch: 1, State: writeregion.Open})
			return err
		}},
		{"seed with an unknown state", func() error {
			_, err := c.Seed(ctxT(t), writeregion.View{WriteRegion: "eu-west-1", Epoch: 1, State: "half-open"})
			return err
		}},
		{"set without a write region", func() error {
			_, err := c.Set(ctxT(t), writeregion.Belief{Epoch: 2, State: writeregion.Open}, "t")
			return err
		}},
		{"renew a paused belief", func() error {
			_, err := c.Renew(ctxT(t), writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 2, State: writeregion.Paused}, viewTime, "t")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.name, tt.call(), scores.CodeInternal)
		})
	}
}
