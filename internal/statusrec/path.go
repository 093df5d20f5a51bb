package statusrec

import "unicode/utf8"

// MaxPathBytes is the most of a request path a record keeps: a request list
// fetched every second must not grow with what a client chooses to send
// (three 900 KB paths made the status page 2.7 MB).
const MaxPathBytes = 256

// cutMark ends a path that was cut.
const cutMark = "…"

// Path returns p whole when it has at most MaxPathBytes bytes, and otherwise
// its start, cut at a character boundary, followed by "…", in at most
// MaxPathBytes bytes.
func Path(p string) string {
	if len(p) <= MaxPathBytes {
		return p
	}
	n := MaxPathBytes - len(cutMark)
	for n > 0 && !utf8.RuneStart(p[n]) {
		n--
	}
	return p[:n] + cutMark
}
