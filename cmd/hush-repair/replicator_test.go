package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/scores"
)

// TestRepairAfterOldReplicator repairs what the replicator of before
// crash-safe echoes left behind after a crash: its own earlier writes,
// taken for new changes, put older standing lines back over newer ones
// (every match updates its players' lines), so the lines no longer add up
// to the matches. The command rewrites them, and a second run finds
// nothing left to do.
func TestRepairAfterOldReplicator(t *testing.T) {
	client := dynamotest.Start(t, dynamo.ConfigureEmulator)
	table := dynamotest.NewTable(t, client, dynamo.CreateTable)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	store := dynamo.NewStore(client, table)
	caller := scores.Caller{Sub: "sub-a", Username: "a"}
	players := []string{"Ann", "Bo", "Cy", "Di"}
	var matches []scores.Match
	record := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			score := "5,4,9"
			if i%3 == 0 {
				score = "-6,4,-7,-10"
			}
			m, err := scores.NewMatch(scores.MatchInput{
				TournamentID: "spring", MatchID: fmt.Sprintf("m%02d", i),
				Player1: players[i%4], Player2: players[(i+1)%4], Score: score,
			}, caller, time.Unix(int64(i), 0))
			if err != nil {
				t.Fatal(err)
			}
			if err := store.CreateMatch(ctx, m); err != nil {
				t.Fatal(err)
			}
			matches = append(matches, m)
		}
	}
	lines := func() []map[string]types.AttributeValue {
		t.Helper()
		out, err := client.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"), ConsistentRead: aws.Bool(true),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "STANDINGS#spring"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Items
	}
	record(0, 6)
	old := lines()
	record(6, 15)
	// The echoes of the lines as they were after six matches come back
	// with newer versions and are put over the current ones.
	for _, it := range old {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Standings(ctx, "spring")
	if err != nil {
		t.Fatal(err)
	}
	want := scores.Standings(matches)
	if slices.Equal(got, want) {
		t.Fatal("the standings still add up after older lines were put back: the test set nothing up to repair")
	}

	var out, errOut bytes.Buffer
	// The test's DynamoDB Local takes any signature; the command wants a
	// secret file all the same, as it would for a local stack.
	secretFile := filepath.Join(t.TempDir(), "local-secret")
	if err := os.WriteFile(secretFile, []byte("test-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-endpoint", dynamotest.Endpoint(t), "-secret-file", secretFile, "-table", table, "-region", dynamotest.Region, "spring"}
	if err := run(ctx, args, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	if want := fmt.Sprintf("spring: 15 matches, 4 players; %d lines rewritten, 0 removed; exact: true", len(old)); !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
	if got, err = store.Standings(ctx, "spring"); err != nil || !slices.Equal(got, want) {
		t.Errorf("standings after the repair = %+v (%v), want their recomputation %+v", got, err, want)
	}
	out.Reset()
	if err := run(ctx, args, &out, &errOut); err != nil || !strings.Contains(out.String(), "0 lines rewritten, 0 removed; exact: true") {
		t.Errorf("second run: %v, output %q, want nothing left to rewrite", err, out.String())
	}
}
