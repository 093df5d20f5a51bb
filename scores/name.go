package scores

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// One player per name: two names that look the same must either be one
// player (PlayerKey) or one of them must be refused (NameProblem). The
// rules, and why each is needed:
//
//   - PRECIS FreeformClass (RFC 8264, via x/text) refuses what no name
//     needs and what draws nothing: default-ignorable code points such as
//     U+034F COMBINING GRAPHEME JOINER and U+17B4, variation selectors
//     (U+FE00-FE0F, U+E0100-E01EF), the Hangul fillers (U+115F, U+1160,
//     U+3164, U+FFA0), old Hangul jamo, controls and unassigned code
//     points. Its enforcement also normalises to NFC, so a Kelvin sign
//     (U+212A) is stored, and shown, as the letter K it is canonically
//     equal to.
//   - PRECIS still accepts U+2800 BRAILLE PATTERN BLANK, a symbol that
//     draws as a space; it is refused by name.
//   - PRECIS accepts "Аlice" with a Cyrillic А. Unicode's confusables
//     table would map it to "Alice", but x/text has none, and its
//     skeletons change between Unicode versions, so they make poor stored
//     keys. A name must instead keep to one script (Common and Inherited
//     characters such as digits, punctuation and combining accents go with
//     any), or to a mix that Unicode's "moderately restrictive" level
//     (UTS #39) allows: Chinese, Japanese or Korean with Latin letters, or
//     Latin with one other script, except the scripts whose letters are
//     made to look like Latin ones (Cyrillic, Greek, Armenian, Cherokee,
//     Coptic), which is where "Аlice" comes from. "علي Smith" is a name;
//     "Аlice" is not.
//
// Names that were valid before these rules and stay valid keep their
// PlayerKey: the key only drops characters that are now refused.

// freeform is the PRECIS FreeformClass profile with its default NFC
// normalisation; it is safe for concurrent use.
var freeform = precis.NewFreeform()

// invisibleBlank lists the characters that draw as a blank and that PRECIS
// accepts; NewMatch refuses them and PlayerKey drops them.
var invisibleBlank = []rune{'\u2800'}

// scriptCombos are the sets of scripts that one name may mix besides
// Latin with one other script: UTS #39's highly restrictive level.
var scriptCombos = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// scriptNames lists unicode.Scripts' names in a fixed order, so scriptOf
// looks them up the same way every time.
var scriptNames = func() []string {
	names := make([]string, 0, len(unicode.Scripts))
	for n := range unicode.Scripts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

// NormalizeName returns the form in which a valid player name is stored and
// shown: trimmed and in NFC, so a Kelvin sign becomes a K. It returns name
// trimmed when name is not valid (see NewMatch).
func NormalizeName(name string) string {
	name = strings.TrimSpace(name)
	if isASCII(name) {
		return name
	}
	if s, err := freeform.String(name); err == nil {
		return s
	}
	return name
}

// NameProblem returns why name is not a valid player name, or "". A name is
// 1-64 printable characters after trimming; spaces other than U+0020,
// control and format characters and invalid UTF-8 are refused because they
// make names that look alike but compare differently, and so are invisible
// characters and mixed scripts (see the rules above).
func NameProblem(name string) string {
	if !utf8.ValidString(name) {
		return "must be valid UTF-8"
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "required"
	}
	if utf8.RuneCountInString(name) > MaxNameLength {
		return "must be at most 64 characters"
	}
	if isASCII(name) {
		for i := 0; i < len(name); i++ {
			if c := name[i]; c < ' ' || c == 0x7f {
				return "must contain only printable characters (no control characters, tabs or unusual spaces)"
			}
		}
		return ""
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "must contain only printable characters (no control characters, tabs or unusual spaces)"
		}
		if invisible(r) {
			return fmt.Sprintf("must not contain invisible characters such as U+%04X: they make names that look alike but are different players", r)
		}
	}
	if _, err := freeform.String(name); err != nil {
		return "must contain only letters, marks, digits, punctuation, symbols and spaces in use (no unassigned or invisible characters)"
	}
	if scripts := nameScripts(name); !oneScript(scripts) {
		return fmt.Sprintf("must be written in one script, but mixes %s: names that look alike must be one player", strings.Join(scripts, " and "))
	}
	return ""
}

// invisible reports whether r draws nothing or a blank yet is not a space:
// a default-ignorable code point (the Hangul fillers are), a variation
// selector, a format character or U+2800. PlayerKey drops these.
func invisible(r rune) bool {
	if r < utf8.RuneSelf {
		return false
	}
	for _, b := range invisibleBlank {
		if r == b {
			return true
		}
	}
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector, unicode.Cf)
}

// nameScripts returns the scripts of name's characters, sorted, leaving out
// Common and Inherited, which go with any script.
func nameScripts(name string) []string {
	seen := map[string]bool{}
	var last string
	for _, r := range name {
		if r < utf8.RuneSelf {
			if unicode.IsLetter(r) {
				seen["Latin"] = true
			}
			continue
		}
		if last != "" && unicode.Is(unicode.Scripts[last], r) {
			continue
		}
		last = scriptOf(r)
		if last != "" && last != "Common" && last != "Inherited" {
			seen[last] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// scriptOf returns the name of r's script, or "" when it has none.
func scriptOf(r rune) string {
	for _, n := range scriptNames {
		if unicode.Is(unicode.Scripts[n], r) {
			return n
		}
	}
	return ""
}

// latinLookAlikes are the scripts that may not join Latin in a name: their
// letters include copies of Latin ones (А, Ο, օ, Ꭺ, ⲟ).
var latinLookAlikes = []string{"Armenian", "Cherokee", "Coptic", "Cyrillic", "Greek"}

// oneScript reports whether scripts (from nameScripts) may make one name.
func oneScript(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	if len(scripts) == 2 && slices.Contains(scripts, "Latin") {
		other := scripts[0]
		if other == "Latin" {
			other = scripts[1]
		}
		if !slices.Contains(latinLookAlikes, other) {
			return true
		}
	}
	for _, combo := range scriptCombos {
		all := true
		for _, s := range scripts {
			if !slices.Contains(combo, s) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
