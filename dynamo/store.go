package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

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

// Retries of a write that another write cancelled: a transaction touching
// an item another transaction holds (TransactionConflict, frequent now that
// every match of a tournament updates its players' standing items), or a
// replace or delete whose match changed between its read and its write.
// Backoff is exponential with full jitter, so a crowd of writers on one
// tournament spreads out instead of colliding again in step.
//
// The budget is the caller's deadline (the write handler bounds every
// write to api.DefaultWriteTimeout): a write retries only while the time
// left holds the next backoff and another attempt (twice its own longest
// so far, or the longest of any write of late: see write), and otherwise
// gives up at once with CodeBusy, which the API answers 429 with
// Retry-After. So contention never runs into the deadline and becomes a
// 503, which would say the table is out of reach and fire the 5XX alarms. writeAttempts bounds the retries of a caller without a
// deadline (the repair tool).
const (
	writeAttempts = 16
	backoffBase   = 5 * time.Millisecond
	backoffCap    = 500 * time.Millisecond
)

// clock is what a write's retries read and wait on; tests give a fake one.
type clock interface {
	Now() time.Time
	// Sleep waits d, or returns ctx's error when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// api is the part of the DynamoDB client the store uses.
type api interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Store keeps matches in Hush's single table. It implements scores.Store.
// Every read method makes exactly one DynamoDB request (Standings more only
// beyond 1 MB of standing items, AllTournamentMatches beyond 1 MB of
// matches), and nothing scans. A create is one TransactWriteItems; a
// replace or delete is a GetItem and a TransactWriteItems (more only when
// another write got in between). Every write must go to one region's
// replica, the write region: standings.go says why.
type Store struct {
	client api
	table  string
	clock  clock
	// peak is the longest write attempt of late, for the retry budget.
	peak attemptPeak
}

var _ scores.Store = (*Store)(nil)

// NewStore returns a store of the table named table. Build client with
// ConfigureClient so calls to a dead table fail fast.
func NewStore(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table, clock: realClock{}}
}

// CreateMatch stores m, its two player links and its players' standings in
// one transaction unless the match exists, which is CodeConflict. It reads
// nothing first: a new match has no old version to subtract.
func (s *Store) CreateMatch(ctx context.Context, m scores.Match) error {
	if err := checkIDs(m.TournamentID, m.MatchID); err != nil {
		return err
	}
	err := s.write(ctx, false, m.TournamentID, m.MatchID, func(*matchItem) ([]types.TransactWriteItem, error) {
		return s.writeOps(m, nil)
	})
	if reasonCode(cancellation(err), 0) == reasonConditionFailed {
		err = scores.Errorf(scores.CodeConflict, "match %s of tournament %s exists already", m.MatchID, m.TournamentID)
	}
	return wrapWrite(err, "create match %s/%s", m.TournamentID, m.MatchID)
}

// PutMatch stores m, creating it or replacing the match with its IDs if
// caller owns it (the stored owner is caller.Sub) or is an admin; otherwise
// it is CodeForbidden, also for a match stored before owners existed. It reads
// the stored match (to take its old result out of the standings and to
// check ownership), then writes on condition that the match is still as it
// read it; so two concurrent PUTs by different users cannot take a
// match from its owner, and no result is ever subtracted twice.
func (s *Store) PutMatch(ctx context.Context, m scores.Match, caller scores.Caller) error {
	if err := checkIDs(m.TournamentID, m.MatchID); err != nil {
		return err
	}
	if !caller.IsAdmin() && caller.Sub == "" {
		return forbidden(m.TournamentID, m.MatchID)
	}
	err := s.write(ctx, true, m.TournamentID, m.MatchID, func(old *matchItem) ([]types.TransactWriteItem, error) {
		if old != nil && !mayChange(*old, caller) {
			return nil, forbidden(m.TournamentID, m.MatchID)
		}
		return s.writeOps(m, old)
	})
	return wrapWrite(err, "put match %s/%s", m.TournamentID, m.MatchID)
}

// mayChange reports whether caller may replace or delete the stored match:
// an admin, or the user whose sub owns it. A match stored before owners
// existed has none, so only an admin may change it; an empty sub owns
// nothing.
func mayChange(old matchItem, caller scores.Caller) bool {
	return caller.IsAdmin() || caller.Sub != "" && old.Owner == caller.Sub
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

// DeleteMatch removes a match and its player links and takes its result
// out of the standings, in one transaction on condition that the match is
// still as it read it: CodeNotFound when missing, CodeForbidden when
// caller.Sub does not own it and caller is no admin.
func (s *Store) DeleteMatch(ctx context.Context, tournamentID, matchID string, caller scores.Caller) error {
	if err := checkIDs(tournamentID, matchID); err != nil {
		return err
	}
	err := s.write(ctx, true, tournamentID, matchID, func(old *matchItem) ([]types.TransactWriteItem, error) {
		switch {
		case old == nil:
			return nil, notFound(tournamentID, matchID)
		case !mayChange(*old, caller):
			return nil, forbidden(tournamentID, matchID)
		}
		return s.deleteOps(*old)
	})
	return wrapWrite(err, "delete match %s/%s", tournamentID, matchID)
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

// write runs one write of a match. With read it first reads the stored
// match (nil when there is none) with a strongly consistent GetItem;
// decide turns that into the transaction, or an error that ends the write.
// The transaction's first operation is the match's own, conditioned on the
// match being as read (unchanged), so a cancellation naming it means the match changed in
// between: the write then reads again. Cancellations by other transactions
// are retried too; both back off. Without read, a failed condition is
// returned for the caller to name.
func (s *Store) write(ctx context.Context, read bool, tournamentID, matchID string, decide func(old *matchItem) ([]types.TransactWriteItem, error)) error {
	var longest time.Duration
	for attempt := 1; ; attempt++ {
		start := s.clock.Now()
		var old *matchItem
		if read {
			var err error
			if old, _, err = s.storedMatch(ctx, tournamentID, matchID); err != nil {
				return err
			}
		}
		tx, err := decide(old)
		if err != nil {
			return err
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
		took := s.clock.Now().Sub(start)
		if err == nil {
			s.peak.observe(s.clock.Now(), took, true)
			return nil
		}
		longest = max(longest, took)
		reasons := cancellation(err)
		stale := read && reasonCode(reasons, 0) == reasonConditionFailed
		busy := hasReason(reasons, reasonTxConflict) || localLockTimeout(err)
		if !stale && !busy {
			// A timeout or an outage says nothing of how long an
			// attempt takes, so it does not count in the peak.
			return err
		}
		s.peak.observe(s.clock.Now(), took, false)
		// Room for twice the longest attempt of this write, and for the
		// longest attempt of any write of late: a cancelled attempt
		// returns at once, so this write's own may all have been quick
		// while one that commits takes longer, and an attempt that runs
		// into the deadline is a 503 whose write may even have committed.
		delay := backoff(attempt)
		if attempt == writeAttempts || !s.fits(ctx, delay+max(2*longest, s.peak.get(s.clock.Now()))) {
			return &scores.Error{Code: scores.CodeBusy, Message: busyMessage, Err: err}
		}
		if err := s.clock.Sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// peakWindow is how long a slow attempt counts in attemptPeak.
const peakWindow = 30 * time.Second

// firstAttemptGuess is what a write attempt is assumed to take until one
// has committed within the last window: the first call of a Lambda
// instance to the write region may open a connection to another continent
// (TCP and TLS handshakes, then the transaction: several round trips of up
// to 150 ms), and the attempts a write sees first may all be cancellations
// for contention, which return at once and say nothing of how long a
// commit takes.
const firstAttemptGuess = 500 * time.Millisecond

// attemptPeak keeps the longest write attempt (read and transaction) of
// the last peakWindow or two: the current window's and the previous
// one's.
type attemptPeak struct {
	mu        sync.Mutex
	cur, prev time.Duration
	committed bool // an attempt committed in the current or previous window
	since     time.Time
}

func (p *attemptPeak) rotate(now time.Time) {
	switch {
	case now.Sub(p.since) >= 2*peakWindow:
		p.cur, p.prev, p.committed, p.since = 0, 0, false, now
	case now.Sub(p.since) >= peakWindow:
		p.cur, p.prev, p.since = 0, p.cur, now
	}
}

// observe notes an attempt that took d and, with committed, ended in a
// commit.
func (p *attemptPeak) observe(now time.Time, d time.Duration, committed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rotate(now)
	p.cur = max(p.cur, d)
	p.committed = p.committed || committed
}

// get returns how long an attempt may take.
func (p *attemptPeak) get(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rotate(now)
	if !p.committed {
		return max(p.cur, p.prev, firstAttemptGuess)
	}
	return max(p.cur, p.prev)
}

// busyMessage is what a client refused for contention reads (429).
const busyMessage = "other writes to this tournament got in first: try again"

// fits reports whether d more still ends before ctx's deadline.
func (s *Store) fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || s.clock.Now().Add(d).Before(deadline)
}

// localLockTimeout reports DynamoDB Local's way of saying what DynamoDB
// says with TransactionConflict: when transactions queue for the same
// items longer than its lock timeout (a busy machine, a crowd of writers on
// one tournament), it answers 500 "This action timed out because it too long
// waiting for a lock. This request will succeed in actual DynamoDB API".
// DynamoDB itself never sends this message, so the check costs nothing there.
func localLockTimeout(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "InternalServerError" &&
		strings.Contains(api.ErrorMessage(), "waiting for a lock")
}

// backoff returns the wait before attempt+1: a random time up to an
// exponentially growing, capped bound ("full jitter").
func backoff(attempt int) time.Duration {
	bound := min(backoffCap, backoffBase<<min(attempt, 16))
	return rand.N(bound) + time.Millisecond //nolint:gosec // jitter between retries, not a secret
}

// storedMatch reads the match item as the write region holds it now, and
// whether there is one.
func (s *Store) storedMatch(ctx context.Context, tournamentID, matchID string) (*matchItem, bool, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            matchKey(tournamentID, matchID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, false, classify(err)
	}
	if out.Item == nil {
		return nil, false, nil
	}
	var it matchItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, false, internal(fmt.Errorf("unmarshal stored match: %w", err))
	}
	return &it, true, nil
}

// unchanged is the condition that the stored match is still what the
// write read, in everything the write's decision rests on: the players and
// score it takes out of the standings, and the owner it checked. Comparing
// these rather than a version number lets concurrent replaces that change
// neither (an owner saving the same result twice, a played_at fix) all
// commit instead of retrying each other, and it holds for items written
// before standings existed.
func unchanged(old *matchItem) expression.ConditionBuilder {
	if old == nil {
		return expression.AttributeNotExists(expression.Name(AttrPK))
	}
	owner := expression.AttributeNotExists(expression.Name(attrOwner))
	if old.Owner != "" {
		owner = expression.Name(attrOwner).Equal(expression.Value(old.Owner))
	}
	return expression.And(
		expression.Name("player1").Equal(expression.Value(old.Player1)),
		expression.Name("player2").Equal(expression.Value(old.Player2)),
		expression.Name("score").Equal(expression.Value(old.Score)),
		owner,
	)
}

// writeOps returns the transaction that replaces old (nil for none) by m:
// the match item on condition that old is still stored, its player links
// and the changes to the standings. A link is keyed by slot, so a replace
// that changes the players overwrites the old links and the old player's
// history loses the match. When both names are one player (only in items
// older than NewMatch's check), the second link is deleted so the match
// does not appear twice in that player's history.
func (s *Store) writeOps(m scores.Match, old *matchItem) ([]types.TransactWriteItem, error) {
	it := newMatchItem(m)
	var before *scores.Match
	if old != nil {
		om, err := old.match()
		if err != nil {
			return nil, internal(err)
		}
		before = &om
	}
	av, err := marshalItem(it)
	if err != nil {
		return nil, internal(err)
	}
	expr, err := expression.NewBuilder().WithCondition(unchanged(old)).Build()
	if err != nil {
		return nil, internal(err)
	}
	tx := []types.TransactWriteItem{{Put: &types.Put{
		TableName:                 aws.String(s.table),
		Item:                      av,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}}
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
			return nil, internal(err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
	}
	ops, err := s.standingOps(m.TournamentID, scores.StandingChanges(before, &m))
	if err != nil {
		return nil, internal(err)
	}
	return append(tx, ops...), nil
}

// deleteOps returns the transaction that deletes old, its links and its
// result in the standings, on condition that old is still stored.
func (s *Store) deleteOps(old matchItem) ([]types.TransactWriteItem, error) {
	om, err := old.match()
	if err != nil {
		return nil, internal(err)
	}
	expr, err := expression.NewBuilder().WithCondition(unchanged(&old)).Build()
	if err != nil {
		return nil, internal(err)
	}
	tx := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName:                 aws.String(s.table),
		Key:                       matchKey(om.TournamentID, om.MatchID),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}}
	for _, slot := range playerSlots {
		tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table),
			Key:       linkKey(om.TournamentID, slot, om.MatchID),
		}})
	}
	ops, err := s.standingOps(om.TournamentID, scores.StandingChanges(&om, nil))
	if err != nil {
		return nil, internal(err)
	}
	return append(tx, ops...), nil
}

// transact runs a transaction that reads nothing first (the repair's
// rewrites), retrying it when another transaction cancelled it.
func (s *Store) transact(ctx context.Context, tx []types.TransactWriteItem) error {
	return s.write(ctx, false, "", "", func(*matchItem) ([]types.TransactWriteItem, error) { return tx, nil })
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

// wrapWrite maps a write's error to a domain error with context.
func wrapWrite(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return wrap(txError(err), format, args...)
}

// txError maps what is left of a transaction error once the callers have
// read the condition failures: a transaction that kept colliding with
// others is busy (write already says so when its budget ends), throttling
// means unavailable.
func txError(err error) error {
	var se *scores.Error
	if errors.As(err, &se) {
		return err
	}
	reasons := cancellation(err)
	switch {
	case reasons == nil:
		return classify(err)
	case hasReason(reasons, reasonTxConflict):
		return &scores.Error{Code: scores.CodeBusy, Message: busyMessage, Err: err}
	case hasReason(reasons, "ThrottlingError"), hasReason(reasons, "ProvisionedThroughputExceeded"):
		return unavailable(err)
	}
	return classify(err)
}
