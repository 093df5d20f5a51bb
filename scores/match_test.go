package scores

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// validInput is a match every test starts from.
func validInput() MatchInput {
	return MatchInput{TournamentID: "spring-2026", MatchID: "m1", Player1: "Alice", Player2: "Bob", Score: "6,-4,7,10"}
}

var recordedAt = time.Date(2026, 3, 1, 19, 0, 0, 0, time.FixedZone("CET", 3600))

func TestNewMatchValid(t *testing.T) {
	playedAt := time.Date(2026, 3, 1, 18, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change func(*MatchInput)
		want   func(*Match)
	}{
		{name: "seed example", change: func(*MatchInput) {}, want: func(*Match) {}},
		{
			name:   "names are trimmed",
			change: func(in *MatchInput) { in.Player1, in.Player2 = " \tAlice  ", "Bob\u00a0" },
		},
		{
			name:   "score is stored in canonical form",
			change: func(in *MatchInput) { in.Score = " 6 , -4,7 ,10\t" },
		},
		{
			name:   "best_of stated",
			change: func(in *MatchInput) { in.BestOf = 5 },
		},
		{
			name:   "player2 wins a best of 3",
			change: func(in *MatchInput) { in.Score = "-5,-0" },
			want: func(m *Match) {
				m.Score, m.BestOf, m.Winner = "-5,-0", 3, "Bob"
				m.Games = GameCount{0, 2}
				m.Points = []GamePoints{{5, 11}, {0, 11}}
			},
		},
		{
			name:   "played_at is stored in UTC",
			change: func(in *MatchInput) { in.PlayedAt = "2026-03-01T19:30:00+01:00" },
			want:   func(m *Match) { m.PlayedAt = &playedAt },
		},
		{
			name: "longest IDs and names",
			change: func(in *MatchInput) {
				in.TournamentID, in.MatchID = strings.Repeat("t", 64), "A-z_0.9"
				in.Player1 = strings.Repeat("é", 64)
			},
			want: func(m *Match) {
				m.TournamentID, m.MatchID = strings.Repeat("t", 64), "A-z_0.9"
				m.Player1, m.Winner = strings.Repeat("é", 64), strings.Repeat("é", 64)
			},
		},
		{
			name:   "names with inner spaces and accents",
			change: func(in *MatchInput) { in.Player1, in.Player2 = "Jean-Luc  Picard", "Zoë O'Neil" },
			want: func(m *Match) {
				m.Player1, m.Player2, m.Winner = "Jean-Luc  Picard", "Zoë O'Neil", "Jean-Luc  Picard"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.change(&in)
			want := Match{
				TournamentID: "spring-2026", MatchID: "m1", Player1: "Alice", Player2: "Bob",
				Score: "6,-4,7,10", BestOf: 5, Winner: "Alice", Games: GameCount{3, 1},
				Points:     []GamePoints{{11, 6}, {4, 11}, {11, 7}, {12, 10}},
				RecordedBy: "carol", RecordedAt: recordedAt.UTC(), Owner: carol.Sub,
			}
			if tt.want != nil {
				tt.want(&want)
			}
			got, err := NewMatch(in, carol, recordedAt)
			if err != nil {
				t.Fatalf("NewMatch(%+v) error %v, want nil", in, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("NewMatch(%+v)\n got %+v\nwant %+v", in, got, want)
			}
			if got.RecordedAt.Location() != time.UTC {
				t.Errorf("RecordedAt location = %v, want UTC", got.RecordedAt.Location())
			}
		})
	}
}

func TestNewMatchInvalid(t *testing.T) {
	tests := []struct {
		name   string
		change func(*MatchInput)
		want   map[string]string // field -> substring of its reason
	}{
		{"missing tournament_id", func(in *MatchInput) { in.TournamentID = "" }, map[string]string{"tournament_id": "required"}},
		{"missing match_id", func(in *MatchInput) { in.MatchID = "" }, map[string]string{"match_id": "required"}},
		{"missing player1", func(in *MatchInput) { in.Player1 = "" }, map[string]string{"player1": "required"}},
		{"blank player2", func(in *MatchInput) { in.Player2 = " \t " }, map[string]string{"player2": "required"}},
		{"missing score", func(in *MatchInput) { in.Score = "" }, map[string]string{"score": "required"}},
		{"blank score", func(in *MatchInput) { in.Score = "  " }, map[string]string{"score": "required"}},
		{"tournament_id with #", func(in *MatchInput) { in.TournamentID = "TOURNAMENT#x" }, map[string]string{"tournament_id": "letters, digits"}},
		{"match_id with #", func(in *MatchInput) { in.MatchID = "m#1" }, map[string]string{"match_id": "letters, digits"}},
		{"match_id with /", func(in *MatchInput) { in.MatchID = "a/b" }, map[string]string{"match_id": "letters, digits"}},
		{"match_id with a space", func(in *MatchInput) { in.MatchID = "m 1" }, map[string]string{"match_id": "letters, digits"}},
		{"match_id with surrounding spaces", func(in *MatchInput) { in.MatchID = " m1" }, map[string]string{"match_id": "letters, digits"}},
		{"match_id of 65 characters", func(in *MatchInput) { in.MatchID = strings.Repeat("m", 65) }, map[string]string{"match_id": "1-64"}},
		{"match_id ..", func(in *MatchInput) { in.MatchID = ".." }, map[string]string{"match_id": `not "." or ".."`}},
		{"tournament_id with non-ASCII letter", func(in *MatchInput) { in.TournamentID = "café" }, map[string]string{"tournament_id": "letters, digits"}},
		{"same player twice", func(in *MatchInput) { in.Player2 = "Alice" }, map[string]string{"player2": "different player"}},
		{"same player in other case and spacing", func(in *MatchInput) { in.Player2 = "  aLiCe " }, map[string]string{"player2": "different player"}},
		{"same player in other Unicode form", func(in *MatchInput) { in.Player1, in.Player2 = "Zo\u00eb", "ZOE\u0308" }, map[string]string{"player2": "different player"}},
		{"invalid UTF-8", func(in *MatchInput) { in.Player1 = "Al\xffce" }, map[string]string{"player1": "valid UTF-8"}},
		{"control character", func(in *MatchInput) { in.Player1 = "Al\x00ice" }, map[string]string{"player1": "printable"}},
		{"tab inside", func(in *MatchInput) { in.Player2 = "B\tob" }, map[string]string{"player2": "printable"}},
		{"newline inside", func(in *MatchInput) { in.Player2 = "B\nob" }, map[string]string{"player2": "printable"}},
		{"no-break space inside", func(in *MatchInput) { in.Player1 = "Al\u00a0ice" }, map[string]string{"player1": "printable"}},
		{"zero-width space", func(in *MatchInput) { in.Player1 = "Al\u200bice" }, map[string]string{"player1": "printable"}},
		{"right-to-left override", func(in *MatchInput) { in.Player1 = "\u202eecilA" }, map[string]string{"player1": "printable"}},
		{"name of 65 characters", func(in *MatchInput) { in.Player1 = strings.Repeat("é", 65) }, map[string]string{"player1": "at most 64 characters"}},
		{"best_of 4", func(in *MatchInput) { in.BestOf = 4 }, map[string]string{"best_of": "3, 5 or 7"}},
		{"best_of 4 and a bad score", func(in *MatchInput) { in.BestOf, in.Score = 4, "5,,4" }, map[string]string{"best_of": "3, 5 or 7", "score": "game 2 is empty"}},
		{"best_of mismatch", func(in *MatchInput) { in.BestOf = 3 }, map[string]string{"best_of": "does not fit the score"}},
		{"bad score", func(in *MatchInput) { in.Score = "11-6" }, map[string]string{"score": "not a number"}},
		{"unfinished score", func(in *MatchInput) { in.Score = "5,-5" }, map[string]string{"score": "does not finish"}},
		{"played_at not a time", func(in *MatchInput) { in.PlayedAt = "yesterday" }, map[string]string{"played_at": "RFC 3339"}},
		{"played_at date only", func(in *MatchInput) { in.PlayedAt = "2026-03-01" }, map[string]string{"played_at": "RFC 3339"}},
		{"played_at before year 1 in UTC", func(in *MatchInput) { in.PlayedAt = "0000-01-01T00:00:00+01:00" }, map[string]string{"played_at": "1900"}},
		{"played_at after 9999 in UTC", func(in *MatchInput) { in.PlayedAt = "9999-12-31T23:30:00-01:00" }, map[string]string{"played_at": "9999"}},
		{
			name: "every field wrong at once",
			change: func(in *MatchInput) {
				*in = MatchInput{TournamentID: "a#b", MatchID: "", Player1: "\x01", Player2: "", Score: "5,4,", BestOf: 2, PlayedAt: "soon"}
			},
			want: map[string]string{
				"tournament_id": "letters", "match_id": "required", "player1": "printable", "player2": "required",
				"score": "trailing comma", "best_of": "3, 5 or 7", "played_at": "RFC 3339",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.change(&in)
			got, err := NewMatch(in, carol, recordedAt)
			if err == nil {
				t.Fatalf("NewMatch(%+v) = %+v, want an error", in, got)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if e.Code != CodeInvalid {
				t.Errorf("Code = %q, want %q", e.Code, CodeInvalid)
			}
			if len(e.Fields) != len(tt.want) {
				t.Errorf("Fields = %v, want entries for exactly %v", e.Fields, keys(tt.want))
			}
			for field, wantIn := range tt.want {
				if reason, ok := e.Fields[field]; !ok || !strings.Contains(reason, wantIn) {
					t.Errorf("Fields[%q] = %q, want it to contain %q", field, reason, wantIn)
				}
				if !strings.Contains(e.Message, field) {
					t.Errorf("Message = %q, want it to name %q", e.Message, field)
				}
			}
			if e.Err != nil {
				t.Errorf("Err = %v, want nil: validation has no internal cause", e.Err)
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// carol records the matches of these tests. Her sub carries spaces at
// both ends: identity values are kept exactly as the token has them.
var carol = Caller{Sub: " 4f1c-carol ", Username: "carol"}

func TestNewMatchNeedsARecorder(t *testing.T) {
	for _, by := range []Caller{{}, {Sub: "  ", Username: "carol"}, {Sub: "4f1c", Username: ""}, {Sub: "4f1c", Username: " "}} {
		_, err := NewMatch(validInput(), by, recordedAt)
		if got := ErrorCode(err); got != CodeUnauthorized {
			t.Errorf("NewMatch(caller %+v) code = %q, want %q", by, got, CodeUnauthorized)
		}
	}
}

func TestNewMatchOwnerIsTheSub(t *testing.T) {
	m, err := NewMatch(validInput(), Caller{Sub: " 4f1c ", Username: " carol"}, recordedAt)
	if err != nil {
		t.Fatalf("NewMatch: %v", err)
	}
	if m.Owner != " 4f1c " || m.RecordedBy != " carol" {
		t.Errorf("Owner, RecordedBy = %q, %q; want the sub and the username untouched: %q, %q", m.Owner, m.RecordedBy, " 4f1c ", " carol")
	}
}

func TestIsAdminNeedsTheExactGroup(t *testing.T) {
	for _, tt := range []struct {
		groups []string
		want   bool
	}{
		{nil, false},
		{[]string{"admins"}, true},
		{[]string{"players", "admins"}, true},
		{[]string{"x,admins"}, false},
		{[]string{"[admins]"}, false},
		{[]string{"players,admins"}, false},
		{[]string{"Admins"}, false},
		{[]string{" admins"}, false},
		{[]string{"admins "}, false},
	} {
		if got := (Caller{Sub: "s", Username: "u", Groups: tt.groups}).IsAdmin(); got != tt.want {
			t.Errorf("IsAdmin with groups %q = %v, want %v", tt.groups, got, tt.want)
		}
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"a", true},
		{"spring-2026", true},
		{"A.b_C-9", true},
		{strings.Repeat("x", 64), true},
		{"...", true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{".", false},
		{"..", false},
		{"a#b", false},
		{"TOURNAMENT#x", false},
		{"a/b", false},
		{"../etc", false},
		{"a b", false},
		{" a", false},
		{"a\n", false},
		{"é", false},
		{"a%2F", false},
		{"a?b", false},
		{"\x00", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestPlayerKey(t *testing.T) {
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{"case", "Alice", "ALICE", true},
		{"surrounding spaces", "  alice\t", "Alice", true},
		{"composed and decomposed", "Zo\u00eb", "Zoe\u0308", true},
		{"decomposed upper case", "ZOE\u0308", "zo\u00eb", true},
		{"sharp s folds to ss", "Straße", "STRASSE", true},
		{"kelvin sign folds to k", "\u212aim", "Kim", true},
		{"greek final sigma", "ΟΔΟΣ", "οδος", true},
		{"different names", "Alice", "Alicia", false},
		{"inner spaces count", "Ali ce", "Alice", false},
		{"accents count", "Zoe", "Zoë", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := PlayerKey(tt.a), PlayerKey(tt.b)
			if (ka == kb) != tt.same {
				t.Errorf("PlayerKey(%q) = %q, PlayerKey(%q) = %q; same = %v, want %v", tt.a, ka, tt.b, kb, ka == kb, tt.same)
			}
			if again := PlayerKey(ka); again != ka {
				t.Errorf("PlayerKey(PlayerKey(%q)) = %q, want %q: the key must be stable", tt.a, again, ka)
			}
		})
	}
	if got, want := PlayerKey("  Alice "), "alice"; got != want {
		t.Errorf("PlayerKey(%q) = %q, want %q", "  Alice ", got, want)
	}
}
