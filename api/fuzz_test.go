package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeMatchInput sends arbitrary bodies to POST and PUT
// /v1/tournament/match. Whatever the body, the handler must not panic, must
// answer a status below 500, and must answer JSON; an error answer must carry
// "error". Its seed corpus runs with the normal tests.
func FuzzDecodeMatchInput(f *testing.F) {
	seeds := []string{
		matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9"),
		matchJSON("ttt2024", "m2", "Alice", "Bob", "6,-4,7,10"),
		`{"tournament_id":"ttt2024","match_id":"m3","player1":"Alice","player2":"Bob","score":"-0,-0,-0","best_of":5,"played_at":"2026-03-01T18:30:00Z"}`,
		``, ` `, `null`, `[]`, `{}`, `"x"`, `0`, `{"a":1}`, `{"best_of":1e400}`, `{"best_of":-1}`, `{"best_of":"5"}`,
		`{"tournament_id":` + strings.Repeat("[", 100), `{"score":"5,4,9"}{}`, `{"player1":"\u0000"}`,
		`{"tournament_id":"TOURNAMENT#x","match_id":"MATCH#y"}`, `{"played_at":"0000-01-01T00:00:00+01:00"}`,
		`{"Tournament_ID":"t","TOURNAMENT_ID":"u"}`, "{\"player1\":\"\xff\xfe\"}",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	store := newMemStore()
	h := NewHandler(FunctionWrite, Deps{
		Store:  store,
		Region: "eu-central-1",
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return t0 },
	})
	f.Fuzz(func(t *testing.T, body string) {
		for _, method := range []string{"POST", "PUT"} {
			req := httptest.NewRequest(method, "/v1/tournament/match", strings.NewReader(body))
			req = req.WithContext(WithCaller(req.Context(), *alice))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 || rec.Code < 200 {
				t.Fatalf("%s %q: status %d (%s)", method, body, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("%s %q: Content-Type %q", method, body, ct)
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%s %q: answer %q is not JSON: %v", method, body, rec.Body, err)
			}
			if rec.Code != http.StatusOK {
				if msg, _ := got["error"].(string); msg == "" {
					t.Fatalf("%s %q: error answer %s has no error", method, body, rec.Body)
				}
			}
		}
	})
}
