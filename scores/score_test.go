package scores

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseScoreValid(t *testing.T) {
	tests := []struct {
		name      string
		score     string
		bestOf    int
		wantBest  int
		wantWin   int
		wantGames GameCount
		wantPts   []GamePoints
		wantCanon string
	}{
		{
			name: "seed example 5,4,9 is player1 3-0 in a best of 5", score: "5,4,9",
			wantBest: 5, wantWin: 1, wantGames: GameCount{3, 0},
			wantPts: []GamePoints{{11, 5}, {11, 4}, {11, 9}}, wantCanon: "5,4,9",
		},
		{
			name: "seed example 5,4,9 with best_of 5 stated", score: "5,4,9", bestOf: 5,
			wantBest: 5, wantWin: 1, wantGames: GameCount{3, 0},
			wantPts: []GamePoints{{11, 5}, {11, 4}, {11, 9}}, wantCanon: "5,4,9",
		},
		{
			name: "seed example 6,-4,7,10 is 11-6 4-11 11-7 12-10", score: "6,-4,7,10",
			wantBest: 5, wantWin: 1, wantGames: GameCount{3, 1},
			wantPts: []GamePoints{{11, 6}, {4, 11}, {11, 7}, {12, 10}}, wantCanon: "6,-4,7,10",
		},
		{
			name: "seed example 6,-4,7,10 with best_of 5 stated", score: "6,-4,7,10", bestOf: 5,
			wantBest: 5, wantWin: 1, wantGames: GameCount{3, 1},
			wantPts: []GamePoints{{11, 6}, {4, 11}, {11, 7}, {12, 10}}, wantCanon: "6,-4,7,10",
		},
		{
			name: "two straight games infer best of 3", score: "5,4",
			wantBest: 3, wantWin: 1, wantGames: GameCount{2, 0},
			wantPts: []GamePoints{{11, 5}, {11, 4}}, wantCanon: "5,4",
		},
		{
			name: "best of 3 stated, won 2-1", score: "3,-8,9", bestOf: 3,
			wantBest: 3, wantWin: 1, wantGames: GameCount{2, 1},
			wantPts: []GamePoints{{11, 3}, {8, 11}, {11, 9}}, wantCanon: "3,-8,9",
		},
		{
			name: "-0 is 11-0 to player2", score: "-0,-0",
			wantBest: 3, wantWin: 2, wantGames: GameCount{0, 2},
			wantPts: []GamePoints{{0, 11}, {0, 11}}, wantCanon: "-0,-0",
		},
		{
			name: "0 is 11-0 to player1", score: "0,-0,0",
			wantBest: 3, wantWin: 1, wantGames: GameCount{2, 1},
			wantPts: []GamePoints{{11, 0}, {0, 11}, {11, 0}}, wantCanon: "0,-0,0",
		},
		{
			name: "deuce games: 10 is 12-10, -12 is 12-14, 15 is 17-15", score: "10,-12,15",
			wantBest: 3, wantWin: 1, wantGames: GameCount{2, 1},
			wantPts: []GamePoints{{12, 10}, {12, 14}, {17, 15}}, wantCanon: "10,-12,15",
		},
		{
			name: "deuce games won by player2", score: "-10,-11",
			wantBest: 3, wantWin: 2, wantGames: GameCount{0, 2},
			wantPts: []GamePoints{{10, 12}, {11, 13}}, wantCanon: "-10,-11",
		},
		{
			name: "9 is the last score without deuce", score: "9,10",
			wantBest: 3, wantWin: 1, wantGames: GameCount{2, 0},
			wantPts: []GamePoints{{11, 9}, {12, 10}}, wantCanon: "9,10",
		},
		{
			name: "longest deuce game allowed", score: "99,-99,0",
			wantBest: 3, wantWin: 1, wantGames: GameCount{2, 1},
			wantPts: []GamePoints{{101, 99}, {99, 101}, {11, 0}}, wantCanon: "99,-99,0",
		},
		{
			name: "best of 5 won 3-2 by player2", score: "-1,2,-3,4,-5",
			wantBest: 5, wantWin: 2, wantGames: GameCount{2, 3},
			wantPts: []GamePoints{{1, 11}, {11, 2}, {3, 11}, {11, 4}, {5, 11}}, wantCanon: "-1,2,-3,4,-5",
		},
		{
			name: "best of 7 going the distance", score: "1,2,3,-4,-5,-6,7",
			wantBest: 7, wantWin: 1, wantGames: GameCount{4, 3},
			wantPts: []GamePoints{{11, 1}, {11, 2}, {11, 3}, {4, 11}, {5, 11}, {6, 11}, {11, 7}}, wantCanon: "1,2,3,-4,-5,-6,7",
		},
		{
			name: "best of 7 stated, won 4-0 by player2", score: "-3,-3,-3,-3", bestOf: 7,
			wantBest: 7, wantWin: 2, wantGames: GameCount{0, 4},
			wantPts: []GamePoints{{3, 11}, {3, 11}, {3, 11}, {3, 11}}, wantCanon: "-3,-3,-3,-3",
		},
		{
			name: "spaces around commas and at the ends", score: "  6 , -4,7 ,10 ",
			wantBest: 5, wantWin: 1, wantGames: GameCount{3, 1},
			wantPts: []GamePoints{{11, 6}, {4, 11}, {11, 7}, {12, 10}}, wantCanon: "6,-4,7,10",
		},
		{
			name: "tabs count as spaces", score: "\t5,\t4\t",
			wantBest: 3, wantWin: 1, wantGames: GameCount{2, 0},
			wantPts: []GamePoints{{11, 5}, {11, 4}}, wantCanon: "5,4",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScore(tt.score, tt.bestOf)
			if err != nil {
				t.Fatalf("ParseScore(%q, %d) error %v, want nil", tt.score, tt.bestOf, err)
			}
			if got.BestOf != tt.wantBest {
				t.Errorf("BestOf = %d, want %d", got.BestOf, tt.wantBest)
			}
			if got.Winner != tt.wantWin {
				t.Errorf("Winner = %d, want %d", got.Winner, tt.wantWin)
			}
			if got.GamesWon != tt.wantGames {
				t.Errorf("GamesWon = %+v, want %+v", got.GamesWon, tt.wantGames)
			}
			if !reflect.DeepEqual(got.Games, tt.wantPts) {
				t.Errorf("Games = %+v, want %+v", got.Games, tt.wantPts)
			}
			if s := got.String(); s != tt.wantCanon {
				t.Errorf("String() = %q, want %q", s, tt.wantCanon)
			}
		})
	}
}

func TestParseScoreInvalid(t *testing.T) {
	tests := []struct {
		name      string
		score     string
		bestOf    int
		wantField string
		wantIn    string // a substring of the reason
	}{
		{"empty", "", 0, "score", "is empty"},
		{"only spaces", "   ", 0, "score", "is empty"},
		{"one game is too few", "5", 0, "score", "1-0 does not finish"},
		{"one game each is too few", "5,-5", 0, "score", "1-1 does not finish"},
		{"too few games for stated best of 5", "5,-4", 5, "score", "too few games: 1-1 does not finish a best of 5 match (3 games needed)"},
		{"too few games for stated best of 7", "5,4,9,-1,-1", 7, "score", "too few games: 3-2"},
		{"last game won by the match loser", "5,5,-5", 0, "score", "2-1 does not finish a best of 3, 5 or 7 match"},
		{"game after a best of 3 is decided", "5,4,-3", 3, "score", "game 3 follows the end of the match: player1 won 2 games at game 2"},
		{"game after a best of 7 is decided", "5,5,5,5,5", 0, "score", "game 5 follows the end of the match"},
		{"game after player2 won 4", "-1,-1,-1,-1,-1", 0, "score", "game 5 follows the end of the match: player2"},
		{"best_of 5 stated for a best of 3 score", "5,4", 5, "best_of", "best_of 5 does not fit the score: 2-0 finishes a best of 3 match"},
		{"best_of 3 stated for seed example", "5,4,9", 3, "best_of", "best_of 3 does not fit the score: 3-0 finishes a best of 5"},
		{"best_of 7 stated for seed example", "6,-4,7,10", 7, "best_of", "best_of 7 does not fit the score: 3-1 finishes a best of 5"},
		{"best_of 5 stated for a 4-0", "5,4,9,1", 5, "best_of", "4-0 finishes a best of 7"},
		{"best_of 4", "5,4", 4, "best_of", "must be 3, 5 or 7"},
		{"best_of 1", "5", 1, "best_of", "must be 3, 5 or 7"},
		{"best_of negative", "5,4", -3, "best_of", "must be 3, 5 or 7"},
		{"best_of 9", "1,1,1,1,1", 9, "best_of", "must be 3, 5 or 7"},
		{"more than 7 games", "5,5,5,5,5,5,5,5", 0, "score", "more than 7 games"},
		{"8 alternating games", "1,-1,1,-1,1,-1,1,-1", 7, "score", "more than 7 games"},
		{"empty game in the middle", "5,,4", 0, "score", "game 2 is empty"},
		{"blank game in the middle", "5, ,4", 0, "score", "game 2 is empty"},
		{"trailing comma", "5,4,", 0, "score", "trailing comma after game 2"},
		{"leading comma", ",5,4", 0, "score", "game 1 is empty"},
		{"lone comma", ",", 0, "score", "game 1 is empty"},
		{"letters", "a", 0, "score", `game 1: "a" is not a number`},
		{"letter game", "5,4,x", 0, "score", `game 3: "x" is not a number`},
		{"digits then letters", "5a,4", 0, "score", `"5a" is not a number`},
		{"space inside a number", "1 0,4", 0, "score", `space inside the number "1 0"`},
		{"space between games instead of comma", "5 4", 0, "score", "space inside the number"},
		{"space after minus", "- 5,4", 0, "score", "space inside the number"},
		{"plus sign", "+5,4", 0, "score", "without a plus sign"},
		{"double minus", "--5,4", 0, "score", `"--5" has more than one sign`},
		{"minus plus", "-+5,4", 0, "score", "more than one sign"},
		{"lone minus", "-,5", 0, "score", `"-" has no digits`},
		{"leading zero", "05,4", 0, "score", `"05" has a leading zero`},
		{"negative leading zero", "5,-00", 0, "score", `"-00" has a leading zero`},
		{"three digits", "100,4", 0, "score", "more than the maximum of 99 points"},
		{"overflowing number", "99999999999999999999999,4", 0, "score", "more than the maximum of 99 points"},
		{"semicolons", "5;4", 0, "score", "is not a number"},
		{"decimal point", "5.4", 0, "score", "is not a number"},
		{"newline is not a space", "5\n,4", 0, "score", "is not a number"},
		{"games as points pairs", "11-6,11-4", 0, "score", `"11-6" is not a number`},
		{"exponent", "1e1,4", 0, "score", "is not a number"},
		{"hex", "0x10,4", 0, "score", "is not a number"},
		{"fullwidth digit", "\uff15,4", 0, "score", "is not a number"},
		{"unicode minus", "\u22125,4", 0, "score", "is not a number"},
		{"invalid UTF-8", "5,\xff", 0, "score", "is not a number"},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d invalid scores; the issue asks for at least 30", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScore(tt.score, tt.bestOf)
			if err == nil {
				t.Fatalf("ParseScore(%q, %d) = %+v, want an error containing %q", tt.score, tt.bestOf, got, tt.wantIn)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if e.Code != CodeInvalid {
				t.Errorf("Code = %q, want %q", e.Code, CodeInvalid)
			}
			if len(e.Fields) != 1 || e.Fields[tt.wantField] == "" {
				t.Fatalf("Fields = %v, want one entry for %q", e.Fields, tt.wantField)
			}
			if reason := e.Fields[tt.wantField]; !strings.Contains(reason, tt.wantIn) {
				t.Errorf("reason = %q, want it to contain %q", reason, tt.wantIn)
			}
			if want := tt.wantField + ": " + e.Fields[tt.wantField]; e.Message != want {
				t.Errorf("Message = %q, want %q", e.Message, want)
			}
		})
	}
}

func TestParseScoreDoesNotEchoHugeInput(t *testing.T) {
	huge := strings.Repeat("7", 1<<20)
	for _, s := range []string{huge, "5," + huge, "5,4,x" + huge, "5, 1" + strings.Repeat(" ", 1<<20) + "2"} {
		_, err := ParseScore(s, 0)
		if err == nil {
			t.Fatalf("ParseScore(<%d bytes>) accepted, want an error", len(s))
		}
		if msg := ErrorMessage(err); len(msg) > 200 {
			t.Errorf("message is %d bytes, want at most 200: %.80q...", len(msg), msg)
		}
	}
}

func TestValidGame(t *testing.T) {
	tests := []struct {
		name          string
		winner, loser int
		wantIn        string // "" means valid
	}{
		{"11-0", 11, 0, ""},
		{"11-9", 11, 9, ""},
		{"12-10 deuce", 12, 10, ""},
		{"13-11 deuce", 13, 11, ""},
		{"101-99 longest allowed", 101, 99, ""},
		{"11-10 is not finished", 11, 10, "11-10 is not a finished game: from 10-10 the winner needs a 2-point lead (12-10)"},
		{"12-11 is not finished", 12, 11, "2-point lead (13-11)"},
		{"13-10 went past the end", 13, 10, "13-10 is not a possible game: it ends at 12-10"},
		{"12-9 went past the end", 12, 9, "12-9 is not a possible game: it ends at 11-9"},
		{"14-11 went past the end", 14, 11, "it ends at 13-11"},
		{"10-8 is not finished", 10, 8, "10-8 is not a finished game: the winner needs 11 points (11-8)"},
		{"21-5 is old rules", 21, 5, "it ends at 11-5"},
		{"tie", 11, 11, "the winner of a game has more points than the loser"},
		{"winner behind", 9, 11, "more points than the loser"},
		{"0-0", 0, 0, "more points than the loser"},
		{"negative", 11, -1, "points cannot be negative"},
		{"loser over the cap", 102, 100, "at most 99 points"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidGame(tt.winner, tt.loser)
			switch {
			case tt.wantIn == "" && err != nil:
				t.Errorf("ValidGame(%d, %d) = %v, want nil", tt.winner, tt.loser, err)
			case tt.wantIn != "" && err == nil:
				t.Errorf("ValidGame(%d, %d) = nil, want an error containing %q", tt.winner, tt.loser, tt.wantIn)
			case tt.wantIn != "" && !strings.Contains(err.Error(), tt.wantIn):
				t.Errorf("ValidGame(%d, %d) = %q, want it to contain %q", tt.winner, tt.loser, err, tt.wantIn)
			}
		})
	}
}

// TestEveryNumberIsAValidGame checks that ParseScore and ValidGame agree:
// every number the notation accepts is a game ValidGame accepts.
func TestEveryNumberIsAValidGame(t *testing.T) {
	for loser := 0; loser <= MaxLoserPoints; loser++ {
		for _, sign := range []string{"", "-"} {
			tok := sign + strconv.Itoa(loser)
			sc, err := ParseScore(tok+","+tok, 0)
			if err != nil {
				t.Fatalf("ParseScore(%q) error %v, want nil", tok+","+tok, err)
			}
			g := sc.Games[0]
			w, l := max(g.Player1, g.Player2), min(g.Player1, g.Player2)
			if l != loser {
				t.Errorf("%q: loser has %d, want %d", tok, l, loser)
			}
			if err := ValidGame(w, l); err != nil {
				t.Errorf("%q parses to %d-%d, which ValidGame refuses: %v", tok, w, l, err)
			}
		}
	}
}

func TestGamesNeeded(t *testing.T) {
	for _, tt := range []struct{ bestOf, want int }{{3, 2}, {5, 3}, {7, 4}, {0, 0}, {1, 0}, {4, 0}, {9, 0}} {
		if got := GamesNeeded(tt.bestOf); got != tt.want {
			t.Errorf("GamesNeeded(%d) = %d, want %d", tt.bestOf, got, tt.want)
		}
	}
}
