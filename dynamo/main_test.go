package dynamo

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/scores"
)

// allOps counts every DynamoDB operation any test of this package makes, so
// TestMain can prove that nothing ever scans.
var allOps = &opCounter{}

func TestMain(m *testing.M) {
	code := m.Run()
	dynamotest.Stop()
	if n := allOps.count("Scan"); n > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the store issued %d Scan operations; it must never scan\n", n)
		code = 1
	}
	os.Exit(code)
}

// opCounter records the name of every operation a client starts, through
// SDK middleware at the Initialize step (before retries, so a retried call
// still counts once).
type opCounter struct {
	mu  sync.Mutex
	ops []string
}

func (c *opCounter) install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("hushCountOps",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.ops = append(c.ops, awsmiddleware.GetOperationName(ctx))
				c.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

func (c *opCounter) reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := c.ops
	c.ops = nil
	return ops
}

func (c *opCounter) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, op := range c.ops {
		if op == name {
			n++
		}
	}
	return n
}

// newTestStore returns a store of a fresh table and a counter of the
// operations it makes from now on.
// Extra options run after ConfigureClient.
func newTestStore(t testing.TB, extra ...func(*dynamodb.Options)) (*Store, *opCounter) {
	t.Helper()
	ops := &opCounter{}
	opts := append([]func(*dynamodb.Options){ConfigureClient, ops.install, allOps.install}, extra...)
	client := dynamotest.Start(t, opts...)
	table := dynamotest.NewTable(t, client, CreateTable)
	ops.reset()
	return NewStore(client, table), ops
}

// patient lifts the HTTP timeout of ConfigureClient for the race tests: 50
// transactions at once on a cold DynamoDB Local, on two shared cores, can
// take longer than a healthy table ever should, and those tests are about
// conditions, not timeouts (TestUnavailable covers those).
func patient(o *dynamodb.Options) {
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(30 * time.Second)
}

var baseTime = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// newMatch returns a valid match through the domain's own constructor,
// recorded by the user named by, whose sub is "sub-" + by. playedAt of zero
// leaves the time of play unknown.
func newMatch(t testing.TB, tournamentID, matchID, p1, p2, by string, playedAt time.Time) scores.Match {
	t.Helper()
	in := scores.MatchInput{TournamentID: tournamentID, MatchID: matchID, Player1: p1, Player2: p2, Score: "6,-4,7,10"}
	if !playedAt.IsZero() {
		in.PlayedAt = playedAt.Format(time.RFC3339Nano)
	}
	m, err := scores.NewMatch(in, scores.Caller{Sub: "sub-" + by, Username: by}, baseTime.Add(time.Duration(len(matchID))*time.Millisecond))
	if err != nil {
		t.Fatalf("scores.NewMatch(%+v): %v", in, err)
	}
	return m
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t testing.TB, what string, err error, want scores.Code) {
	t.Helper()
	if got := scores.ErrorCode(err); got != want {
		t.Fatalf("%s: got code %q (err %v), want %q", what, got, err, want)
	}
}
