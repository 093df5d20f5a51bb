package scores

import (
	"cmp"
	"slices"
)

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

// Standings computes the standings of a tournament from its matches: one line
// per player, players told apart by PlayerKey and shown by the name first
// seen in matches. Lines are ordered by wins, then game difference, then
// point difference (all descending), then name, case-insensitively, with the
// exact name last so the order never depends on the input order.
//
// Games and points come from a match's Points. A match without them (written
// before they were derived) is read from its Score; a match whose score does
// not parse, or whose players are one player, counts for nobody.
func Standings(matches []Match) []Standing {
	index := make(map[string]int)  // PlayerKey -> line
	byName := make(map[string]int) // exact name -> line, to skip PlayerKey for names seen before
	lines := make([]Standing, 0, 8)
	keys := make([]string, 0, 8)
	lineOf := func(key, name string) int {
		i, ok := index[key]
		if !ok {
			i = len(lines)
			index[key] = i
			lines = append(lines, Standing{Player: name})
			keys = append(keys, key)
		}
		byName[name] = i
		return i
	}
	key := func(name string) string {
		if i, ok := byName[name]; ok {
			return keys[i]
		}
		return PlayerKey(name)
	}
	for _, m := range matches {
		k1, k2 := key(m.Player1), key(m.Player2)
		if k1 == k2 {
			continue
		}
		points := m.Points
		if len(points) == 0 {
			sc, err := ParseScore(m.Score, m.BestOf)
			if err != nil {
				continue
			}
			points = sc.Games
		}
		var g GameCount
		var p1, p2 int
		for _, gp := range points {
			p1 += gp.Player1
			p2 += gp.Player2
			if gp.Player1 > gp.Player2 {
				g.Player1++
			} else {
				g.Player2++
			}
		}
		i1 := lineOf(k1, m.Player1)
		i2 := lineOf(k2, m.Player2)
		lines[i1].add(g.Player1, g.Player2, p1, p2)
		lines[i2].add(g.Player2, g.Player1, p2, p1)
	}
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &lines[i], &lines[j]
		return cmp.Or(
			cmp.Compare(b.Won, a.Won),
			cmp.Compare(b.GamesWon-b.GamesLost, a.GamesWon-a.GamesLost),
			cmp.Compare(b.PointsWon-b.PointsLost, a.PointsWon-a.PointsLost),
			cmp.Compare(keys[i], keys[j]),
			cmp.Compare(a.Player, b.Player),
		)
	})
	out := make([]Standing, len(order))
	for n, i := range order {
		out[n] = lines[i]
	}
	return out
}

// add counts one match for the player: the games and points they won and lost.
func (s *Standing) add(gamesWon, gamesLost, pointsWon, pointsLost int) {
	s.Played++
	if gamesWon > gamesLost {
		s.Won++
	} else {
		s.Lost++
	}
	s.GamesWon += gamesWon
	s.GamesLost += gamesLost
	s.PointsWon += pointsWon
	s.PointsLost += pointsLost
}
