package scores

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// PlayerKey returns the form of a player name that comparisons use: trimmed,
// Unicode case-folded and NFC-normalised, so "Alice", " alice" and "ALICE"
// are one player, and so are "Zoë" typed with a precomposed or a combining
// diaeresis. It follows Unicode's canonical caseless matching (fold the NFD
// form), then composes the result so keys stay short.
//
// It drops the invisible characters that NewMatch refuses (default-ignorable
// code points, fillers, variation selectors, U+2800), so a name stored
// before they were refused is the player it looks like: "Alice" followed by
// U+034F is "alice". No valid name holds one, so the keys of valid names are
// the same as before they were refused (2026-12-04); hush-repair rewrites
// the standing lines and player links of stored names whose key changed.
func PlayerKey(name string) string {
	name = strings.TrimSpace(name)
	if isASCII(name) {
		// For ASCII, folding is lowering and normalising changes nothing.
		return strings.ToLower(name)
	}
	if !utf8.ValidString(name) {
		// Invalid bytes would be replaced by the transformers, merging
		// different names; NewMatch refuses them anyway.
		name = strings.ToValidUTF8(name, "\uFFFD")
	}
	if strings.IndexFunc(name, invisible) >= 0 {
		name = strings.Map(func(r rune) rune {
			if invisible(r) {
				return -1
			}
			return r
		}, name)
		name = strings.TrimSpace(name)
	}
	// A Caser keeps state, so each call takes its own.
	return norm.NFC.String(cases.Fold().String(norm.NFD.String(name)))
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
