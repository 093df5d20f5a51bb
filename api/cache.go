package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// Caching of answers. Public reads (a match, a results page, standings, a
// player's matches) carry a strong ETag computed from the body alone, so
// every region answers the same tag for the same data and a client that
// moves between regions keeps its validators. They say Cache-Control:
// no-cache: a client or shared cache may keep the body but must revalidate
// every time, so a scorer who just wrote sees the new page at once; a
// max-age would serve the old one for that long, breaking read-your-writes.
// A revalidation that matches answers 304 without a body, which saves the
// bytes (and the client's parsing), not the table read: the handler still
// reads to know the current tag. Everything else (writes, protected
// routes, health, hello, and every error) says no-store.
const (
	cacheRevalidate = "no-cache"
	cacheNever      = "no-store"
)

// etag returns a strong entity tag of body: 128 bits of its SHA-256, enough
// that two different bodies never share one in practice.
func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// writeCacheable answers v as JSON with 200, an ETag and no-cache; or 304
// without a body when the request's If-None-Match names that ETag.
func writeCacheable(w http.ResponseWriter, r *http.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeJSON(w, r, http.StatusOK, v) // answers the encoding failure
		return
	}
	tag := etag(body)
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", cacheRevalidate)
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// noneMatch reports whether an If-None-Match header names tag, comparing
// weakly as RFC 9110 section 13.1.2 asks for this header: a W/ prefix a
// proxy added still matches. "*" matches any current representation.
func noneMatch(header, tag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}
