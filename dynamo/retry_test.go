package dynamo

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/scores"
)

// fakeClock is a clock that only moves when told: by a sleep, or by the
// fake client's time per call.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	c.advance(d)
	return nil
}

// conflictClient answers every transaction as DynamoDB answers one that
// another transaction holds items of: cancelled, TransactionConflict. Each
// call takes callTime on the fake clock. The first succeedAfter-1
// transactions conflict, then one commits (0: never).
type conflictClient struct {
	clock        *fakeClock
	callTime     time.Duration
	stored       map[string]types.AttributeValue // what GetItem finds
	reason0      string                          // the reason of item 0
	succeedAfter int
	fail         error // returned instead, when set
	gets, txs    int
}

func (c *conflictClient) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets++
	c.clock.advance(c.callTime)
	return &dynamodb.GetItemOutput{Item: c.stored}, nil
}

func (c *conflictClient) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, errors.New("not used")
}

func (c *conflictClient) BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return nil, errors.New("not used")
}

func (c *conflictClient) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.txs++
	c.clock.advance(c.callTime)
	if c.fail != nil {
		return nil, c.fail
	}
	if c.succeedAfter > 0 && c.txs >= c.succeedAfter {
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}
	reasons := make([]types.CancellationReason, len(in.TransactItems))
	for i := range reasons {
		reasons[i].Code = aws.String("None")
	}
	reasons[0].Code = aws.String(c.reason0)
	reasons[len(reasons)-1].Code = aws.String(reasonTxConflict)
	return nil, &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}
}

// TestRetryBudget proves that a write retries contention only while its
// deadline holds another backoff and attempt, then answers CodeBusy (429)
// before the deadline, never CodeUnavailable (503); and that a deadline or
// an unreachable table stays CodeUnavailable. DynamoDB Local queues
// conflicting transactions instead of cancelling them, so only a fake
// client shows what DynamoDB does.
func TestRetryBudget(t *testing.T) {
	const bound = 1800 * time.Millisecond // api.DefaultWriteTimeout
	for _, tt := range []struct {
		name         string
		deadline     time.Duration // 0: none
		callTime     time.Duration
		put          bool // a replace, which reads first
		stale        bool // the match changed between read and write
		succeedAfter int
		fail         error
		peak         time.Duration // the longest attempt of an earlier write
		want         scores.Code
		wantTxs      func(n int) bool
	}{
		{name: "contention until the bound", deadline: bound, callTime: 20 * time.Millisecond, want: scores.CodeBusy,
			wantTxs: func(n int) bool { return n >= 3 && n <= writeAttempts }},
		{name: "replace, contention until the bound", deadline: bound, callTime: 20 * time.Millisecond, put: true, want: scores.CodeBusy,
			wantTxs: func(n int) bool { return n >= 3 && n <= writeAttempts }},
		{name: "replace of a match that keeps changing", deadline: bound, callTime: 20 * time.Millisecond, put: true, stale: true, want: scores.CodeBusy,
			wantTxs: func(n int) bool { return n >= 3 }},
		{name: "a slow attempt leaves no room for another", deadline: bound, callTime: time.Second, want: scores.CodeBusy,
			wantTxs: func(n int) bool { return n == 1 }},
		{name: "a slow commit of late keeps a late attempt from starting", deadline: bound, callTime: 20 * time.Millisecond, peak: 1500 * time.Millisecond, want: scores.CodeBusy,
			wantTxs: func(n int) bool { return n >= 1 && n < writeAttempts }},
		{name: "no deadline: the attempts bound it", callTime: time.Millisecond, want: scores.CodeBusy,
			wantTxs: func(n int) bool { return n == writeAttempts }},
		{name: "a long deadline: the attempts bound it", deadline: time.Hour, callTime: time.Millisecond, want: scores.CodeBusy,
			wantTxs: func(n int) bool { return n == writeAttempts }},
		{name: "conflicts, then it commits", deadline: bound, callTime: 20 * time.Millisecond, succeedAfter: 3, want: "",
			wantTxs: func(n int) bool { return n == 3 }},
		{name: "the deadline passes in a call", deadline: bound, callTime: 20 * time.Millisecond, fail: context.DeadlineExceeded, want: scores.CodeUnavailable,
			wantTxs: func(n int) bool { return n == 1 }},
		{name: "the write region is unreachable", deadline: bound, callTime: 20 * time.Millisecond, fail: errors.New("dial tcp: connection refused"), want: scores.CodeUnavailable,
			wantTxs: func(n int) bool { return n == 1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeClock{now: time.Now()}
			start := clk.Now()
			fc := &conflictClient{clock: clk, callTime: tt.callTime, reason0: "None", succeedAfter: tt.succeedAfter, fail: tt.fail}
			if tt.stale {
				fc.reason0 = reasonConditionFailed
			}
			s := &Store{client: fc, table: "hush-test", clock: clk}
			if tt.peak > 0 {
				s.peak.observe(start, tt.peak, true)
			}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, start.Add(tt.deadline))
				defer cancel()
			}
			m := newMatch(t, "t1", "m1", "Alice", "Bob", "alice", baseTime)
			var err error
			if tt.put {
				old, merr := marshalItem(newMatchItem(m))
				if merr != nil {
					t.Fatal(merr)
				}
				fc.stored = old
				err = s.PutMatch(ctx, m, scores.Caller{Sub: "sub-alice", Username: "alice"})
			} else {
				err = s.CreateMatch(ctx, m)
			}
			if got := scores.ErrorCode(err); got != tt.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.want)
			}
			if !tt.wantTxs(fc.txs) {
				t.Errorf("%d transactions, not what this case allows", fc.txs)
			}
			if tt.put && fc.gets != fc.txs {
				t.Errorf("%d reads for %d transactions: a replace reads before each attempt", fc.gets, fc.txs)
			}
			elapsed := clk.Now().Sub(start)
			if tt.deadline > 0 && elapsed >= tt.deadline {
				t.Errorf("gave up after %v, at or past the deadline %v: that would be a 503", elapsed, tt.deadline)
			}
			// Giving up is only allowed when the next backoff (at most
			// backoffCap) and an attempt no longer fit.
			// What the store may assume an attempt takes: twice this
			// write's own, and the recent peak, or firstAttemptGuess while
			// nothing has committed. No retry may start with less left.
			attempt := tt.callTime
			if tt.put {
				attempt *= 2
			}
			room := max(tt.peak, 2*attempt)
			if tt.peak == 0 {
				room = max(room, firstAttemptGuess)
			}
			if lastStart := elapsed - attempt; tt.deadline > 0 && fc.txs > 1 && lastStart+room > tt.deadline {
				t.Errorf("the last retry started at %v, with less than %v left", lastStart, room)
			}
			if tt.want == scores.CodeBusy && tt.deadline == bound && fc.txs < writeAttempts && elapsed < tt.deadline-backoffCap-room-attempt-time.Millisecond {
				t.Errorf("gave up after %v of a %v budget: it should have used it", elapsed, tt.deadline)
			}
			if tt.want == scores.CodeBusy && !strings.Contains(scores.ErrorMessage(err), "try again") {
				t.Errorf("message %q does not tell the client to try again", scores.ErrorMessage(err))
			}
			t.Logf("%d attempts, %v on the fake clock, sleeps %v", fc.txs, elapsed, clk.sleeps)
		})
	}
}

// TestOutageDoesNotShrinkRetryBudget checks that a call that timed out,
// which says nothing of how long an attempt takes, does not count in the
// recent peak: contention right after it still gets its retries.
func TestOutageDoesNotShrinkRetryBudget(t *testing.T) {
	const bound = 1800 * time.Millisecond
	clk := &fakeClock{now: time.Now()}
	fc := &conflictClient{clock: clk, callTime: 1700 * time.Millisecond, reason0: "None", fail: context.DeadlineExceeded}
	s := &Store{client: fc, table: "hush-test", clock: clk}
	m := newMatch(t, "t1", "m1", "Alice", "Bob", "alice", baseTime)
	ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(bound))
	err := s.CreateMatch(ctx, m)
	cancel()
	if got := scores.ErrorCode(err); got != scores.CodeUnavailable {
		t.Fatalf("the timed-out write: code %q (%v), want unavailable", got, err)
	}
	fc.fail, fc.callTime, fc.txs = nil, 20*time.Millisecond, 0
	ctx, cancel = context.WithDeadline(context.Background(), clk.Now().Add(bound))
	defer cancel()
	if got := scores.ErrorCode(s.CreateMatch(ctx, m)); got != scores.CodeBusy {
		t.Fatalf("the contended write: code %q, want busy", got)
	}
	if fc.txs < 3 {
		t.Errorf("the contended write made %d attempts after an outage: the timeout shrank its budget", fc.txs)
	}
}
