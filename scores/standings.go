package scores

import "slices"

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
		for i, t := range MatchTallies(m) {
			k, name := k1, m.Player1
			if i == 1 {
				k, name = k2, m.Player2
			}
			lines[lineOf(k, name)].apply(t)
		}
	}
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		return compareLines(&lines[i], &lines[j], keys[i], keys[j])
	})
	out := make([]Standing, len(order))
	for n, i := range order {
		out[n] = lines[i]
	}
	return out
}

// apply adds a tally to the line.
func (s *Standing) apply(t Tally) {
	s.Played += t.Played
	s.Won += t.Won
	s.Lost += t.Lost
	s.GamesWon += t.GamesWon
	s.GamesLost += t.GamesLost
	s.PointsWon += t.PointsWon
	s.PointsLost += t.PointsLost
}
