package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestConditionalGets: every public read carries a strong ETag from its
// body and no-cache; If-None-Match with that tag answers 304 without a
// body; a change to the data changes the tag.
func TestConditionalGets(t *testing.T) {
	e := newTestEnv(t)
	e.seed(t, alice, matchJSON("t1", "m1", "Alice", "Bob", "5,4,9"))
	paths := map[string]string{
		"match":          "/v1/tournament/t1/match/m1",
		"results":        "/v1/tournament/t1/results",
		"standings":      "/v1/tournament/t1/standings",
		"player matches": "/v1/player/alice/matches",
	}
	tags := map[string]string{}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			rec := e.do(t, "GET", path, "", nil)
			tag := rec.Header().Get("ETag")
			if rec.Code != 200 || !strings.HasPrefix(tag, `"`) || strings.HasPrefix(tag, "W/") {
				t.Fatalf("GET %s: status %d, ETag %q; want 200 with a strong ETag", path, rec.Code, tag)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", got)
			}
			if got := etag(rec.Body.Bytes()); got != tag {
				t.Errorf("ETag %s is not the body's %s", tag, got)
			}
			again := e.do(t, "GET", path, "", nil)
			if again.Header().Get("ETag") != tag {
				t.Errorf("the same data gave ETag %s, then %s", tag, again.Header().Get("ETag"))
			}
			for _, inm := range []string{tag, `"other", ` + tag, "W/" + tag, "*"} {
				nm := conditional(t, e, path, inm)
				if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 || nm.Header().Get("ETag") != tag ||
					nm.Header().Get("Cache-Control") != "no-cache" || nm.Header().Get("Content-Type") != "" {
					t.Errorf("If-None-Match %s: status %d, body %q, headers %v; want 304, no body, the ETag and no-cache", inm, nm.Code, nm.Body, nm.Header())
				}
			}
			if other := conditional(t, e, path, `"stale"`); other.Code != 200 || other.Body.Len() == 0 {
				t.Errorf("If-None-Match with another tag: status %d, want 200 with the body", other.Code)
			}
			tags[name] = tag
		})
	}
	e.do(t, "PUT", "/v1/tournament/match", matchJSON("t1", "m1", "Alice", "Bob", "-5,-4,-9"), alice)
	for name, path := range paths {
		if rec := conditional(t, e, path, tags[name]); rec.Code != 200 || rec.Header().Get("ETag") == tags[name] {
			t.Errorf("%s after a replace: status %d, ETag %s; want 200 with a new ETag", name, rec.Code, rec.Header().Get("ETag"))
		}
	}
}

// TestNothingElseIsCacheable: writes, protected routes, health, hello and
// every error say no-store and carry no ETag, even when asked conditionally.
func TestNothingElseIsCacheable(t *testing.T) {
	e := newTestEnv(t)
	e.seed(t, alice, matchJSON("t1", "m1", "Alice", "Bob", "5,4,9"))
	tests := []struct {
		name, method, path, body string
		caller                   bool
	}{
		{"hello", "GET", "/v1/hello", "", false},
		{"hello authenticated", "GET", "/v1/helloauthenticated", "", true},
		{"health", "GET", "/v1/health", "", false},
		{"create", "POST", "/v1/tournament/match", matchJSON("t1", "m2", "Alice", "Bob", "5,4,9"), true},
		{"replace", "PUT", "/v1/tournament/match", matchJSON("t1", "m2", "Alice", "Bob", "5,5"), true},
		{"delete", "DELETE", "/v1/tournament/t1/match/m2", "", true},
		{"missing match", "GET", "/v1/tournament/t1/match/nope", "", false},
		{"no standings", "GET", "/v1/tournament/none/standings", "", false},
		{"bad limit", "GET", "/v1/tournament/t1/results?limit=0", "", false},
		{"unauthenticated write", "POST", "/v1/tournament/match", "{}", false},
		{"unknown route", "GET", "/v1/nothing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller := alice
			if !tt.caller {
				caller = nil
			}
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("If-None-Match", "*")
			if caller != nil {
				req = req.WithContext(WithCaller(req.Context(), *caller))
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code == http.StatusNotModified {
				t.Fatalf("%s %s answered 304", tt.method, tt.path)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" || rec.Header().Get("ETag") != "" {
				t.Errorf("%s %s (%d): Cache-Control %q, ETag %q; want no-store and no ETag", tt.method, tt.path, rec.Code, got, rec.Header().Get("ETag"))
			}
		})
	}
}

func conditional(t *testing.T, e *testEnv, path, ifNoneMatch string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("If-None-Match", ifNoneMatch)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}
