package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/scores"
)

// Standings are kept on write, one item per player of a tournament, by the
// same transaction that writes the match (see StandingChanges in writeOps
// and deleteOps). That makes them exact only because every write of a stack
// runs against one region's replica (the write region, docs/architecture.md
// "One write region"): there, a transaction's condition on the match's revision and its
// ADDs to the standing items commit together, serialised against every
// other write. With writers in several regions a global table would merge
// the regions' versions of each standing item last writer wins, item by
// item: two matches recorded at once in two regions would each add to their
// region's copy of a line, one of the two ADDs would be lost in replication,
// and a match replaced in two regions would have its old version subtracted
// twice. Nothing would ever bring the lines back to the matches except the
// repair command.

// Attribute names of a standing item, as in the API's JSON.
const (
	attrStandingPlayer = "player"
	attrPlayed         = "played"
	attrWon            = "won"
	attrLost           = "lost"
	attrGamesWon       = "games_won"
	attrGamesLost      = "games_lost"
	attrPointsWon      = "points_won"
	attrPointsLost     = "points_lost"
)

// standingItem is one player's line as stored. A line whose Played fell to
// zero (every match of the player was deleted or moved to another player)
// stays in the table but is not shown.
type standingItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Player     string `dynamodbav:"player"`
	Played     int    `dynamodbav:"played"`
	Won        int    `dynamodbav:"won"`
	Lost       int    `dynamodbav:"lost"`
	GamesWon   int    `dynamodbav:"games_won"`
	GamesLost  int    `dynamodbav:"games_lost"`
	PointsWon  int    `dynamodbav:"points_won"`
	PointsLost int    `dynamodbav:"points_lost"`
}

func (it standingItem) standing() scores.Standing {
	return scores.Standing{
		Player: it.Player, Played: it.Played, Won: it.Won, Lost: it.Lost,
		GamesWon: it.GamesWon, GamesLost: it.GamesLost, PointsWon: it.PointsWon, PointsLost: it.PointsLost,
	}
}

func standingKey(tournamentID, playerKey string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: standingsPK(tournamentID)},
		AttrSK: &types.AttributeValueMemberS{Value: standingSK(playerKey)},
	}
}

// standingOps returns one Update per changed line. ADD creates a missing
// item and adds to a present one without reading it, so two transactions on
// one line never lose each other's change; DynamoDB cancels one of two that
// overlap (TransactionConflict) and transact retries it.
func (s *Store) standingOps(tournamentID string, changes []scores.Tally) ([]types.TransactWriteItem, error) {
	ops := make([]types.TransactWriteItem, 0, len(changes))
	for _, c := range changes {
		u := expression.Add(expression.Name(attrPlayed), expression.Value(c.Played)).
			Add(expression.Name(attrWon), expression.Value(c.Won)).
			Add(expression.Name(attrLost), expression.Value(c.Lost)).
			Add(expression.Name(attrGamesWon), expression.Value(c.GamesWon)).
			Add(expression.Name(attrGamesLost), expression.Value(c.GamesLost)).
			Add(expression.Name(attrPointsWon), expression.Value(c.PointsWon)).
			Add(expression.Name(attrPointsLost), expression.Value(c.PointsLost))
		if c.Player != "" {
			// The line shows the spelling of the latest match that counted for
			// the player; names are compared case-insensitively anyway.
			u = u.Set(expression.Name(attrStandingPlayer), expression.Value(c.Player))
		}
		expr, err := expression.NewBuilder().WithUpdate(u).Build()
		if err != nil {
			return nil, fmt.Errorf("standing of %q: %w", c.Key, err)
		}
		ops = append(ops, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(s.table),
			Key:                       standingKey(tournamentID, c.Key),
			UpdateExpression:          expr.Update(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		}})
	}
	return ops, nil
}

// Standings returns a tournament's standings, ordered as scores.Standings
// orders them, with one Query of its standings partition: its cost grows
// with the number of players, never with the number of matches (a page
// holds 1 MB, several thousand players). A tournament without matches has
// none.
func (s *Store) Standings(ctx context.Context, tournamentID string) ([]scores.Standing, error) {
	if !scores.ValidID(tournamentID) {
		return nil, scores.Errorf(scores.CodeInvalid, "invalid tournament ID")
	}
	items, err := s.standingItems(ctx, standingsPartition(tournamentID))
	if err != nil {
		return nil, wrap(err, "standings of %s", tournamentID)
	}
	lines := make([]scores.Standing, 0, len(items))
	for _, it := range items {
		if it.Played > 0 {
			lines = append(lines, it.standing())
		}
	}
	scores.SortStandings(lines)
	return lines, nil
}

// standingsPartition is the key condition of a tournament's standing items.
func standingsPartition(tournamentID string) expression.KeyConditionBuilder {
	return expression.Key(AttrPK).Equal(expression.Value(standingsPK(tournamentID)))
}

// standingItems reads every standing item that matches a key condition.
func (s *Store) standingItems(ctx context.Context, key expression.KeyConditionBuilder) ([]standingItem, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(key).Build()
	if err != nil {
		return nil, internal(err)
	}
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	var items []standingItem
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		page := make([]standingItem, 0, len(out.Items))
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, internal(fmt.Errorf("unmarshal standings: %w", err))
		}
		items = append(items, page...)
	}
	return items, nil
}

// RepairReport says what RepairStandings found and did.
type RepairReport struct {
	Matches   int // matches read
	Players   int // players with a line in the recomputed standings
	Rewritten int // standing items written because they differed
	Removed   int // standing items deleted: no match counts for them, or kept under the old key
	Exact     bool
}

// RepairStandings recomputes a tournament's standings from its matches and
// rewrites every standing item that differs: for data written before
// standings were kept on write, or after a bug. It reads every match, so it
// costs what GET standings used to. The rewrite is not one transaction
// with the match reads (a tournament can hold more matches than a
// transaction holds items): a match written while it runs can be counted
// twice or not at all, so it checks its result against the matches once
// more and reports Exact; run it when no one writes the tournament, or
// again until it reports exact. Lines kept in the tournament's own
// partition, where standings lived before they had a partition of their
// own, are deleted.
func (s *Store) RepairStandings(ctx context.Context, tournamentID string) (RepairReport, error) {
	var rep RepairReport
	matches, err := s.AllTournamentMatches(ctx, tournamentID)
	if err != nil {
		return rep, err
	}
	rep.Matches = len(matches)
	want := scores.Standings(matches)
	rep.Players = len(want)
	stored, err := s.standingItems(ctx, standingsPartition(tournamentID))
	if err != nil {
		return rep, wrap(err, "repair standings of %s", tournamentID)
	}
	legacy, err := s.standingItems(ctx, expression.Key(AttrPK).Equal(expression.Value(tournamentPK(tournamentID))).
		And(expression.KeyBeginsWith(expression.Key(AttrSK), prefixStanding)))
	if err != nil {
		return rep, wrap(err, "repair standings of %s", tournamentID)
	}
	have := make(map[string]standingItem, len(stored))
	for _, it := range stored {
		have[it.SK] = it
	}
	var ops []types.TransactWriteItem
	for _, line := range want {
		it := standingItem{
			PK: standingsPK(tournamentID), SK: standingSK(scores.PlayerKey(line.Player)),
			Player: line.Player, Played: line.Played, Won: line.Won, Lost: line.Lost,
			GamesWon: line.GamesWon, GamesLost: line.GamesLost, PointsWon: line.PointsWon, PointsLost: line.PointsLost,
		}
		old, ok := have[it.SK]
		delete(have, it.SK)
		if ok && old == it {
			continue
		}
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return rep, wrap(internal(err), "repair standings of %s", tournamentID)
		}
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
		rep.Rewritten++
	}
	for _, it := range slices.Concat(slices.Collect(maps.Values(have)), legacy) {
		ops = append(ops, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table),
			Key:       map[string]types.AttributeValue{AttrPK: &types.AttributeValueMemberS{Value: it.PK}, AttrSK: &types.AttributeValueMemberS{Value: it.SK}},
		}})
		rep.Removed++
	}
	// A transaction holds at most 100 items.
	for len(ops) > 0 {
		n := min(len(ops), 100)
		if err := s.transact(ctx, ops[:n]); err != nil {
			return rep, wrap(txError(err), "repair standings of %s", tournamentID)
		}
		ops = ops[n:]
	}
	after, err := s.AllTournamentMatches(ctx, tournamentID)
	if err != nil {
		return rep, err
	}
	got, err := s.Standings(ctx, tournamentID)
	if err != nil {
		return rep, err
	}
	rep.Exact = SameStandings(got, scores.Standings(after))
	return rep, nil
}

// SameStandings reports whether two standings have the same lines in the
// same order, names compared as players are (PlayerKey): a maintained line
// shows the latest spelling of a name, a recomputed one the first.
func SameStandings(a, b []scores.Standing) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if scores.PlayerKey(x.Player) != scores.PlayerKey(y.Player) {
			return false
		}
		x.Player, y.Player = "", ""
		if x != y {
			return false
		}
	}
	return true
}

// ImportMatches writes matches and their player links as they are, 25
// items per BatchWriteItem, without conditions and without touching the
// standings: for bulk loads (a load test's seed of thousands of matches, a
// migration), which RepairStandings then completes. A match with the IDs
// of a stored one replaces it. Nothing the API serves calls it.
func (s *Store) ImportMatches(ctx context.Context, ms []scores.Match) error {
	var reqs []types.WriteRequest
	for _, m := range ms {
		if err := checkIDs(m.TournamentID, m.MatchID); err != nil {
			return err
		}
		it := newMatchItem(m)
		items := []matchItem{it, it.linkItem(playerSlots[0], m.Player1, m), it.linkItem(playerSlots[1], m.Player2, m)}
		for _, x := range items {
			av, err := marshalItem(x)
			if err != nil {
				return wrap(internal(err), "import matches")
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
	}
	for len(reqs) > 0 {
		n := min(len(reqs), 25)
		batch := map[string][]types.WriteRequest{s.table: reqs[:n]}
		reqs = reqs[n:]
		for attempt := 1; len(batch[s.table]) > 0; attempt++ {
			out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: batch})
			if err != nil {
				return wrap(classify(err), "import matches")
			}
			batch = out.UnprocessedItems
			if len(batch[s.table]) > 0 {
				if attempt == writeAttempts {
					return wrap(unavailable(fmt.Errorf("%d items left unprocessed", len(batch[s.table]))), "import matches")
				}
				if err := s.clock.Sleep(ctx, backoff(attempt)); err != nil {
					return wrap(classify(err), "import matches")
				}
			}
		}
	}
	return nil
}
