package apitour

import (
	"context"
	"net/http"
	"testing"

	"github.com/hush-scores/hush/api"
)

// TestRunVisitsEveryRoute checks that the tour covers every route of the
// API, so a new route cannot call AWS in a way the grant tests never see.
func TestRunVisitsEveryRoute(t *testing.T) {
	seen := map[string]bool{}
	handlers := map[api.Function]http.Handler{}
	for _, fn := range api.Functions() {
		handlers[fn.Name] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, rt := range api.Routes() {
				req := r.Clone(r.Context())
				mux := http.NewServeMux()
				mux.HandleFunc(rt.Method+" "+rt.Path, func(http.ResponseWriter, *http.Request) { seen[rt.Method+" "+rt.Path] = true })
				if _, pattern := mux.Handler(req); pattern != "" {
					mux.ServeHTTP(w, req)
				}
			}
		})
	}
	Run(context.Background(), handlers, "t1")
	for _, rt := range api.Routes() {
		if !seen[rt.Method+" "+rt.Path] {
			t.Errorf("the tour never visits %s %s (function %s)", rt.Method, rt.Path, rt.Function)
		}
	}
}
