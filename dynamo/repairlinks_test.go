package dynamo

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/scores"
)

// TestRepairPlayerLinks: matches stored before PlayerKey dropped invisible
// characters keep links and standing lines under their old keys; repair
// moves them to the player they look like, and a match whose two names
// became one player keeps one link and counts for nobody.
func TestRepairPlayerLinks(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	client := s.client.(*dynamodb.Client)
	put := func(v any) {
		t.Helper()
		av, err := attributevalue.MarshalMap(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}); err != nil {
			t.Fatal(err)
		}
	}
	oldKey := func(name string) string { return prefixPlayer + strings.ToLower(strings.TrimSpace(name)) + "\u034f" }
	stored := []struct {
		id, p1, p2, score string
	}{
		{"m1", "Alice", "Bob", "5,4"},
		{"m2", "Alice\u034f", "Bob", "5,4"},     // looked like Alice, keyed apart
		{"m3", "Alice\u034f", "Alice", "-5,-4"}, // now one player twice
		{"m4", "\u0410lice", "Bob", "5,4"},      // mixed scripts: refused now, keeps its key
	}
	for _, sm := range stored {
		m := scores.Match{TournamentID: "lookalike", MatchID: sm.id, Player1: sm.p1, Player2: sm.p2, Score: sm.score,
			BestOf: 3, Winner: sm.p1, RecordedBy: "alice", RecordedAt: baseTime, Owner: "sub-alice"}
		sc, err := scores.ParseScore(sm.score, 3)
		if err != nil {
			t.Fatal(err)
		}
		m.Games, m.Points = sc.GamesWon, sc.Games
		it := newMatchItem(m)
		put(it)
		for i, slot := range playerSlots {
			link := it.linkItem(slot, []string{sm.p1, sm.p2}[i], m)
			if strings.HasSuffix([]string{sm.p1, sm.p2}[i], "\u034f") {
				link.GSI1PK = oldKey("Alice") // as PlayerKey keyed it before
			}
			put(link)
		}
	}
	put(standingItem{PK: standingsPK("lookalike"), SK: standingSK("alice\u034f"), Player: "Alice\u034f", Played: 2, Won: 1, Lost: 1})

	rep, err := s.RepairPlayerLinks(ctx, "lookalike")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Matches != 4 || rep.Rewritten != 2 || rep.Removed != 1 || !slices.Equal(rep.SamePlayer, []string{"m3"}) {
		t.Errorf("link repair %+v, want 4 matches, the first links of m2 and m3 rewritten, m3's second link removed, m3 one player twice", rep)
	}
	if _, ok := rep.Refused["\u0410lice"]; !ok || len(rep.Refused) != 2 {
		t.Errorf("refused names %v, want the Cyrillic Аlice and Alice+U+034F", rep.Refused)
	}
	page, err := s.PlayerMatches(ctx, "alice", scores.PageRequest{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Matches {
		ids = append(ids, m.MatchID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"m1", "m2", "m3"}) {
		t.Errorf("alice's history after repair = %v, want m1, m2, m3 once each", ids)
	}
	again, err := s.RepairPlayerLinks(ctx, "lookalike")
	if err != nil || again.Rewritten != 0 || again.Removed != 0 {
		t.Errorf("second link repair %+v, %v; want nothing to do", again, err)
	}

	if _, err := s.RepairStandings(ctx, "lookalike"); err != nil {
		t.Fatal(err)
	}
	lines, err := s.Standings(ctx, "lookalike")
	if err != nil {
		t.Fatal(err)
	}
	var alices []scores.Standing
	for _, l := range lines {
		if scores.PlayerKey(l.Player) == "alice" {
			alices = append(alices, l)
		}
	}
	if len(alices) != 1 || alices[0].Played != 2 || alices[0].Won != 2 {
		t.Errorf("Alice's lines after repair = %+v, want one line of 2 played, 2 won (m3 counts for nobody)", alices)
	}
	checkStandings(t, s, "lookalike", "after repair")
}
