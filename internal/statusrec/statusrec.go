// Package statusrec records the status an http.Handler answered, for
// access logs and request lists.
package statusrec

import "net/http"

// Recorder is an http.ResponseWriter that remembers the first status
// written through it.
type Recorder struct {
	http.ResponseWriter
	status int
}

// New wraps w.
func New(w http.ResponseWriter) *Recorder { return &Recorder{ResponseWriter: w} }

// WriteHeader records code, if no status was written before, and passes it
// on.
func (r *Recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write records 200 if no status was written before, as net/http does, and
// passes b on.
func (r *Recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the wrapped writer (flushes).
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Status returns the status written so far, or 0 when nothing was.
func (r *Recorder) Status() int { return r.status }
