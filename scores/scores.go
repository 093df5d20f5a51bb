// Package scores is the domain of Hush: table tennis matches, the score
// notation and its rules, and tournament standings. It imports no AWS
// package; adapters such as the DynamoDB store implement its interfaces.
package scores

import (
	"context"
	"time"
)

// MatchInput is what a client sends to record a match.
type MatchInput struct {
	TournamentID string `json:"tournament_id"`
	MatchID      string `json:"match_id"`
	Player1      string `json:"player1"`
	Player2      string `json:"player2"`
	Score        string `json:"score"`
	// BestOf is 3, 5 or 7; zero means infer it from the score.
	BestOf int `json:"best_of,omitempty"`
	// PlayedAt is an RFC 3339 time; empty means unknown.
	PlayedAt string `json:"played_at,omitempty"`
}

// GamePoints is the points of both players in one game.
type GamePoints struct {
	Player1 int `json:"player1"`
	Player2 int `json:"player2"`
}

// GameCount is the number of games each player won.
type GameCount struct {
	Player1 int `json:"player1"`
	Player2 int `json:"player2"`
}

// Match is a recorded match with what follows from its score.
type Match struct {
	TournamentID string     `json:"tournament_id"`
	MatchID      string     `json:"match_id"`
	Player1      string     `json:"player1"`
	Player2      string     `json:"player2"`
	Score        string     `json:"score"`
	BestOf       int        `json:"best_of"`
	PlayedAt     *time.Time `json:"played_at,omitempty"`
	// Winner is the name of the player who won, as written in Player1 or Player2.
	Winner string       `json:"winner"`
	Games  GameCount    `json:"games"`
	Points []GamePoints `json:"points"`
	// RecordedBy is the username of the user who wrote the match last, as
	// shown to clients. It is a label, not an identity: Cognito may give a
	// deleted user's name to a newcomer.
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
	// Owner is the sub of the user who wrote the match last, the identity
	// that replace and delete compare. Cognito never reassigns a sub. It is
	// not shown to clients.
	Owner string `json:"-"`
}

// Caller is the authenticated user making a request.
type Caller struct {
	// Sub is the user's immutable ID (the token's sub claim): what owns a
	// match. Never trimmed or otherwise altered.
	Sub string
	// Username is the cognito:username claim, shown as recorded_by.
	Username string
	// Groups are the user's groups, read from the verified token's JSON
	// array (see api.callerFromGateway); a name is compared exactly.
	Groups []string
}

// AdminGroup is the Cognito group whose members may replace and delete any match.
const AdminGroup = "admins"

// IsAdmin reports whether the caller is in the admins group: a group whose
// name is exactly AdminGroup, never one that merely contains it.
func (c Caller) IsAdmin() bool {
	for _, g := range c.Groups {
		if g == AdminGroup {
			return true
		}
	}
	return false
}

// PageRequest asks for one page of a list. Cursor is empty for the first page
// and otherwise the Cursor of the previous Page.
type PageRequest struct {
	Limit  int
	Cursor string
}

// Page is one page of matches. Cursor is empty on the last page.
type Page struct {
	Matches []Match
	Cursor  string
}

// Store keeps matches. Implementations return *Error values: CodeNotFound for
// a missing match, CodeConflict for a create that finds one, CodeForbidden
// when the caller does not own the match, CodeInvalid for a bad cursor, and
// CodeUnavailable when the storage cannot be reached.
type Store interface {
	// CreateMatch stores m unless a match with its IDs exists.
	CreateMatch(ctx context.Context, m Match) error
	// PutMatch stores m, creating it or replacing a match with its IDs if
	// caller may (the API answers 200 either way, as the seed did).
	PutMatch(ctx context.Context, m Match, caller Caller) error
	// GetMatch returns one match.
	GetMatch(ctx context.Context, tournamentID, matchID string) (Match, error)
	// DeleteMatch removes one match if caller may.
	DeleteMatch(ctx context.Context, tournamentID, matchID string, caller Caller) error
	// TournamentMatches returns a page of a tournament's matches, ordered by match ID.
	TournamentMatches(ctx context.Context, tournamentID string, page PageRequest) (Page, error)
	// Standings returns a tournament's standings, ordered as Standings
	// orders them; none when the tournament has no matches.
	Standings(ctx context.Context, tournamentID string) ([]Standing, error)
	// PlayerMatches returns a page of a player's matches across tournaments, newest first.
	PlayerMatches(ctx context.Context, player string, page PageRequest) (Page, error)
	// Ping makes one cheap read to prove the storage answers.
	Ping(ctx context.Context) error
}
