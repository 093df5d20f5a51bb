package scores

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxGames is the most games a match can have: a best of 7 going the distance.
const MaxGames = 7

// MaxLoserPoints caps the points of the player who lost a game. Real deuce
// games end far below it; the cap keeps absurd numbers out of the table and
// out of point sums.
const MaxLoserPoints = 99

// Score is a parsed score.
type Score struct {
	Games  []GamePoints
	BestOf int
	// Winner is 1 or 2.
	Winner   int
	GamesWon GameCount
}

// ValidBestOf reports whether n is a best_of a match can be played over: 3, 5 or 7.
func ValidBestOf(n int) bool { return n == 3 || n == 5 || n == 7 }

// GamesNeeded returns the games a player needs to win a best of bestOf match
// (2, 3 or 4), or 0 when bestOf is not 3, 5 or 7.
func GamesNeeded(bestOf int) int {
	if !ValidBestOf(bestOf) {
		return 0
	}
	return (bestOf + 1) / 2
}

// ValidGame reports whether a game can end winnerPoints to loserPoints. The
// winner of a game has 11 points while the loser has 9 or fewer, and
// loserPoints + 2 once the loser has 10 or more (deuce); so 11-10 is not
// finished, and 13-10 and 12-9 went on past the end of the game. loserPoints
// may be at most MaxLoserPoints.
func ValidGame(winnerPoints, loserPoints int) error {
	if winnerPoints < 0 || loserPoints < 0 {
		return fmt.Errorf("%d-%d: points cannot be negative", winnerPoints, loserPoints)
	}
	if loserPoints > MaxLoserPoints {
		return fmt.Errorf("%d-%d: the loser of a game has at most %d points here", winnerPoints, loserPoints, MaxLoserPoints)
	}
	if winnerPoints <= loserPoints {
		return fmt.Errorf("%d-%d: the winner of a game has more points than the loser", winnerPoints, loserPoints)
	}
	want := winnerPointsFor(loserPoints)
	switch {
	case winnerPoints < want && loserPoints >= 10:
		return fmt.Errorf("%d-%d is not a finished game: from 10-10 the winner needs a 2-point lead (%d-%d)", winnerPoints, loserPoints, want, loserPoints)
	case winnerPoints < want:
		return fmt.Errorf("%d-%d is not a finished game: the winner needs 11 points (%d-%d)", winnerPoints, loserPoints, want, loserPoints)
	case winnerPoints > want:
		return fmt.Errorf("%d-%d is not a possible game: it ends at %d-%d", winnerPoints, loserPoints, want, loserPoints)
	}
	return nil
}

// winnerPointsFor returns the points of a game's winner when the loser has
// loserPoints.
func winnerPointsFor(loserPoints int) int {
	if loserPoints <= 9 {
		return 11
	}
	return loserPoints + 2
}

// ParseScore parses the score notation and checks it against the rules of a
// match. bestOf is 3, 5 or 7, or 0 to infer it from the score.
//
// The notation is one number per game, comma separated, with optional spaces
// or tabs around the commas and at the ends. A number n without a sign means
// player1 won the game and player2 had n points; -n means player2 won and
// player1 had n points, so "-0" is 11-0 to player2. The winner's points follow
// from the loser's (11, or loser + 2 from 10 on), which makes every well-formed
// number a finished game: "10" is 12-10, "-12" is 12-14. Numbers have no
// leading zeros and no plus sign, and the loser has at most MaxLoserPoints, so
// every accepted score has exactly one canonical form, Score.String.
//
// A score is a match when one player reaches the games needed for bestOf
// (2, 3 or 4 for 3, 5 or 7) with the last game. When bestOf is 0 it is
// inferred: the match winner's games equal the games needed, so the only
// best_of the score can finish is 2*wins-1, and the score is accepted when it
// finishes that one (5,4 is a best of 3, 5,4,9 and 6,-4,7,10 best of 5).
//
// A failure is an *Error with CodeInvalid whose Fields names the field at
// fault: "best_of" when bestOf is not 3, 5 or 7 or the score finishes a match
// of another length, "score" otherwise. Messages never quote more than a few
// characters of the input.
func ParseScore(s string, bestOf int) (Score, error) {
	if bestOf != 0 && !ValidBestOf(bestOf) {
		return Score{}, invalidField("best_of", "must be 3, 5 or 7 (or absent to infer it from the score)")
	}
	var buf [MaxGames]GamePoints
	n, reason := parseGames(s, &buf)
	if reason != "" {
		return Score{}, invalidField("score", reason)
	}
	games := buf[:n]
	if bestOf == 0 {
		inferred := 0
		for _, b := range [...]int{3, 5, 7} {
			if decide(games, b).winner != 0 {
				inferred = b
				break
			}
		}
		if inferred == 0 {
			return Score{}, invalidField("score", unfinishedReason(games))
		}
		bestOf = inferred
	}
	o := decide(games, bestOf)
	if o.winner == 0 {
		// A score that finishes a match of another length is a best_of
		// mismatch, which says more than "game 3 follows the end".
		if other, err := ParseScore(s, 0); err == nil {
			return Score{}, invalidField("best_of", fmt.Sprintf("best_of %d does not fit the score: %d-%d finishes a best of %d match",
				bestOf, other.GamesWon.Player1, other.GamesWon.Player2, other.BestOf))
		}
		return Score{}, invalidField("score", o.reason())
	}
	sc := Score{Games: make([]GamePoints, n), BestOf: bestOf, Winner: o.winner, GamesWon: o.won}
	copy(sc.Games, games)
	return sc, nil
}

// String returns the canonical notation of the score: no spaces, no leading
// zeros. ParseScore of it gives the same Score.
func (s Score) String() string {
	b := make([]byte, 0, 4*len(s.Games))
	for i, g := range s.Games {
		if i > 0 {
			b = append(b, ',')
		}
		if g.Player1 > g.Player2 {
			b = strconv.AppendInt(b, int64(g.Player2), 10)
		} else {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(g.Player1), 10)
		}
	}
	return string(b)
}

// invalidField returns the CodeInvalid error for one field.
func invalidField(field, reason string) *Error {
	return &Error{Code: CodeInvalid, Message: field + ": " + reason, Fields: map[string]string{field: reason}}
}

// isBlank reports whether c is a space the notation allows around commas.
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// parseGames reads the games of s into buf and returns how many there are, or
// the reason s is not well-formed. It walks s once without allocating, so a
// huge hostile string costs one pass.
func parseGames(s string, buf *[MaxGames]GamePoints) (int, string) {
	n := 0
	for i := 0; ; {
		end := strings.IndexByte(s[i:], ',')
		last := end < 0
		if last {
			end = len(s)
		} else {
			end += i
		}
		tok := strings.TrimRight(strings.TrimLeft(s[i:end], " \t"), " \t")
		n++
		if tok == "" {
			switch {
			case n == 1 && last:
				return 0, "is empty: write one number per game, such as 6,-4,7,10"
			case last:
				return 0, fmt.Sprintf("trailing comma after game %d", n-1)
			default:
				return 0, fmt.Sprintf("game %d is empty", n)
			}
		}
		if n > MaxGames {
			return 0, fmt.Sprintf("more than %d games: a match is at most best of 7", MaxGames)
		}
		g, reason := parseGame(tok)
		if reason != "" {
			return 0, fmt.Sprintf("game %d: %s", n, reason)
		}
		buf[n-1] = g
		if last {
			return n, ""
		}
		i = end + 1
	}
}

// parseGame reads one game's number, already stripped of surrounding blanks.
func parseGame(tok string) (GamePoints, string) {
	digits, neg := strings.CutPrefix(tok, "-")
	switch {
	case strings.HasPrefix(tok, "+"):
		return GamePoints{}, fmt.Sprintf("%s: write a game player1 won without a plus sign", quote(tok))
	case strings.HasPrefix(digits, "-") || strings.HasPrefix(digits, "+"):
		return GamePoints{}, fmt.Sprintf("%s has more than one sign", quote(tok))
	case digits == "":
		return GamePoints{}, fmt.Sprintf("%s has no digits", quote(tok))
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if isBlank(c) {
			return GamePoints{}, fmt.Sprintf("space inside the number %s", quote(tok))
		}
		if c < '0' || c > '9' {
			return GamePoints{}, fmt.Sprintf("%s is not a number", quote(tok))
		}
	}
	if len(digits) > 1 && digits[0] == '0' {
		return GamePoints{}, fmt.Sprintf("%s has a leading zero", quote(tok))
	}
	if len(digits) > 2 {
		return GamePoints{}, fmt.Sprintf("%s is more than the maximum of %d points for the loser of a game", quote(tok), MaxLoserPoints)
	}
	loser, _ := strconv.Atoi(digits) // at most two ASCII digits: cannot fail
	winner := winnerPointsFor(loser)
	if err := ValidGame(winner, loser); err != nil {
		return GamePoints{}, err.Error() // unreachable today; keeps one rule
	}
	if neg {
		return GamePoints{Player1: loser, Player2: winner}, ""
	}
	return GamePoints{Player1: winner, Player2: loser}, ""
}

// quote returns tok quoted for a message, cut short so that a hostile score
// is not echoed back whole.
func quote(tok string) string {
	const maxQuoted = 12
	if len(tok) > maxQuoted {
		return strconv.Quote(tok[:maxQuoted]) + "..."
	}
	return strconv.Quote(tok)
}

// outcome is what games amount to as a best of some length.
type outcome struct {
	winner  int // 1 or 2 when the games are exactly a finished match
	early   int // the game that decided the match when more games follow it
	won     GameCount
	bestOf  int
	needed  int
	earlyBy int // the player who won at game early
}

// decide returns the outcome of games as a best of bestOf match. It formats
// nothing, so trying each length to infer best_of costs no allocation.
func decide(games []GamePoints, bestOf int) outcome {
	o := outcome{bestOf: bestOf, needed: GamesNeeded(bestOf)}
	var won [3]int
	for i, g := range games {
		w := gameWinner(g)
		won[w]++
		if won[w] == o.needed {
			if i+1 < len(games) {
				o.early, o.earlyBy = i+1, w
			} else {
				o.winner = w
			}
			break
		}
	}
	o.won = GameCount{won[1], won[2]}
	return o
}

// reason explains why o is not a finished match, or returns "" when it is.
func (o outcome) reason() string {
	switch {
	case o.winner != 0:
		return ""
	case o.early != 0:
		return fmt.Sprintf("game %d follows the end of the match: player%d won %d games at game %d, enough for best of %d",
			o.early+1, o.earlyBy, o.needed, o.early, o.bestOf)
	default:
		return fmt.Sprintf("too few games: %d-%d does not finish a best of %d match (%d games needed)",
			o.won.Player1, o.won.Player2, o.bestOf, o.needed)
	}
}

// unfinishedReason explains why games finish no match of any length.
func unfinishedReason(games []GamePoints) string {
	if o := decide(games, 7); o.early != 0 {
		return o.reason()
	}
	c := countGames(games)
	return fmt.Sprintf("%d-%d does not finish a best of 3, 5 or 7 match", c.Player1, c.Player2)
}

// gameWinner returns 1 or 2.
func gameWinner(g GamePoints) int {
	if g.Player1 > g.Player2 {
		return 1
	}
	return 2
}

// countGames returns the games each player won.
func countGames(games []GamePoints) GameCount {
	var c GameCount
	for _, g := range games {
		if gameWinner(g) == 1 {
			c.Player1++
		} else {
			c.Player2++
		}
	}
	return c
}
