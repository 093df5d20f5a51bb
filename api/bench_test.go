package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The benchmarks measure the handler path (routing, middleware, decoding,
// validation, encoding) over the in-memory store, without DynamoDB, with
// logs discarded as a Lambda's would be written but not counted.

func benchHandler() (http.Handler, *memStore) {
	store := newMemStore()
	return NewHandler("", Deps{
		Store:  store,
		Region: "eu-central-1",
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return t0 },
	}), store
}

func BenchmarkCreateMatch(b *testing.B) {
	h, _ := benchHandler()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := matchJSON("ttt2024", fmt.Sprintf("m%d", i), "Alice", "Bob", "6,-4,7,10")
		req := httptest.NewRequest(http.MethodPost, "/v1/tournament/match", strings.NewReader(body))
		req = req.WithContext(WithCaller(req.Context(), *alice))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkGetResults(b *testing.B) {
	h, _ := benchHandler()
	for i := range 20 {
		req := httptest.NewRequest(http.MethodPost, "/v1/tournament/match", strings.NewReader(matchJSON("ttt2024", fmt.Sprintf("m%02d", i), "Alice", "Bob", "5,4,9")))
		req = req.WithContext(WithCaller(req.Context(), *alice))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/v1/tournament/ttt2024/results?limit=20", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
