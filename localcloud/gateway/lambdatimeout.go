package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// callWithin runs fn as Lambda runs a function with the given timeout
// (api.LambdaTimeout, what the Pulumi program deploys): its context ends
// at the timeout, as the runtime's does, and a function still running then
// is abandoned with the error Lambda reports, which API Gateway answers
// 502. Lambda would also freeze and recycle the execution environment;
// locally the goroutine runs on until it returns, and its answer is
// dropped.
func callWithin(ctx context.Context, timeout time.Duration, fn LambdaFunc, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		resp events.APIGatewayProxyResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := call(ctx, fn, ev)
		done <- result{resp, err}
	}()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return events.APIGatewayProxyResponse{}, fmt.Errorf("gateway: lambda: Task timed out after %.2f seconds", timeout.Seconds())
		}
		return events.APIGatewayProxyResponse{}, fmt.Errorf("gateway: lambda: %w", ctx.Err())
	}
}
