package dynamo

import (
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/writeregion"
)

func TestOnWriteRegion(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	key := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{AttrPK: s(pk), AttrSK: s("X")}
	}
	query := func(cond string, values map[string]types.AttributeValue) *dynamodb.QueryInput {
		return &dynamodb.QueryInput{TableName: aws.String("t"), KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: values}
	}
	tests := []struct {
		name   string
		params any
		want   bool
	}{
		{"query of the views", query("#0 = :0", map[string]types.AttributeValue{":0": s(writeRegionPK)}), true},
		{"query of a tournament", query("#0 = :0 AND begins_with (#1, :1)", map[string]types.AttributeValue{":0": s(tournamentPK("t1")), ":1": s(prefixMatch)}), false},
		{"query of a tournament named like the partition", query("#0 = :0", map[string]types.AttributeValue{":0": s(tournamentPK(writeRegionPK))}), false},
		// A value that the key condition does not use (a filter's, say)
		// says nothing about the partition read.
		{"value outside the key condition", query("#0 = :1", map[string]types.AttributeValue{":0": s(writeRegionPK), ":1": s(standingsPK("t1"))}), false},
		{"placeholder that only shares a prefix", query("#0 = :01", map[string]types.AttributeValue{":0": s(writeRegionPK), ":01": s(standingsPK("t1"))}), false},
		{"query of the index", &dynamodb.QueryInput{IndexName: aws.String("GSI1"), KeyConditionExpression: aws.String("#0 = :0"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":0": s(writeRegionPK)}}, false},
		{"renewal of a view", &dynamodb.UpdateItemInput{Key: viewKey("eu-west-1")}, true},
		{"get of a view", &dynamodb.GetItemInput{Key: viewKey("eu-west-1")}, true},
		{"get of a match", &dynamodb.GetItemInput{Key: key(tournamentPK("t1"))}, false},
		{"get of the health item", &dynamodb.GetItemInput{Key: key(healthKey)}, false},
		{"update of a standing", &dynamodb.UpdateItemInput{Key: key(standingsPK("t1"))}, false},
		{"transaction", &dynamodb.TransactWriteItemsInput{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := onWriteRegion(tt.params); got != tt.want {
				t.Errorf("onWriteRegion(%T) = %v, want %v", tt.params, got, tt.want)
			}
		})
	}
}

// TestMeterCountsControlApart: through one metered client, the calls on the
// write-region views land in Usage.Control, requests and units, and not in
// the request figures; their authorisations still count, since the
// functions' grants are derived from Auths.
func TestMeterCountsControlApart(t *testing.T) {
	m := &Meter{}
	client := dynamotest.Start(t, ConfigureClient, allOps.install, m.Install)
	table := dynamotest.NewTable(t, client, CreateTable)
	store, c := NewStore(client, table), NewControl(client, table, "eu-west-1")
	b := writeregion.Belief{WriteRegion: "eu-west-1", Epoch: 1, State: writeregion.Open}
	seedView(t, c, b)
	m.Take()

	if _, err := c.Views(ctxT(t)); err != nil {
		t.Fatalf("views: %v", err)
	}
	if _, err := c.Renew(ctxT(t), b, time.Now().Add(5*time.Second), "test"); err != nil {
		t.Fatalf("renew: %v", err)
	}
	if err := store.Ping(ctxT(t)); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if _, err := store.Standings(ctxT(t), "t1"); err != nil {
		t.Fatalf("standings: %v", err)
	}
	u := m.Take()

	if want := map[string]int{"Query": 1, "UpdateItem": 1}; !maps.Equal(u.Control.Requests, want) {
		t.Errorf("control requests %v, want %v", u.Control.Requests, want)
	}
	if u.Control.ReadUnits <= 0 || u.Control.WriteUnits <= 0 {
		t.Errorf("control units: %.1f read, %.1f write; want both reported", u.Control.ReadUnits, u.Control.WriteUnits)
	}
	if want := map[string]int{"GetItem": 1, "Query": 1}; !maps.Equal(u.Requests, want) {
		t.Errorf("requests %v, want %v (the store's calls only)", u.Requests, want)
	}
	// The store's strongly consistent GetItem and Query of small or no
	// items read one unit each, at most; the views' Query is not in them.
	if u.ReadUnits <= 0 || u.ReadUnits > 2 {
		t.Errorf("read units %.1f, want the store's own (0 < units <= 2)", u.ReadUnits)
	}
	actions := map[string]int{}
	for a, n := range u.Auths {
		actions[a.Action] += n
	}
	if want := map[string]int{"dynamodb:Query": 2, "dynamodb:UpdateItem": 1, "dynamodb:GetItem": 1}; !maps.Equal(actions, want) {
		t.Errorf("authorisations by action %v, want %v (every call, the views' included)", actions, want)
	}
	if u = m.Take(); len(u.Control.Requests) != 0 || len(u.Requests) != 0 {
		t.Errorf("after Take: %+v, want nothing counted", u)
	}
}
