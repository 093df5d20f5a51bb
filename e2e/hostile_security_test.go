package e2e

import "strings"

// securityCases are issue 23's additions to the hostile catalog: names that
// look like another player's. Each must get a 400 naming its field, or,
// where the name is one player with the one it looks like, be stored in the
// form that player is shown by.
func (fx *hostileFixture) securityCases() []hostileCase {
	tag := "-" + runID
	base := "lookalike" + tag
	refused := []struct{ name, value string }{
		{"combining grapheme joiner U+034F", base + "\u034f"},
		{"variation selector U+FE0F", base + "\ufe0f"},
		{"Hangul filler U+3164", base + "\u3164"},
		{"Hangul choseong filler U+115F", base + "\u115f"},
		{"halfwidth Hangul filler U+FFA0", base + "\uffa0"},
		{"Khmer vowel inherent U+17B4", base + "\u17b4"},
		{"braille blank U+2800", base + "\u2800"},
		{"Cyrillic A", "\u0410" + base[1:]},
		{"Greek omicron", "l\u03bfokalike" + tag},
	}
	var cases []hostileCase
	for _, slot := range []string{"player1", "player2"} {
		for _, n := range refused {
			body, _ := fx.validBody()
			body[slot] = n.value
			c := fx.write("lookalike-name", slot+" "+n.name, mustJSON(body))
			c.field = slot
			fx.hostileNames = append(fx.hostileNames, n.value)
			cases = append(cases, c)
		}
		// A Kelvin sign is the letter K (canonically equal): accepted, and
		// stored and shown as K.
		body, id := fx.validBody()
		body[slot] = "\u212aim" + tag
		c := fx.write("lookalike-name", slot+" Kelvin sign in Kim", mustJSON(body)).accepts(fx.writes, id)
		fx.acceptedPlayers = append(fx.acceptedPlayers, strings.ToLower("Kim"+tag))
		cases = append(cases, c)
	}
	return cases
}
