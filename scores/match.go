package scores

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// MaxIDLength is the longest tournament or match ID.
const MaxIDLength = 64

// MaxNameLength is the longest player name, in characters (runes).
const MaxNameLength = 64

// ValidID reports whether s is a valid tournament or match ID: 1-64 ASCII
// letters, digits, '.', '_' or '-'. "." and ".." are refused as well: a URL
// path cannot carry them as a segment, so such a match could be written but
// never read or deleted.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// NewMatch validates in and returns the match it describes, recorded by
// caller at now: owned by caller.Sub and shown as recorded by
// caller.Username, both kept exactly as the token carries them. A validation failure is an *Error with CodeInvalid and
// a message per field in Fields, keyed by the JSON field name; every field is
// checked, so a client learns all its mistakes at once. Player names are
// trimmed, the score is stored in its canonical form (Score.String), best_of
// is inferred when absent, names are in NFC (NormalizeName), and times are stored in UTC. A caller without a
// sub or a username is a CodeUnauthorized error: a match always has an owner.
func NewMatch(in MatchInput, caller Caller, now time.Time) (Match, error) {
	if strings.TrimSpace(caller.Sub) == "" || strings.TrimSpace(caller.Username) == "" {
		return Match{}, Errorf(CodeUnauthorized, "sign in to record a match")
	}
	fields := map[string]string{}
	m := Match{
		TournamentID: in.TournamentID,
		MatchID:      in.MatchID,
		Player1:      NormalizeName(in.Player1),
		Player2:      NormalizeName(in.Player2),
		RecordedBy:   caller.Username,
		RecordedAt:   now.UTC(),
		Owner:        caller.Sub,
	}
	checkID(fields, "tournament_id", in.TournamentID)
	checkID(fields, "match_id", in.MatchID)
	p1ok := checkName(fields, "player1", in.Player1)
	p2ok := checkName(fields, "player2", in.Player2)
	if p1ok && p2ok && PlayerKey(m.Player1) == PlayerKey(m.Player2) {
		fields["player2"] = "must be a different player from player1"
	}

	bestOf := in.BestOf
	if bestOf != 0 && !ValidBestOf(bestOf) {
		fields["best_of"] = "must be 3, 5 or 7 (or absent to infer it from the score)"
		bestOf = 0 // still check the score on its own
	}
	var sc Score
	if strings.Trim(in.Score, " \t") == "" {
		fields["score"] = "required"
	} else if parsed, err := ParseScore(in.Score, bestOf); err != nil {
		for f, reason := range fieldsOf(err) {
			fields[f] = reason
		}
	} else {
		sc = parsed
	}

	if in.PlayedAt != "" {
		if t, reason := parsePlayedAt(in.PlayedAt); reason != "" {
			fields["played_at"] = reason
		} else {
			m.PlayedAt = &t
		}
	}

	if len(fields) > 0 {
		names := make([]string, 0, len(fields))
		for f := range fields {
			names = append(names, f)
		}
		sort.Strings(names)
		return Match{}, &Error{Code: CodeInvalid, Message: "invalid match: check " + strings.Join(names, ", "), Fields: fields}
	}
	m.Score = sc.String()
	m.BestOf = sc.BestOf
	m.Games = sc.GamesWon
	m.Points = sc.Games
	m.Winner = m.Player1
	if sc.Winner == 2 {
		m.Winner = m.Player2
	}
	return m, nil
}

// fieldsOf returns the Fields of err, which ParseScore always sets.
func fieldsOf(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields
	}
	return map[string]string{"score": "is not valid"}
}

// checkID records in fields why id is not a valid ID, if it is not.
func checkID(fields map[string]string, field, id string) {
	switch {
	case id == "":
		fields[field] = "required"
	case !ValidID(id):
		fields[field] = "must be 1-64 letters, digits, '.', '_' or '-' (and not \".\" or \"..\")"
	}
}

// checkName records in fields why name is not a valid player name, if it is
// not, and reports whether it is valid.
func checkName(fields map[string]string, field, name string) bool {
	if reason := NameProblem(name); reason != "" {
		fields[field] = reason
		return false
	}
	return true
}

// parsePlayedAt parses an RFC 3339 time into UTC, or returns why it cannot.
// Years are kept to 1900-9999 in UTC because encoding/json cannot write a
// time outside 0-9999, and an offset can push 0000-01-01 into year -1.
func parsePlayedAt(s string) (time.Time, string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, "must be an RFC 3339 time such as 2026-03-01T18:30:00Z"
	}
	t = t.UTC()
	if y := t.Year(); y < 1900 || y > 9999 {
		return time.Time{}, "must be between the years 1900 and 9999"
	}
	return t, ""
}
