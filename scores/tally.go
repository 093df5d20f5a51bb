package scores

import (
	"cmp"
	"slices"
)

// Tally is a change to one player's line in a tournament's standings: what
// one match adds, or the net of taking one version of a match away and
// adding another. Key is the player's PlayerKey; Player the name to show.
type Tally struct {
	Key        string
	Player     string
	Played     int
	Won        int
	Lost       int
	GamesWon   int
	GamesLost  int
	PointsWon  int
	PointsLost int
}

// IsZero reports whether the tally changes nothing.
func (t Tally) IsZero() bool {
	return t.Played == 0 && t.Won == 0 && t.Lost == 0 && t.GamesWon == 0 &&
		t.GamesLost == 0 && t.PointsWon == 0 && t.PointsLost == 0
}

func (t *Tally) add(o Tally, sign int) {
	t.Played += sign * o.Played
	t.Won += sign * o.Won
	t.Lost += sign * o.Lost
	t.GamesWon += sign * o.GamesWon
	t.GamesLost += sign * o.GamesLost
	t.PointsWon += sign * o.PointsWon
	t.PointsLost += sign * o.PointsLost
}

// MatchTallies returns what m adds to its two players' lines, by the same
// rules as Standings: none for a match whose score does not parse or whose
// players are one player.
func MatchTallies(m Match) []Tally {
	k1, k2 := PlayerKey(m.Player1), PlayerKey(m.Player2)
	if k1 == k2 {
		return nil
	}
	points := m.Points
	if len(points) == 0 {
		sc, err := ParseScore(m.Score, m.BestOf)
		if err != nil {
			return nil
		}
		points = sc.Games
	}
	var g1, g2, p1, p2 int
	for _, gp := range points {
		p1 += gp.Player1
		p2 += gp.Player2
		if gp.Player1 > gp.Player2 {
			g1++
		} else {
			g2++
		}
	}
	return []Tally{tally(k1, m.Player1, g1, g2, p1, p2), tally(k2, m.Player2, g2, g1, p2, p1)}
}

func tally(key, name string, gamesWon, gamesLost, pointsWon, pointsLost int) Tally {
	t := Tally{Key: key, Player: name, Played: 1, GamesWon: gamesWon, GamesLost: gamesLost, PointsWon: pointsWon, PointsLost: pointsLost}
	if gamesWon > gamesLost {
		t.Won = 1
	} else {
		t.Lost = 1
	}
	return t
}

// StandingChanges returns what replacing old by updated changes in the
// standings, one tally per player whose line changes, ordered by key. Either
// may be nil: a create has no old match, a delete no updated one. A player
// of both keeps the name of updated; a player only of old has an empty
// Player, since a subtraction has no name to show.
func StandingChanges(old, updated *Match) []Tally {
	var out []Tally
	merge := func(m *Match, sign int) {
		if m == nil {
			return
		}
		for _, t := range MatchTallies(*m) {
			i := slices.IndexFunc(out, func(o Tally) bool { return o.Key == t.Key })
			if i < 0 {
				out = append(out, Tally{Key: t.Key})
				i = len(out) - 1
			}
			out[i].add(t, sign)
			if sign > 0 {
				out[i].Player = t.Player
			}
		}
	}
	merge(old, -1)
	merge(updated, 1)
	out = slices.DeleteFunc(out, Tally.IsZero)
	slices.SortFunc(out, func(a, b Tally) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// SortStandings orders lines as Standings does: by wins, then game
// difference, then point difference (all descending), then name
// case-insensitively, then the exact name.
func SortStandings(lines []Standing) {
	slices.SortFunc(lines, func(a, b Standing) int {
		return compareLines(&a, &b, PlayerKey(a.Player), PlayerKey(b.Player))
	})
}

func compareLines(a, b *Standing, keyA, keyB string) int {
	return cmp.Or(
		cmp.Compare(b.Won, a.Won),
		cmp.Compare(b.GamesWon-b.GamesLost, a.GamesWon-a.GamesLost),
		cmp.Compare(b.PointsWon-b.PointsLost, a.PointsWon-a.PointsLost),
		cmp.Compare(keyA, keyB),
		cmp.Compare(a.Player, b.Player),
	)
}
