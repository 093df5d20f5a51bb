package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/dynamolocal"
)

// The floors: direct DynamoDB Local calls of the kind each endpoint makes,
// through a client configured like the handlers' (dynamo.ConfigureClient).
const (
	floorGet       = "floor GetItem"
	floorQuery     = "floor Query 20"
	floorStandings = "floor Query 6"
	floorTransact  = "floor GetItem + TransactWrite 6"
)

// floorItems is how many items the Query floor reads, like GET results
// with limit=20.
const floorItems = 20

// floorLines is how many items the standings floor reads: one line per
// player of the seeded tournament.
var floorLines = len(seedPlayers)

// A replace of the load's PUT writes the match and its two player links
// and adds to the standing lines of the players of its old and new
// versions, three of them (each worker alternates between two matches that
// share one player).
const (
	floorPuts    = 3
	floorUpdates = 3
)

// floorStore makes the floor calls on items of its own partition, whose key
// no Hush item can have (Hush's keys start with TOURNAMENT#, STANDINGS#,
// PLAYER# or HEALTH), so the floor never touches the API's data. The items are copies
// of a real match's attributes, so they are the same size.
type floorStore struct {
	client *dynamodb.Client
	table  string
	pk     string
}

func newFloorStore(ctx context.Context, endpoint, secret, region, table, runID string) (*floorStore, error) {
	c, err := dynamolocal.NewClient(ctx, endpoint, region, dynamolocal.Credentials(secret), dynamo.ConfigureClient)
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	return &floorStore{client: c, table: table, pk: "LOADFLOOR#" + runID}, nil
}

func (f *floorStore) key(sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: f.pk},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func itemSK(i int) string { return fmt.Sprintf("ITEM#%02d", i) }

// writerSK keys the items the transaction floor's worker writes.
func writerSK(worker, n int) string { return fmt.Sprintf("WRITE#%03d#%d", worker, n) }

// item is attrs (a match as the API returns it) keyed by sk.
func (f *floorStore) item(attrs map[string]any, sk string) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(attrs)
	if err != nil {
		return nil, fmt.Errorf("floor: marshal item: %w", err)
	}
	for k, v := range f.key(sk) {
		av[k] = v
	}
	return av, nil
}

// seed writes the items the read floors read.
func (f *floorStore) seed(ctx context.Context, attrs map[string]any) error {
	for i := range floorItems {
		av, err := f.item(attrs, itemSK(i))
		if err != nil {
			return err
		}
		if _, err := f.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: av}); err != nil {
			return fmt.Errorf("floor: seed %s: %w", itemSK(i), err)
		}
	}
	return nil
}

// get reads one item with a consistent read, as GET match does.
func (f *floorStore) get() op {
	return func(ctx context.Context, worker, i int) error {
		out, err := f.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(f.table), Key: f.key(itemSK((worker + i) % floorItems)), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("GetItem: %w", err)
		}
		if out.Item == nil {
			return errors.New("GetItem: no item")
		}
		return nil
	}
}

// query reads up to limit of the floorItems items with one consistent
// Query: limit 21 as GET results?limit=20 asks (one more tells whether
// another page exists), 6 as GET standings reads the lines of 6 players.
func (f *floorStore) query(limit int) op {
	return func(ctx context.Context, _, _ int) error {
		out, err := f.client.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(f.table),
			KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
			ExpressionAttributeNames: map[string]string{
				"#pk": dynamo.AttrPK, "#sk": dynamo.AttrSK,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":     &types.AttributeValueMemberS{Value: f.pk},
				":prefix": &types.AttributeValueMemberS{Value: "ITEM#"},
			},
			ConsistentRead: aws.Bool(true),
			Limit:          aws.Int32(int32(limit)),
		})
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		if want := min(limit, floorItems); len(out.Items) != want {
			return fmt.Errorf("query: %d items, want %d", len(out.Items), want)
		}
		return nil
	}
}

// transact reads one item and then, in one transaction, puts three and adds
// to three counters, as a replace reads the stored match and then writes the
// match, its two player links and the standing lines it changes. Each
// worker writes its own items, so transactions never conflict (the load's
// PUTs share a tournament's standing lines, and do).
func (f *floorStore) transact(attrs map[string]any) (op, error) {
	items := make([]map[string]types.AttributeValue, floorPuts)
	for n := range items {
		av, err := f.item(attrs, "")
		if err != nil {
			return nil, err
		}
		items[n] = av
	}
	return func(ctx context.Context, worker, _ int) error {
		if _, err := f.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(f.table), Key: f.key(writerSK(worker, 0)), ConsistentRead: aws.Bool(true),
		}); err != nil {
			return fmt.Errorf("GetItem: %w", err)
		}
		tx := make([]types.TransactWriteItem, len(items), len(items)+floorUpdates)
		for n, base := range items {
			it := make(map[string]types.AttributeValue, len(base))
			for k, v := range base {
				it[k] = v
			}
			it[dynamo.AttrSK] = &types.AttributeValueMemberS{Value: writerSK(worker, n)}
			tx[n] = types.TransactWriteItem{Put: &types.Put{TableName: aws.String(f.table), Item: it}}
		}
		for n := range floorUpdates {
			tx = append(tx, types.TransactWriteItem{Update: &types.Update{
				TableName:                 aws.String(f.table),
				Key:                       f.key(writerSK(worker, floorPuts+n)),
				UpdateExpression:          aws.String("ADD #played :one, #won :one, #games :one"),
				ExpressionAttributeNames:  map[string]string{"#played": "played", "#won": "won", "#games": "games_won"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
			}})
		}
		if _, err := f.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx}); err != nil {
			return fmt.Errorf("TransactWriteItems: %w", err)
		}
		return nil
	}, nil
}

// cleanup deletes every item the floor may have written.
func (f *floorStore) cleanup(ctx context.Context, workers int) error {
	var sks []string
	for i := range floorItems {
		sks = append(sks, itemSK(i))
	}
	for w := range workers {
		for n := range floorPuts + floorUpdates {
			sks = append(sks, writerSK(w, n))
		}
	}
	var errs []error
	for _, sk := range sks {
		if _, err := f.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(f.table), Key: f.key(sk)}); err != nil {
			errs = append(errs, fmt.Errorf("floor: delete %s: %w", sk, err))
		}
	}
	return errors.Join(errs...)
}

// phases returns the floor phases.
func (f *floorStore) phases(attrs map[string]any) ([]phase, error) {
	tx, err := f.transact(attrs)
	if err != nil {
		return nil, err
	}
	return []phase{
		{Name: floorGet, Op: f.get()},
		{Name: floorQuery, Op: f.query(floorItems + 1)},
		{Name: floorStandings, Op: f.query(floorLines)},
		{Name: floorTransact, Op: tx},
	}, nil
}
