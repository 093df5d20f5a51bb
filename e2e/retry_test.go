package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// API Gateway answers 429 when a method's token bucket is empty (the
// stack's hush:throttle, per method), before the request reaches a
// function, and the write function answers 429 when a write lost to other
// writes of its tournament and wrote nothing; so a 429 is safe to send
// again, whatever its method. The suite's clients do what AWS SDK clients do: back off with
// exponential, fully jittered delays capped at 20 s, and try again. The SDK
// stops after 3 attempts; the suite allows maxAttempts, because its race
// tests exceed dev's limits on purpose and must still finish.
const maxAttempts = 10

// backoff is the AWS SDK for Go's own exponential jitter backoff, with the
// SDK's default cap.
var backoff = retry.NewExponentialJitterBackoff(retry.DefaultMaxBackoff)

// throttled counts, over the whole run, the 429 answers that were retried
// and the requests still throttled after maxAttempts; TestMain reports them.
var throttled struct {
	retries atomic.Int64
	gaveUp  atomic.Int64
}

// answer is a response read in full, with when its request was sent.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
	// Sent is when the answered attempt was sent, so latencies measure one
	// request, not the backoff before it.
	Sent time.Time
}

// sendRetrying sends the request newReq builds with client, and again after a
// backoff while the answer is 429, at most maxAttempts times. newReq is
// called once per attempt, so a body is sent whole every time. The last
// answer is returned, a 429 included.
func sendRetrying(ctx context.Context, client *http.Client, newReq func(context.Context) (*http.Request, error)) (answer, error) {
	for attempt := 1; ; attempt++ {
		req, err := newReq(ctx)
		if err != nil {
			return answer{}, err
		}
		a := answer{Sent: time.Now()}
		resp, err := client.Do(req)
		if err != nil {
			return a, err
		}
		a.Status, a.Header = resp.StatusCode, resp.Header
		a.Body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return a, fmt.Errorf("read body: %w", err)
		}
		if a.Status != http.StatusTooManyRequests {
			return a, nil
		}
		if attempt == maxAttempts {
			throttled.gaveUp.Add(1)
			return a, nil
		}
		delay, err := backoff.BackoffDelay(attempt, nil)
		if err != nil {
			return a, fmt.Errorf("backoff: %w", err)
		}
		throttled.retries.Add(1)
		select {
		case <-ctx.Done():
			return a, ctx.Err()
		case <-time.After(delay):
		}
	}
}
