package statusrec

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecorder(t *testing.T) {
	tests := []struct {
		name  string
		write func(w http.ResponseWriter)
		want  int
	}{
		{"nothing", func(http.ResponseWriter) {}, 0},
		{"body only", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, http.StatusOK},
		{"status", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) }, http.StatusTeapot},
		{"first status wins", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotModified)
			w.WriteHeader(http.StatusInternalServerError)
		}, http.StatusNotModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			under := httptest.NewRecorder()
			r := New(under)
			tt.write(r)
			if r.Status() != tt.want {
				t.Errorf("Status() = %d, want %d", r.Status(), tt.want)
			}
			if r.Unwrap() != under {
				t.Error("Unwrap does not return the wrapped writer")
			}
		})
	}
}
