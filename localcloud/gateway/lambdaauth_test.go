package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hush-scores/hush/api"
)

// fakeTokenAuthorizer allows the token "good" with a context, denies
// "denied" by policy, and refuses anything else.
func fakeTokenAuthorizer(calls *int) TokenAuthorizerFunc {
	return func(_ context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		*calls++
		effect := "Allow"
		switch req.AuthorizationToken {
		case "a.b.c":
		case "d.e.f":
			effect = "Deny"
		default:
			return events.APIGatewayCustomAuthorizerResponse{}, errors.New("Unauthorized")
		}
		stage := req.MethodArn[:strings.Index(req.MethodArn, "/GET/")] + "/*"
		return events.APIGatewayCustomAuthorizerResponse{
			PrincipalID: "sub-1",
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: []events.IAMPolicyStatement{
				{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{stage}},
			}},
			Context: map[string]any{"sub": "sub-1", "cognito:username": "alice"},
		}, nil
	}
}

func TestLambdaAuthorizer(t *testing.T) {
	calls := 0
	a := NewLambdaAuthorizer("eu-west-1", "prod", regexp.MustCompile(`^[a-z]\.[a-z]\.[a-z]$`), fakeTokenAuthorizer(&calls))
	tests := []struct {
		name, token string
		pass        bool
		wantCalls   int
	}{
		{"allowed", "a.b.c", true, 1},
		{"denied by the policy", "d.e.f", false, 1},
		{"refused by the function", "x.y.z", false, 1},
		{"not shaped like the expression: no call", "nonsense", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			got, err := a.Authorize(context.Background(), tt.token)
			if (err == nil) != tt.pass || calls != tt.wantCalls {
				t.Fatalf("Authorize: err %v after %d calls; want pass %v after %d", err, calls, tt.pass, tt.wantCalls)
			}
			if tt.pass && (got["principalId"] != "sub-1" || got["cognito:username"] != "alice") {
				t.Errorf("context = %v, want principalId and the claims", got)
			}
		})
	}
}

// TestLambdaAuthorizerContextIsFlat: the function behind a Lambda
// authorizer gets its context in requestContext.authorizer itself, not
// under claims, and the real handler reads the caller from it.
func TestLambdaAuthorizerContextIsFlat(t *testing.T) {
	calls := 0
	var got map[string]any
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	hello := api.NewLambdaHandler(api.FunctionHello, api.Deps{Region: "eu-west-1", Logger: quiet})
	fn := func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		got = ev.RequestContext.Authorizer
		return hello(ctx, ev)
	}
	var routes []api.Route
	for _, r := range api.Routes() {
		if r.Function == api.FunctionHello {
			routes = append(routes, r)
		}
	}
	h, err := New(Options{
		Region: "eu-west-1", Stage: "prod", Routes: routes, Functions: map[api.Function]LambdaFunc{api.FunctionHello: fn},
		Authorizer: NewLambdaAuthorizer("eu-west-1", "prod", nil, fakeTokenAuthorizer(&calls)), Logger: quiet,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := newLocalServer(t, h)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv+"/prod/v1/helloauthenticated", nil)
	req.Header.Set("Authorization", "a.b.c")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "alice") {
		t.Fatalf("helloauthenticated = %d %s, want 200 greeting alice", resp.StatusCode, body)
	}
	if _, nested := got["claims"]; nested || got["principalId"] != "sub-1" || got["cognito:username"] != "alice" {
		t.Errorf("requestContext.authorizer = %v, want the context flat with principalId", got)
	}
}
