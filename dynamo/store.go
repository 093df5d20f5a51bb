package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/scores"
)

// Page sizes: the handler validates 1..MaxPageLimit; the store clamps too.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 100
)

// Reasons DynamoDB gives for cancelling a transaction.
const (
	reasonConditionFailed = "ConditionalCheckFailed"
	reasonTxConflict      = "TransactionConflict"
)

// txAttempts bounds the retries of a transaction that another transaction on
// the same items cancelled; such conflicts clear within milliseconds.
const txAttempts = 5

// api is the part of the DynamoDB client the store uses.
type api interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store keeps matches in Hush's single table. It implements scores.Store;
// every read method makes exactly one DynamoDB request (AllTournamentMatches
// more only for a tournament over 1 MB), and nothing scans.
type Store struct {
	client api
	table  string
}

var _ scores.Store = (*Store)(nil)

// NewStore returns a store of the table named table. Build client with
// ConfigureClient so calls to a dead table fail fast.
func NewStore(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

// CreateMatch stores m and its two player links in one transaction unless
// the match exists, which is CodeConflict.
func (s *Store) CreateMatch(ctx context.Context, m scores.Match) error {
	if err := checkIDs(m.TournamentID, m.MatchID); err != nil {
		return err
	}
	cond := expression.AttributeNotExists(expression.Name(AttrPK))
	tx, err := s.writeOps(m, &cond)
	if err != nil {
		return wrap(internal(err), "create match %s/%s", m.TournamentID, m.MatchID)
	}
	if err := s.transact(ctx, tx); err != nil {
		if reasonCode(cancellation(err), 0) == reasonConditionFailed {
			err = scores.Errorf(scores.CodeConflict, "match %s of tournament %s exists already", m.MatchID, m.TournamentID)
		}
		return wrap(txError(err), "create match %s/%s", m.TournamentID, m.MatchID)
	}
	return nil
}

// PutMatch stores m, creating it or replacing the match with its IDs if
// caller owns it (the stored owner is caller.Sub) or is an admin; otherwise
// it is CodeForbidden, also for a match stored before owners existed. One
// transaction decides: the ownership check is the write's own condition, so
// two concurrent PUTs by different users cannot take a match from its owner,
// and a replace costs no more than a create.
func (s *Store) PutMatch(ctx context.Context, m scores.Match, caller scores.Caller) error {
	if err := checkIDs(m.TournamentID, m.MatchID); err != nil {
		return err
	}
	var cond *expression.ConditionBuilder
	if !caller.IsAdmin() {
		if caller.Sub == "" {
			return forbidden(m.TournamentID, m.MatchID)
		}
		c := expression.AttributeNotExists(expression.Name(AttrPK)).
			Or(expression.Name(attrOwner).Equal(expression.Value(caller.Sub)))
		cond = &c
	}
	tx, err := s.writeOps(m, cond)
	if err != nil {
		return wrap(internal(err), "put match %s/%s", m.TournamentID, m.MatchID)
	}
	if err := s.transact(ctx, tx); err != nil {
		if reasonCode(cancellation(err), 0) == reasonConditionFailed {
			err = forbidden(m.TournamentID, m.MatchID)
		}
		return wrap(txError(err), "put match %s/%s", m.TournamentID, m.MatchID)
	}
	return nil
}

// GetMatch returns one match, or CodeNotFound.
func (s *Store) GetMatch(ctx context.Context, tournamentID, matchID string) (scores.Match, error) {
	if err := checkIDs(tournamentID, matchID); err != nil {
		return scores.Match{}, err
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            matchKey(tournamentID, matchID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return scores.Match{}, wrap(classify(err), "get match %s/%s", tournamentID, matchID)
	}
	if out.Item == nil {
		return scores.Match{}, wrap(notFound(tournamentID, matchID), "get match %s/%s", tournamentID, matchID)
	}
	m, err := unmarshalMatch(out.Item)
	if err != nil {
		return scores.Match{}, wrap(internal(err), "get match %s/%s", tournamentID, matchID)
	}
	return m, nil
}

// DeleteMatch removes a match and its player links in one transaction whose
// condition holds the ownership check: CodeNotFound when missing,
// CodeForbidden when caller.Sub does not own it and caller is no admin.
func (s *Store) DeleteMatch(ctx context.Context, tournamentID, matchID string, caller scores.Caller) error {
	if err := checkIDs(tournamentID, matchID); err != nil {
		return err
	}
	cond := expression.AttributeExists(expression.Name(AttrPK))
	if !caller.IsAdmin() {
		// An empty sub matches no owner; the condition then tells a
		// missing match (404) from another's (403) as for anyone.
		cond = expression.Name(attrOwner).Equal(expression.Value(caller.Sub))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return wrap(internal(err), "delete match %s/%s", tournamentID, matchID)
	}
	tx := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName:                           aws.String(s.table),
		Key:                                 matchKey(tournamentID, matchID),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	for _, slot := range playerSlots {
		tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table),
			Key:       linkKey(tournamentID, slot, matchID),
		}})
	}
	err = s.transact(ctx, tx)
	if err == nil {
		return nil
	}
	reasons := cancellation(err)
	if reasonCode(reasons, 0) == reasonConditionFailed {
		_, found, gerr := oldItem(reasons)
		switch {
		case gerr != nil:
			err = gerr
		case found && !caller.IsAdmin():
			err = forbidden(tournamentID, matchID)
		default:
			err = notFound(tournamentID, matchID)
		}
	}
	return wrap(txError(err), "delete match %s/%s", tournamentID, matchID)
}

// TournamentMatches returns a page of a tournament's matches ordered by
// match ID, with one Query. The key condition keeps the player links, which
// share the partition, out of the result.
func (s *Store) TournamentMatches(ctx context.Context, tournamentID string, page scores.PageRequest) (scores.Page, error) {
	if !scores.ValidID(tournamentID) {
		return scores.Page{}, scores.Errorf(scores.CodeInvalid, "invalid tournament ID")
	}
	var start map[string]types.AttributeValue
	if page.Cursor != "" {
		var err error
		if start, err = decodeTournamentCursor(tournamentID, page.Cursor); err != nil {
			return scores.Page{}, wrap(err, "list tournament %s", tournamentID)
		}
	}
	limit := pageLimit(page.Limit)
	in, err := s.tournamentQuery(tournamentID)
	if err != nil {
		return scores.Page{}, wrap(internal(err), "list tournament %s", tournamentID)
	}
	in.ExclusiveStartKey = start
	// One more than asked tells whether another page exists, so the last
	// page carries no cursor.
	in.Limit = aws.Int32(int32(limit + 1))
	out, err := s.client.Query(ctx, in)
	if err != nil {
		return scores.Page{}, wrap(classify(err), "list tournament %s", tournamentID)
	}
	items, more := trim(out, limit)
	matches, err := unmarshalMatches(items)
	if err != nil {
		return scores.Page{}, wrap(internal(err), "list tournament %s", tournamentID)
	}
	result := scores.Page{Matches: matches}
	if more {
		result.Cursor = tournamentCursor(tournamentID, stringAttr(items[len(items)-1], AttrSK))
	}
	return result, nil
}

// AllTournamentMatches returns every match of a tournament ordered by match
// ID: one Query unless the tournament's matches exceed a 1 MB page.
func (s *Store) AllTournamentMatches(ctx context.Context, tournamentID string) ([]scores.Match, error) {
	if !scores.ValidID(tournamentID) {
		return nil, scores.Errorf(scores.CodeInvalid, "invalid tournament ID")
	}
	in, err := s.tournamentQuery(tournamentID)
	if err != nil {
		return nil, wrap(internal(err), "list all of tournament %s", tournamentID)
	}
	var matches []scores.Match
	p := dynamodb.NewQueryPaginator(s.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(classify(err), "list all of tournament %s", tournamentID)
		}
		ms, err := unmarshalMatches(out.Items)
		if err != nil {
			return nil, wrap(internal(err), "list all of tournament %s", tournamentID)
		}
		matches = append(matches, ms...)
	}
	if matches == nil {
		matches = []scores.Match{}
	}
	return matches, nil
}

// PlayerMatches returns a page of a player's matches across tournaments,
// newest first, with one Query of GSI1.
func (s *Store) PlayerMatches(ctx context.Context, player string, page scores.PageRequest) (scores.Page, error) {
	if scores.PlayerKey(player) == "" {
		return scores.Page{}, scores.Errorf(scores.CodeInvalid, "invalid player name")
	}
	var start map[string]types.AttributeValue
	if page.Cursor != "" {
		var err error
		if start, err = decodePlayerCursor(player, page.Cursor); err != nil {
			return scores.Page{}, wrap(err, "list player %q", player)
		}
	}
	limit := pageLimit(page.Limit)
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(AttrGSI1PK).Equal(expression.Value(playerPK(player)))).
		Build()
	if err != nil {
		return scores.Page{}, wrap(internal(err), "list player %q", player)
	}
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(IndexGSI1),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		ExclusiveStartKey:         start,
		Limit:                     aws.Int32(int32(limit + 1)),
	})
	if err != nil {
		return scores.Page{}, wrap(classify(err), "list player %q", player)
	}
	items, more := trim(out, limit)
	matches, err := unmarshalMatches(items)
	if err != nil {
		return scores.Page{}, wrap(internal(err), "list player %q", player)
	}
	result := scores.Page{Matches: matches}
	if more {
		last := items[len(items)-1]
		result.Cursor = playerCursor(player, stringAttr(last, AttrGSI1SK), stringAttr(last, AttrPK), stringAttr(last, AttrSK))
	}
	return result, nil
}

// Ping reads one fixed key; whether it exists does not matter. It is a
// GetItem rather than DescribeTable so the health check needs no IAM action
// beyond what reads need.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table),
		Key: map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: healthKey},
			AttrSK: &types.AttributeValueMemberS{Value: healthKey},
		},
	})
	if err != nil {
		return wrap(classify(err), "ping table %s", s.table)
	}
	return nil
}

// writeOps returns the transaction that writes m's match item under cond and
// its player links. A link is keyed by slot, so a replace that changes the
// players overwrites the old links and the old player's history loses the
// match. When both names are one player, the second link is deleted so the
// match does not appear twice in that player's history.
func (s *Store) writeOps(m scores.Match, cond *expression.ConditionBuilder) ([]types.TransactWriteItem, error) {
	it := newMatchItem(m)
	av, err := marshalItem(it)
	if err != nil {
		return nil, err
	}
	put := &types.Put{TableName: aws.String(s.table), Item: av}
	if cond != nil {
		expr, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			return nil, err
		}
		put.ConditionExpression = expr.Condition()
		put.ExpressionAttributeNames = expr.Names()
		put.ExpressionAttributeValues = expr.Values()
		put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	tx := []types.TransactWriteItem{{Put: put}}
	players := [2]string{m.Player1, m.Player2}
	for i, slot := range playerSlots {
		if i == 1 && scores.PlayerKey(players[0]) == scores.PlayerKey(players[1]) {
			tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{
				TableName: aws.String(s.table),
				Key:       linkKey(m.TournamentID, slot, m.MatchID),
			}})
			continue
		}
		av, err := marshalItem(it.linkItem(slot, players[i], m))
		if err != nil {
			return nil, err
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
	}
	return tx, nil
}

// transact runs a transaction, retrying it a few times when another
// transaction on the same items cancelled it.
func (s *Store) transact(ctx context.Context, tx []types.TransactWriteItem) error {
	for attempt := 1; ; attempt++ {
		_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		if err == nil || attempt == txAttempts || !hasReason(cancellation(err), reasonTxConflict) {
			return err
		}
		// The other transaction usually commits within milliseconds; jitter
		// keeps a crowd of writers from colliding again in step.
		delay := time.Duration(attempt)*10*time.Millisecond + rand.N(10*time.Millisecond) //nolint:gosec // jitter between retries, not a secret
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// oldItem returns the stored item that failed the condition of the first
// operation. DynamoDB returns it in the cancellation reason because the
// operation asks for it (ReturnValuesOnConditionCheckFailure ALL_OLD, which
// DynamoDB Local 3.x supports in transactions as well); an empty item means
// none was stored. So the outcome needs no second read, and the decision is
// about the very item the condition saw.
func oldItem(reasons []types.CancellationReason) (matchItem, bool, error) {
	var it matchItem
	if len(reasons) == 0 {
		return it, false, internal(errors.New("transaction cancelled without reasons"))
	}
	if len(reasons[0].Item) == 0 {
		return it, false, nil
	}
	if err := attributevalue.UnmarshalMap(reasons[0].Item, &it); err != nil {
		return it, false, internal(fmt.Errorf("unmarshal stored item: %w", err))
	}
	return it, true, nil
}

func (s *Store) tournamentQuery(tournamentID string) (*dynamodb.QueryInput, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(AttrPK).Equal(expression.Value(tournamentPK(tournamentID))).
			And(expression.KeyBeginsWith(expression.Key(AttrSK), prefixMatch)),
	).Build()
	if err != nil {
		return nil, err
	}
	return &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	}, nil
}

// trim cuts a Query result asked with limit+1 to limit items and reports
// whether more follow. A result DynamoDB cut at 1 MB also has more.
func trim(out *dynamodb.QueryOutput, limit int) ([]map[string]types.AttributeValue, bool) {
	items := out.Items
	if len(items) > limit {
		return items[:limit], true
	}
	return items, len(out.LastEvaluatedKey) > 0 && len(items) > 0
}

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPageLimit
	case n > MaxPageLimit:
		return MaxPageLimit
	}
	return n
}

func matchKey(tournamentID, matchID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: tournamentPK(tournamentID)},
		AttrSK: &types.AttributeValueMemberS{Value: matchSK(matchID)},
	}
}

func linkKey(tournamentID, slot, matchID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: tournamentPK(tournamentID)},
		AttrSK: &types.AttributeValueMemberS{Value: playerLinkSK(slot, matchID)},
	}
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// checkIDs refuses IDs that could bend the key scheme; the handlers validate
// them first, this is the store's own guard.
func checkIDs(tournamentID, matchID string) error {
	if !scores.ValidID(tournamentID) {
		return scores.Errorf(scores.CodeInvalid, "invalid tournament ID")
	}
	if !scores.ValidID(matchID) {
		return scores.Errorf(scores.CodeInvalid, "invalid match ID")
	}
	return nil
}

func notFound(tournamentID, matchID string) error {
	return scores.Errorf(scores.CodeNotFound, "match %s of tournament %s not found", matchID, tournamentID)
}

func forbidden(tournamentID, matchID string) error {
	return scores.Errorf(scores.CodeForbidden, "match %s of tournament %s was recorded by another user", matchID, tournamentID)
}

// txError maps what is left of a transaction error once the callers have
// read the condition failures: a transaction that kept colliding with
// others is a conflict, throttling means unavailable.
func txError(err error) error {
	reasons := cancellation(err)
	switch {
	case reasons == nil:
		return classify(err)
	case hasReason(reasons, reasonTxConflict):
		return &scores.Error{Code: scores.CodeConflict, Message: "the match is being written by another request, try again", Err: err}
	case hasReason(reasons, "ThrottlingError"), hasReason(reasons, "ProvisionedThroughputExceeded"):
		return unavailable(err)
	}
	return classify(err)
}
