package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/hush-scores/hush/scores"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[scores.Code]int{
	scores.CodeInvalid:      http.StatusBadRequest,
	scores.CodeNotFound:     http.StatusNotFound,
	scores.CodeConflict:     http.StatusConflict,
	scores.CodeForbidden:    http.StatusForbidden,
	scores.CodeUnauthorized: http.StatusUnauthorized,
	scores.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	// A write that lost to other writes of the same items until its
	// deadline: the client's request was fine and trying again works, so a
	// client error that says so, never a 5xx (409 already means "exists").
	scores.CodeBusy:        http.StatusTooManyRequests,
	scores.CodeUnavailable: http.StatusServiceUnavailable,
	scores.CodeInternal:    http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for an error code; unknown codes are
// internal errors.
func StatusOf(code scores.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// RetryAfterSeconds is the Retry-After of a write refused for contention
// (429): the writes it lost to commit in tens of milliseconds, so a second
// is ample, and short enough not to lose the user's patience.
const RetryAfterSeconds = 1

// ErrorBody is the JSON body of every error a handler answers.
type ErrorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a bug can get here: every body is a plain struct.
		loggerFrom(r.Context()).Error("encode response", "error", err)
		status = http.StatusInternalServerError
		body = []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers err as JSON. The message comes from the domain error and
// is safe for clients; causes are logged, never shown. Internal errors get a
// generic message whatever they carry.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := scores.ErrorCode(err)
	status := StatusOf(code)
	body := ErrorBody{Error: scores.ErrorMessage(err)}
	var de *scores.Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		body.Fields = de.Fields
	}
	log := loggerFrom(r.Context())
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	switch {
	case status >= 500:
		log.Error("request failed", "code", string(code), "error", err)
		if code == scores.CodeInternal || !errors.As(err, &de) {
			body = ErrorBody{Error: "internal error"}
		}
	default:
		log.Info("request refused", "code", string(code), "reason", body.Error)
	}
	writeJSON(w, r, status, body)
}

// loggerKey carries the request's logger in its context.
type loggerKey struct{}

// loggerFrom returns the request's logger, or one that drops everything
// when none was set (only in code paths tests call directly).
func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
