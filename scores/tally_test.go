package scores

import (
	"math/rand/v2"
	"testing"
)

func TestStandingChanges(t *testing.T) {
	win := played(t, "Al", "Bea", "5,5")     // Al 2-0, 22-10
	loss := played(t, "Al", "Bea", "-5,-5")  // Bea 2-0
	other := played(t, "Al", "Cy", "5,5")    // Bea leaves, Cy joins
	respelt := played(t, "AL", "bea", "5,5") // same players, same result
	tests := []struct {
		name     string
		old, new *Match
		want     []Tally
	}{
		{"create", nil, &win, []Tally{
			{Key: "al", Player: "Al", Played: 1, Won: 1, GamesWon: 2, PointsWon: 22, PointsLost: 10},
			{Key: "bea", Player: "Bea", Played: 1, Lost: 1, GamesLost: 2, PointsWon: 10, PointsLost: 22},
		}},
		{"delete", &win, nil, []Tally{
			{Key: "al", Played: -1, Won: -1, GamesWon: -2, PointsWon: -22, PointsLost: -10},
			{Key: "bea", Played: -1, Lost: -1, GamesLost: -2, PointsWon: -10, PointsLost: -22},
		}},
		{"winner changes", &win, &loss, []Tally{
			{Key: "al", Player: "Al", Won: -1, Lost: 1, GamesWon: -2, GamesLost: 2, PointsWon: -12, PointsLost: 12},
			{Key: "bea", Player: "Bea", Won: 1, Lost: -1, GamesWon: 2, GamesLost: -2, PointsWon: 12, PointsLost: -12},
		}},
		{"player changes", &win, &other, []Tally{
			{Key: "bea", Played: -1, Lost: -1, GamesLost: -2, PointsWon: -10, PointsLost: -22},
			{Key: "cy", Player: "Cy", Played: 1, Lost: 1, GamesLost: 2, PointsWon: 10, PointsLost: 22},
		}},
		{"nothing changes", &win, &respelt, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StandingChanges(tt.old, tt.new)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("change %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestChangesAddUpToStandings: applying the changes of random creates,
// replaces and deletes to lines gives what Standings computes from the
// matches left (the domain half of the store's property test).
func TestChangesAddUpToStandings(t *testing.T) {
	names := []string{"Al", "AL", "Bea", "Cy", "Dee"}
	scoresOf := []string{"5,5", "-5,-5", "6,-4,7,10", "1,-1,1"}
	r := rand.New(rand.NewPCG(7, 14))
	current := map[int]Match{}
	lines := map[string]*Standing{}
	for step := range 500 {
		id := r.IntN(6)
		var updated *Match
		if r.IntN(4) > 0 {
			p1, p2 := names[r.IntN(len(names))], names[r.IntN(len(names))]
			if PlayerKey(p1) == PlayerKey(p2) {
				continue
			}
			m := played(t, p1, p2, scoresOf[r.IntN(len(scoresOf))])
			updated = &m
		}
		var old *Match
		if m, ok := current[id]; ok {
			old = &m
		}
		for _, c := range StandingChanges(old, updated) {
			l := lines[c.Key]
			if l == nil {
				l = &Standing{}
				lines[c.Key] = l
			}
			if c.Player != "" {
				l.Player = c.Player
			}
			l.apply(c)
		}
		if updated != nil {
			current[id] = *updated
		} else {
			delete(current, id)
		}
		var got []Standing
		var all []Match
		for _, l := range lines {
			if l.Played > 0 {
				got = append(got, *l)
			}
		}
		SortStandings(got)
		for _, m := range current {
			all = append(all, m)
		}
		want := Standings(all)
		if len(got) != len(want) {
			t.Fatalf("step %d: %d lines, want %d", step, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if PlayerKey(g.Player) != PlayerKey(w.Player) {
				t.Fatalf("step %d line %d: %+v, want %+v", step, i, g, w)
			}
			g.Player, w.Player = "", ""
			if g != w {
				t.Fatalf("step %d line %d: %+v, want %+v", step, i, got[i], want[i])
			}
		}
	}
}
