package scores

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseScore checks that ParseScore never panics, refuses with a short
// *Error naming one field, and that every score it accepts obeys the rules of
// a match and has a canonical form that parses back to the same Score.
func FuzzParseScore(f *testing.F) {
	for _, seed := range []struct {
		s      string
		bestOf int
	}{
		{"5,4,9", 0}, {"6,-4,7,10", 0}, {"6,-4,7,10", 5}, {"5,4", 3}, {"-0,-0", 0}, {"0,-0,0", 0},
		{"10,-12,15", 0}, {"1,2,3,-4,-5,-6,7", 7}, {" 6 , -4,7 ,10 ", 0}, {"\t5,\t4\t", 0}, {"99,-99,0", 0},
		{"", 0}, {"5", 0}, {"5,,4", 0}, {"5,4,", 0}, {"1 0,4", 0}, {"+5", 0}, {"--5", 0}, {"05,4", 0},
		{"100,4", 0}, {"5,5,5,5,5,5,5,5", 0}, {"5,4", 5}, {"5,4,9", 3}, {"5,4", 4}, {"5,4", -1},
		{"11-6,11-4", 0}, {"\uff15,4", 0}, {"5,\xff", 0}, {"-", 0}, {",", 0},
	} {
		f.Add(seed.s, seed.bestOf)
	}
	f.Fuzz(func(t *testing.T, s string, bestOf int) {
		sc, err := ParseScore(s, bestOf)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalid {
				t.Fatalf("ParseScore(%q, %d) error %#v, want an *Error with CodeInvalid", s, bestOf, err)
			}
			if len(e.Fields) != 1 || (e.Fields["score"] == "" && e.Fields["best_of"] == "") {
				t.Fatalf("ParseScore(%q, %d) Fields = %v, want one reason for score or best_of", s, bestOf, e.Fields)
			}
			if len(e.Message) > 200 {
				t.Fatalf("ParseScore(%q, %d) message is %d bytes, want at most 200", s, bestOf, len(e.Message))
			}
			return
		}
		if bestOf != 0 && sc.BestOf != bestOf {
			t.Fatalf("ParseScore(%q, %d).BestOf = %d, want the stated %d", s, bestOf, sc.BestOf, bestOf)
		}
		need := GamesNeeded(sc.BestOf)
		if need == 0 {
			t.Fatalf("ParseScore(%q, %d).BestOf = %d, want 3, 5 or 7", s, bestOf, sc.BestOf)
		}
		var won [3]int
		for i, g := range sc.Games {
			w := gameWinner(g)
			won[w]++
			if err := ValidGame(max(g.Player1, g.Player2), min(g.Player1, g.Player2)); err != nil {
				t.Fatalf("ParseScore(%q, %d) game %d is %d-%d: %v", s, bestOf, i+1, g.Player1, g.Player2, err)
			}
			if won[w] == need && i != len(sc.Games)-1 {
				t.Fatalf("ParseScore(%q, %d): player%d won the match at game %d of %d", s, bestOf, w, i+1, len(sc.Games))
			}
		}
		if sc.Winner != 1 && sc.Winner != 2 {
			t.Fatalf("ParseScore(%q, %d).Winner = %d, want 1 or 2", s, bestOf, sc.Winner)
		}
		if won[sc.Winner] != need || won[3-sc.Winner] >= need {
			t.Fatalf("ParseScore(%q, %d): games %d-%d with winner %d, want the winner to have exactly %d", s, bestOf, won[1], won[2], sc.Winner, need)
		}
		if sc.GamesWon != (GameCount{won[1], won[2]}) {
			t.Fatalf("ParseScore(%q, %d).GamesWon = %+v, want %d-%d", s, bestOf, sc.GamesWon, won[1], won[2])
		}
		canon := sc.String()
		if stripped := strings.NewReplacer(" ", "", "\t", "").Replace(s); canon != stripped {
			t.Fatalf("ParseScore(%q, %d).String() = %q, want the input without spaces %q", s, bestOf, canon, stripped)
		}
		for _, b := range []int{0, sc.BestOf} {
			again, err := ParseScore(canon, b)
			if err != nil {
				t.Fatalf("ParseScore(%q, %d) of the canonical form: %v", canon, b, err)
			}
			if !reflect.DeepEqual(again, sc) {
				t.Fatalf("ParseScore(%q, %d) = %+v, want %+v as from %q", canon, b, again, sc, s)
			}
		}
	})
}
