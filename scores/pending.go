package scores

import (
	"strings"
	"time"
)

// This file holds the signatures of the domain functions while they are being
// written; the domain helper replaces it.

// Score is a parsed score.
type Score struct {
	Games  []GamePoints
	BestOf int
	// Winner is 1 or 2.
	Winner   int
	GamesWon GameCount
}

// ParseScore parses the score notation. bestOf is 3, 5 or 7, or 0 to infer it.
func ParseScore(s string, bestOf int) (Score, error) {
	return Score{}, Errorf(CodeInternal, "not written yet")
}

// NewMatch validates in and returns the match it describes, recorded by
// recordedBy at now. A validation failure is an *Error with CodeInvalid and
// a message per field in Fields.
func NewMatch(in MatchInput, recordedBy string, now time.Time) (Match, error) {
	return Match{}, Errorf(CodeInternal, "not written yet")
}

// ValidID reports whether s is a valid tournament or match ID: 1-64 letters,
// digits, '.', '_' or '-'.
func ValidID(s string) bool { return false }

// PlayerKey returns the form of a player name that comparisons use: trimmed
// and case-folded, so "Alice" and " alice" are one player.
func PlayerKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Standing is one player's line in a tournament's standings.
type Standing struct {
	Player     string `json:"player"`
	Played     int    `json:"played"`
	Won        int    `json:"won"`
	Lost       int    `json:"lost"`
	GamesWon   int    `json:"games_won"`
	GamesLost  int    `json:"games_lost"`
	PointsWon  int    `json:"points_won"`
	PointsLost int    `json:"points_lost"`
}

// Standings computes the standings of a tournament from its matches, ordered
// by wins, then game difference, then point difference, then name.
func Standings(matches []Match) []Standing { return nil }
