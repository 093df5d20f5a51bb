package scores

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// played returns the match p1 and p2 played with score, as NewMatch derives it.
func played(t testing.TB, p1, p2, score string) Match {
	t.Helper()
	m, err := NewMatch(MatchInput{TournamentID: "t", MatchID: "m", Player1: p1, Player2: p2, Score: score}, Caller{Sub: "carol-sub", Username: "carol"}, time.Unix(0, 0))
	if err != nil {
		t.Fatalf("NewMatch(%q, %q, %q): %v", p1, p2, score, err)
	}
	return m
}

// names returns the player names of lines, in order.
func names(lines []Standing) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Player
	}
	return out
}

func TestStandingsOrder(t *testing.T) {
	tests := []struct {
		name    string
		matches func(t *testing.T) []Match
		want    []string
	}{
		{
			name: "wins first",
			matches: func(t *testing.T) []Match {
				return []Match{played(t, "Cy", "Bea", "-5,-5"), played(t, "Al", "Cy", "5,5"), played(t, "Al", "Bea", "5,5")}
			},
			want: []string{"Al", "Bea", "Cy"},
		},
		{
			name: "equal wins: game difference",
			// Al +3 games, Bo +1; Di -1, Cy -3.
			matches: func(t *testing.T) []Match {
				return []Match{played(t, "Bo", "Di", "1,-1,1,-1,1"), played(t, "Al", "Cy", "1,1,1")}
			},
			want: []string{"Al", "Bo", "Di", "Cy"},
		},
		{
			name: "equal wins and games: point difference",
			// Both winners +2 games; Bo +20 points, Al +4.
			matches: func(t *testing.T) []Match {
				return []Match{played(t, "Al", "Cy", "9,9"), played(t, "Bo", "Di", "1,1")}
			},
			want: []string{"Bo", "Al", "Cy", "Di"},
		},
		{
			name: "equal wins, games and points: name case-insensitively",
			// Byte order would put "Bob" before "alice" and "Zed" before "yann".
			matches: func(t *testing.T) []Match {
				return []Match{played(t, "Bob", "Zed", "5,5"), played(t, "alice", "yann", "5,5")}
			},
			want: []string{"alice", "Bob", "yann", "Zed"},
		},
		{
			name: "more wins beat a better game difference",
			// Al wins twice narrowly, Bo once heavily.
			matches: func(t *testing.T) []Match {
				return []Match{
					played(t, "Al", "Cy", "10,-10,10,-10,10"), played(t, "Al", "Di", "10,-10,10,-10,10"),
					played(t, "Bo", "Ed", "0,0,0,0"), played(t, "Cy", "Bo", "1,1"),
				}
			},
			want: []string{"Al", "Bo", "Cy", "Di", "Ed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(Standings(tt.matches(t))); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("order = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStandingsLines(t *testing.T) {
	matches := []Match{
		played(t, "Alice", "Bob", "6,-4,7,10"), // Alice 3-1, points 38-34
		played(t, " bob ", "ALICE", "5,5"),     // bob 2-0, points 22-10
		played(t, "Cleo", "alice", "-0,-0"),    // alice 2-0, points 22-0
	}
	got := Standings(matches)
	want := []Standing{
		{Player: "Alice", Played: 3, Won: 2, Lost: 1, GamesWon: 5, GamesLost: 3, PointsWon: 38 + 10 + 22, PointsLost: 34 + 22 + 0},
		{Player: "Bob", Played: 2, Won: 1, Lost: 1, GamesWon: 3, GamesLost: 3, PointsWon: 34 + 22, PointsLost: 38 + 10},
		{Player: "Cleo", Played: 1, Won: 0, Lost: 1, GamesWon: 0, GamesLost: 2, PointsWon: 0, PointsLost: 22},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Standings\n got %+v\nwant %+v", got, want)
	}
}

func TestStandingsOddMatches(t *testing.T) {
	legacy := Match{Player1: "Alice", Player2: "Bob", Score: "5,4,9"} // no derived fields
	broken := Match{Player1: "Alice", Player2: "Bob", Score: "5,,4"}
	self := Match{Player1: "Alice", Player2: "ALICE", Score: "5,4", Points: []GamePoints{{11, 5}, {11, 4}}}
	got := Standings([]Match{legacy, broken, self})
	want := []Standing{
		{Player: "Alice", Played: 1, Won: 1, GamesWon: 3, PointsWon: 33, PointsLost: 18},
		{Player: "Bob", Played: 1, Lost: 1, GamesLost: 3, PointsWon: 18, PointsLost: 33},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Standings\n got %+v\nwant %+v", got, want)
	}
}

func TestStandingsEmptyIsAJSONList(t *testing.T) {
	b, err := json.Marshal(Standings(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "[]"; got != want {
		t.Errorf("json of no standings = %s, want %s", got, want)
	}
}

func TestStandingsIgnoreMatchOrder(t *testing.T) {
	// Display names are first seen and so depend on the order; compare keys.
	byKey := func(lines []Standing) []Standing {
		for i := range lines {
			lines[i].Player = PlayerKey(lines[i].Player)
		}
		return lines
	}
	matches := tournament(t, 12, 200)
	want := byKey(Standings(matches))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		shuffled := append([]Match(nil), matches...)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := byKey(Standings(shuffled)); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffle %d: standings changed with the order of matches\n got %+v\nwant %+v", i, got, want)
		}
	}
	var played, won int
	for _, l := range want {
		played += l.Played
		won += l.Won
	}
	if played != 2*len(matches) || won != len(matches) {
		t.Errorf("played %d, won %d over %d matches, want %d and %d", played, won, len(matches), 2*len(matches), len(matches))
	}
}

// tournament returns n matches among players players, with deterministic
// pseudo-random scores.
func tournament(t testing.TB, players, n int) []Match {
	scores := []string{"5,4,9", "6,-4,7,10", "-1,-2,-3", "10,-12,15", "1,-1,1,-1,1", "-9,9,-9,9,-9", "3,3,3"}
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]Match, 0, n)
	for len(out) < n {
		a, b := r.IntN(players), r.IntN(players)
		if a == b {
			continue
		}
		out = append(out, played(t, "Player "+strconv.Itoa(a), "player "+strconv.Itoa(b), scores[r.IntN(len(scores))]))
	}
	return out
}
