package dynamo

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/scores"
)

// Attribute names of a match, snake_case like the API's JSON.
const (
	// attrOwner holds the sub of the user who wrote the match last: the
	// identity the ownership conditions compare. An item written before
	// owners existed has none, and only an admin may replace or delete it:
	// its recorded_by is a username, which Cognito may have given to
	// someone else since.
	attrOwner = "owner"
)

// matchItem is a match as stored: the match item and both player link items
// carry the same attributes, so a player's history needs no second read.
// Times are RFC 3339 strings, readable in the console and by other tools.
type matchItem struct {
	PK           string      `dynamodbav:"PK"`
	SK           string      `dynamodbav:"SK"`
	GSI1PK       string      `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK       string      `dynamodbav:"GSI1SK,omitempty"`
	TournamentID string      `dynamodbav:"tournament_id"`
	MatchID      string      `dynamodbav:"match_id"`
	Player1      string      `dynamodbav:"player1"`
	Player2      string      `dynamodbav:"player2"`
	Score        string      `dynamodbav:"score"`
	BestOf       int         `dynamodbav:"best_of"`
	PlayedAt     string      `dynamodbav:"played_at,omitempty"`
	Winner       string      `dynamodbav:"winner"`
	Games        gamesItem   `dynamodbav:"games"`
	Points       []gamesItem `dynamodbav:"points"`
	RecordedBy   string      `dynamodbav:"recorded_by"`
	RecordedAt   string      `dynamodbav:"recorded_at"`
	Owner        string      `dynamodbav:"owner,omitempty"`
}

// gamesItem holds a pair of numbers of the two players: games won, or the
// points of one game.
type gamesItem struct {
	Player1 int `dynamodbav:"player1"`
	Player2 int `dynamodbav:"player2"`
}

func newMatchItem(m scores.Match) matchItem {
	it := matchItem{
		PK:           tournamentPK(m.TournamentID),
		SK:           matchSK(m.MatchID),
		TournamentID: m.TournamentID,
		MatchID:      m.MatchID,
		Player1:      m.Player1,
		Player2:      m.Player2,
		Score:        m.Score,
		BestOf:       m.BestOf,
		Winner:       m.Winner,
		Games:        gamesItem(m.Games),
		Points:       make([]gamesItem, len(m.Points)),
		RecordedBy:   m.RecordedBy,
		RecordedAt:   m.RecordedAt.UTC().Format(time.RFC3339Nano),
		Owner:        m.Owner,
	}
	for i, p := range m.Points {
		it.Points[i] = gamesItem(p)
	}
	if m.PlayedAt != nil {
		it.PlayedAt = m.PlayedAt.UTC().Format(time.RFC3339Nano)
	}
	return it
}

// linkItem returns the link of one player slot of the match item.
func (it matchItem) linkItem(slot, player string, m scores.Match) matchItem {
	link := it
	link.SK = playerLinkSK(slot, m.MatchID)
	link.GSI1PK = playerPK(player)
	link.GSI1SK = playerSK(m)
	return link
}

func (it matchItem) match() (scores.Match, error) {
	m := scores.Match{
		TournamentID: it.TournamentID,
		MatchID:      it.MatchID,
		Player1:      it.Player1,
		Player2:      it.Player2,
		Score:        it.Score,
		BestOf:       it.BestOf,
		Winner:       it.Winner,
		Games:        scores.GameCount(it.Games),
		Points:       make([]scores.GamePoints, len(it.Points)),
		RecordedBy:   it.RecordedBy,
		Owner:        it.Owner,
	}
	for i, p := range it.Points {
		m.Points[i] = scores.GamePoints(p)
	}
	var err error
	if m.RecordedAt, err = time.Parse(time.RFC3339Nano, it.RecordedAt); err != nil {
		return scores.Match{}, fmt.Errorf("recorded_at of %s/%s: %w", it.PK, it.SK, err)
	}
	if it.PlayedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, it.PlayedAt)
		if err != nil {
			return scores.Match{}, fmt.Errorf("played_at of %s/%s: %w", it.PK, it.SK, err)
		}
		m.PlayedAt = &t
	}
	return m, nil
}

func marshalItem(it matchItem) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("marshal %s/%s: %w", it.PK, it.SK, err)
	}
	return av, nil
}

func unmarshalMatch(av map[string]types.AttributeValue) (scores.Match, error) {
	var it matchItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return scores.Match{}, fmt.Errorf("unmarshal item: %w", err)
	}
	return it.match()
}

func unmarshalMatches(items []map[string]types.AttributeValue) ([]scores.Match, error) {
	out := make([]scores.Match, 0, len(items))
	for _, av := range items {
		m, err := unmarshalMatch(av)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
