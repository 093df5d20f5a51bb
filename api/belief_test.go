package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hush-scores/hush/writeregion"
)

// beliefOf is a BeliefSource answering b, or err.
type beliefOf struct {
	b   writeregion.Belief
	err error
}

func (s *beliefOf) Belief(context.Context) (writeregion.Belief, error) { return s.b, s.err }

// TestHealthFollowsTheBelief checks that health reports the belief its
// source holds and probes the replica of the region it names, so a move
// made at run time changes what health probes without a redeploy.
func TestHealthFollowsTheBelief(t *testing.T) {
	central, east := &probe{}, &probe{err: errTable}
	probes := map[string]Pinger{"eu-central-1": central, "us-east-1": east}
	tests := []struct {
		name   string
		belief *beliefOf
		want   HealthBody
		probed *probe // the probe that must have been called; nil: none
	}{
		{"seeded", &beliefOf{b: writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open}},
			HealthBody{Status: "ok", Region: "eu-west-1", WriteRegion: "eu-central-1", Epoch: 1, WriteState: "open", WritePath: "ok"}, central},
		{"moved to a region that does not answer", &beliefOf{b: writeregion.Belief{WriteRegion: "us-east-1", Epoch: 2, State: writeregion.Open}},
			HealthBody{Status: "ok", Region: "eu-west-1", WriteRegion: "us-east-1", Epoch: 2, WriteState: "open", WritePath: "unavailable"}, east},
		{"moved here and paused", &beliefOf{b: writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 3, State: writeregion.Paused}},
			HealthBody{Status: "ok", Region: "eu-west-1", WriteRegion: "eu-west-1", Epoch: 3, WriteState: "paused", WritePath: "ok"}, nil},
		{"no belief", &beliefOf{err: writeregion.ErrNoView},
			HealthBody{Status: "ok", Region: "eu-west-1", WritePath: "unavailable"}, nil},
		{"a region without a probe", &beliefOf{b: writeregion.Belief{WriteRegion: "ap-south-1", Epoch: 4, State: writeregion.Open}},
			HealthBody{Status: "ok", Region: "eu-west-1", WriteRegion: "ap-south-1", Epoch: 4, WriteState: "open", WritePath: "unavailable"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			central.calls, east.calls = 0, 0
			var logs bytes.Buffer
			h := NewHandler(FunctionRead, Deps{
				Store: newMemStore(), Region: "eu-west-1", Belief: tt.belief, WriteProbes: probes,
				Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/health", nil))
			var got HealthBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if rec.Code != http.StatusOK || got != tt.want {
				t.Errorf("health = %d %+v, want 200 %+v", rec.Code, got, tt.want)
			}
			for _, p := range []*probe{central, east} {
				want := 0
				if p == tt.probed {
					want = 1
				}
				if p.calls != want {
					t.Errorf("a probe was called %d times, want %d", p.calls, want)
				}
			}
			if tt.belief.err != nil && !strings.Contains(logs.String(), "no belief") {
				t.Errorf("a belief that could not be read was not logged: %s", logs.String())
			}
			if errors.Is(tt.belief.err, writeregion.ErrNoView) && strings.Contains(rec.Body.String(), "writeregion") {
				t.Errorf("health echoes the internal error: %s", rec.Body)
			}
		})
	}
}
