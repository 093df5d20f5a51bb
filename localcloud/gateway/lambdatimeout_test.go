package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// TestCallWithinLambdaTimeout checks that a function gets a context that
// ends at its timeout, and that one still running then fails as Lambda's
// timeout does, while a quick one answers.
func TestCallWithinLambdaTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	deadlines := make(chan time.Time, 1)
	stuck := func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		d, _ := ctx.Deadline()
		deadlines <- d
		time.Sleep(10 * timeout) // ignores its context, as a stuck function would
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	start := time.Now()
	_, err := callWithin(context.Background(), timeout, stuck, events.APIGatewayProxyRequest{})
	if err == nil || !strings.Contains(err.Error(), "Task timed out after 0.05 seconds") {
		t.Fatalf("stuck function: err = %v, want Lambda's timeout", err)
	}
	if took := time.Since(start); took >= 10*timeout {
		t.Errorf("the caller waited %v for a function past its %v timeout", took, timeout)
	}
	if deadline := <-deadlines; deadline.IsZero() || deadline.Sub(start) > timeout+time.Second {
		t.Errorf("the function's context deadline %v is not its timeout after %v", deadline, start)
	}
	quick := func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusNoContent}, nil
	}
	if resp, err := callWithin(context.Background(), timeout, quick, events.APIGatewayProxyRequest{}); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Errorf("quick function: %v, %v; want 204", resp.StatusCode, err)
	}
}
