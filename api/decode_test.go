package api

import (
	"net/http"
	"strings"
	"testing"
)

// TestDecodeRefusesAmbiguousKeys covers the keys encoding/json would accept
// although docs/api.md promises strict JSON: a duplicate (the last one would
// win) and a key that differs from a field only in case (it would fill the
// field). Each is a 400 that names the key.
func TestDecodeRefusesAmbiguousKeys(t *testing.T) {
	valid := matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9")
	inner := strings.TrimSuffix(strings.TrimPrefix(valid, "{"), "}")
	tests := []struct {
		name, body, key string
	}{
		{"duplicate, same value", "{" + inner + `,"score":"5,4,9"}`, "score"},
		{"duplicate, valid last", `{"match_id":"TOURNAMENT#x",` + inner + "}", "match_id"},
		{"duplicate written with an escape", "{" + inner + `,"pl\u0061yer1":"Eve"}`, "player1"},
		{"upper case", strings.Replace(valid, `"player1"`, `"PLAYER1"`, 1), "PLAYER1"},
		{"capitalised", strings.Replace(valid, `"score"`, `"Score"`, 1), "Score"},
		{"both cases", "{" + inner + `,"Score":"6,-4,7,10"}`, "Score"},
		{"long s folds to s", strings.Replace(valid, `"score"`, `"ſcore"`, 1), "ſcore"},
		{"optional field", "{" + inner + `,"BEST_OF":5}`, "BEST_OF"},
		{"duplicate optional field", "{" + inner + `,"best_of":5,"best_of":3}`, "best_of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			for _, method := range []string{"POST", "PUT"} {
				rec := e.do(t, method, "/v1/tournament/match", tt.body, alice)
				got := wantError(t, rec, http.StatusBadRequest)
				if _, ok := got.Fields[tt.key]; !ok {
					t.Errorf("%s: fields = %v, want them to name %q", method, got.Fields, tt.key)
				}
			}
			if len(e.store.matches) != 0 {
				t.Errorf("the store holds %d matches, want none", len(e.store.matches))
			}
		})
	}
	// Nested objects are not the match's keys: their duplicates are the
	// unknown field's problem, and a valid body with repeated keys inside a
	// string is fine.
	e := newTestEnv(t)
	rec := e.do(t, "POST", "/v1/tournament/match", matchJSON("ttt2024", "m2", `score "score"`, "Bob", "5,4,9"), alice)
	if rec.Code != http.StatusOK {
		t.Errorf("a name holding the word score: got %d %s, want 200", rec.Code, rec.Body)
	}
}
