package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/scores"
)

// LinkReport says what RepairPlayerLinks found and did.
type LinkReport struct {
	Matches   int // matches read
	Rewritten int // player links written: missing, or keyed another way than PlayerKey keys them now
	Removed   int // player links deleted: the second link of a match whose players are one player, or a link without its match
	// SamePlayer lists the IDs of the matches whose two names are now one
	// player. They are kept as they are, count for nobody in the standings
	// (as NewMatch would have refused them) and show in that player's
	// history once; an admin corrects or deletes them.
	SamePlayer []string
	// Refused lists the stored names that NewMatch refuses now (mixed
	// scripts, invisible characters), with why: they stay as stored.
	Refused map[string]string
}

// RepairPlayerLinks rewrites the player links of a tournament's matches
// whose GSI1 key is not the one PlayerKey gives today: links written before
// PlayerKey dropped invisible characters (2026-12-04) for a name such as
// "Alice" followed by U+034F, which is now the player "alice". A match whose
// two names became one player keeps one link, as a match written so today
// would. Like RepairStandings, run it when no one writes the tournament;
// run RepairStandings after it, which moves standing lines to their new
// keys.
func (s *Store) RepairPlayerLinks(ctx context.Context, tournamentID string) (LinkReport, error) {
	rep := LinkReport{Refused: map[string]string{}}
	matches, err := s.AllTournamentMatches(ctx, tournamentID)
	if err != nil {
		return rep, err
	}
	rep.Matches = len(matches)
	stored, err := s.linkKeys(ctx, tournamentID)
	if err != nil {
		return rep, wrap(err, "repair player links of %s", tournamentID)
	}
	var ops []types.TransactWriteItem
	for _, m := range matches {
		players := [2]string{m.Player1, m.Player2}
		same := scores.PlayerKey(m.Player1) == scores.PlayerKey(m.Player2)
		if same {
			rep.SamePlayer = append(rep.SamePlayer, m.MatchID)
		}
		for _, p := range players {
			if why := scores.NameProblem(p); why != "" {
				rep.Refused[p] = why
			}
		}
		it := newMatchItem(m)
		for i, slot := range playerSlots {
			sk := playerLinkSK(slot, m.MatchID)
			have, ok := stored[sk]
			delete(stored, sk)
			if i == 1 && same {
				if ok {
					ops = append(ops, deleteLink(s.table, tournamentID, sk))
					rep.Removed++
				}
				continue
			}
			link := it.linkItem(slot, players[i], m)
			if ok && have == link.GSI1PK {
				continue
			}
			av, err := marshalItem(link)
			if err != nil {
				return rep, wrap(internal(err), "repair player links of %s", tournamentID)
			}
			ops = append(ops, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
			rep.Rewritten++
		}
	}
	for sk := range stored {
		ops = append(ops, deleteLink(s.table, tournamentID, sk))
		rep.Removed++
	}
	// A transaction holds at most 100 items.
	for len(ops) > 0 {
		n := min(len(ops), 100)
		if err := s.transact(ctx, ops[:n]); err != nil {
			return rep, wrap(txError(err), "repair player links of %s", tournamentID)
		}
		ops = ops[n:]
	}
	return rep, nil
}

// linkKeys returns the GSI1PK of every player link of a tournament, by SK.
func (s *Store) linkKeys(ctx context.Context, tournamentID string) (map[string]string, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(AttrPK).Equal(expression.Value(tournamentPK(tournamentID))).
			And(expression.KeyBeginsWith(expression.Key(AttrSK), prefixPlayerLink)),
	).WithProjection(expression.NamesList(expression.Name(AttrSK), expression.Name(AttrGSI1PK))).Build()
	if err != nil {
		return nil, internal(err)
	}
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    expr.KeyCondition(),
		ProjectionExpression:      expr.Projection(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	keys := map[string]string{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		for _, item := range out.Items {
			keys[stringAttr(item, AttrSK)] = stringAttr(item, AttrGSI1PK)
		}
	}
	return keys, nil
}

func deleteLink(table, tournamentID, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: tournamentPK(tournamentID)},
			AttrSK: &types.AttributeValueMemberS{Value: sk},
		},
	}}
}

// String describes the report in one line for hush-repair.
func (r LinkReport) String() string {
	return fmt.Sprintf("%d matches; %d player links rewritten, %d removed; %d matches now of one player twice %v (kept, counted for nobody: correct or delete them); %d stored names now refused",
		r.Matches, r.Rewritten, r.Removed, len(r.SamePlayer), r.SamePlayer, len(r.Refused))
}
