package txconflict_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/localcloud/txconflict"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// slowTransactions holds every transaction for d before it is sent, so a
// second one surely finds the first in progress.
func slowTransactions(d time.Duration) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("slow",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					time.Sleep(d)
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
}

func put(table, pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: pk}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk},
	}}}
}

// TestConflictingTransactionIsCancelled runs two transactions at once that
// share one item: the second is cancelled at once, as DynamoDB cancels it,
// with TransactionConflict for the shared item and None for the other; a
// transaction on other items goes through meanwhile, and once the first is
// done the shared item is free again.
func TestConflictingTransactionIsCancelled(t *testing.T) {
	model := &txconflict.Model{KeyAttrs: []string{dynamo.AttrPK, dynamo.AttrSK}}
	setup := dynamotest.Start(t, patient)
	table := dynamotest.NewTable(t, setup, dynamo.CreateTable)
	slow := dynamotest.Start(t, dynamo.ConfigureClient, patient, model.Install, slowTransactions(500*time.Millisecond))
	fast := dynamotest.Start(t, dynamo.ConfigureClient, patient, model.Install)
	ctx := t.Context()

	var wg sync.WaitGroup
	var firstErr error
	wg.Go(func() {
		_, firstErr = slow.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put(table, "T#1", "A"), put(table, "T#1", "S")}})
	})
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	_, err := fast.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put(table, "T#1", "B"), put(table, "T#1", "S")}})
	took := time.Since(start)
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		t.Fatalf("second transaction: %v, want TransactionCanceledException", err)
	}
	var codes []string
	for _, r := range tc.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if len(codes) != 2 || codes[0] != "None" || codes[1] != txconflict.Reason {
		t.Errorf("reasons = %v, want [None TransactionConflict]", codes)
	}
	t.Logf("cancelled after %v, while the first was in progress", took)
	if _, err := fast.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put(table, "T#2", "C")}}); err != nil {
		t.Errorf("a transaction on other items: %v", err)
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("first transaction: %v", firstErr)
	}
	if _, err := fast.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put(table, "T#1", "B"), put(table, "T#1", "S")}}); err != nil {
		t.Errorf("the same transaction once the first was done: %v", err)
	}
	if got := model.Conflicts(); got != 1 {
		t.Errorf("Conflicts() = %d, want 1", got)
	}
}

// patient bounds calls loosely: this test is about which transaction is
// cancelled, not how fast, and a cold DynamoDB Local on a busy machine
// takes seconds.
func patient(o *dynamodb.Options) {
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(30 * time.Second)
}
