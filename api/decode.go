package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/hush-scores/hush/scores"
)

// MaxBodyBytes is the largest request body a handler reads. A match is well
// under 1 KiB (every field is capped at 64 characters and a score at 7
// games), so 64 KiB leaves room for pretty-printed JSON while bounding the
// memory and CPU one request can take, far below Lambda's 6 MB payload limit.
const MaxBodyBytes = 64 << 10

// decodeMatchInput reads one JSON object from r's body into a MatchInput.
// Unknown fields are rejected: a misspelt optional field such as "bestof"
// would otherwise be silently ignored. Every failure is a *scores.Error a
// client can act on; none is internal.
func decodeMatchInput(w http.ResponseWriter, r *http.Request) (scores.MatchInput, error) {
	var in scores.MatchInput
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return in, scores.Errorf(scores.CodeTooLarge, "request body is larger than %d bytes", MaxBodyBytes)
		}
		return in, scores.Errorf(scores.CodeInvalid, "request body could not be read")
	}
	return in, decodeMatchJSON(body, &in)
}

// decodeMatchJSON decodes body into in, strictly.
func decodeMatchJSON(body []byte, in *scores.MatchInput) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return scores.Errorf(scores.CodeInvalid, "request body is empty: send a JSON object")
	}
	// JSON text is UTF-8 (RFC 8259). encoding/json would silently turn
	// invalid bytes into U+FFFD and store a name the client never sent.
	if !utf8.Valid(body) {
		return scores.Errorf(scores.CodeInvalid, "request body is not valid UTF-8")
	}
	if err := checkKeys(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return jsonError(err)
	}
	// Exactly one object: anything after it is a client bug, not noise to skip.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return scores.Errorf(scores.CodeInvalid, "malformed JSON: data after the object at byte %d", dec.InputOffset())
	}
	return replacedText(in)
}

// matchFields are the JSON names of MatchInput's fields, read from its tags.
var matchFields = func() map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeFor[scores.MatchInput]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names[name] = true
	}
	return names
}()

// checkKeys refuses a top-level key that appears twice, or that differs
// from a field's name only in case. encoding/json would accept both: the
// last duplicate wins, and a key matches a field case-insensitively (with
// Unicode folding, so "ſcore" fills score), which stores what the client
// may not have meant. It reads the body as tokens and skips every value
// whole, so it costs one pass; a body it cannot read is left to the
// decoder, whose error says where it is malformed.
func checkKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil
		}
		switch {
		case seen[key]:
			return &scores.Error{
				Code: scores.CodeInvalid, Message: "duplicate key",
				Fields: map[string]string{truncate(key, 64): "appears more than once; send each field once"},
			}
		case !matchFields[key]:
			for field := range matchFields {
				if strings.EqualFold(key, field) {
					return &scores.Error{
						Code: scores.CodeInvalid, Message: "field names are case-sensitive",
						Fields: map[string]string{truncate(key, 64): "is not a field of a match; did you mean " + field + "?"},
					}
				}
			}
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// replacedText refuses a field holding U+FFFD. encoding/json decodes an
// escaped lone surrogate ("\ud800") to it, so the text the client meant is
// lost; no ID, name, score or time legitimately carries it.
func replacedText(in *scores.MatchInput) error {
	fields := map[string]string{}
	for name, v := range map[string]string{
		"tournament_id": in.TournamentID, "match_id": in.MatchID, "player1": in.Player1,
		"player2": in.Player2, "score": in.Score, "played_at": in.PlayedAt,
	} {
		if strings.ContainsRune(v, utf8.RuneError) {
			fields[name] = "must be valid Unicode text (no lone surrogate escapes or U+FFFD)"
		}
	}
	if len(fields) > 0 {
		return &scores.Error{Code: scores.CodeInvalid, Message: "invalid text", Fields: fields}
	}
	return nil
}

// jsonError turns a decoding error into a client error with the position or
// the field at fault.
func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return scores.Errorf(scores.CodeInvalid, "malformed JSON at byte %d", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return scores.Errorf(scores.CodeInvalid, "malformed JSON: unexpected end of input")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return scores.Errorf(scores.CodeInvalid, "request body must be a JSON object")
		}
		return &scores.Error{
			Code:    scores.CodeInvalid,
			Message: "invalid field types",
			Fields:  map[string]string{typ.Field: "must be " + jsonKind(typ.Type.Kind().String(), typ.Value)},
		}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no type for this error; its text is stable since Go 1.10.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &scores.Error{
			Code:    scores.CodeInvalid,
			Message: "unknown field",
			Fields:  map[string]string{truncate(name, 64): "is not a field of a match"},
		}
	default:
		return scores.Errorf(scores.CodeInvalid, "malformed JSON")
	}
}

// jsonKind names the JSON type a Go kind expects, and what came instead.
func jsonKind(goKind, got string) string {
	want := "a string"
	switch goKind {
	case "int", "int64", "int32":
		want = "an integer"
	}
	return fmt.Sprintf("%s, not %s", want, truncate(got, 32))
}

// truncate cuts s to at most n bytes so a hostile input cannot make an
// error body large.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
