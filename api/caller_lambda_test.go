package api

import (
	"net/http"
	"testing"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/hush-scores/hush/scores"
)

// TestCallerFromLambdaAuthorizer reads the caller from a Lambda token
// authorizer's flat context (hush:authorizer lambda), groups from the token
// as with the Cognito authorizer.
func TestCallerFromLambdaAuthorizer(t *testing.T) {
	token := fakeToken(map[string]any{"sub": "s-1", "cognito:username": "alice", "jti": "j-1", "token_use": "id", "cognito:groups": []string{"admins"}})
	for _, tt := range []struct {
		name      string
		context   map[string]any
		wantOK    bool
		wantAdmin bool
	}{
		{"the token's claims", map[string]any{"principalId": "s-1", "sub": "s-1", "cognito:username": "alice", "jti": "j-1", "token_use": "id", "integrationLatency": 12}, true, true},
		{"context of another token", map[string]any{"principalId": "s-1", "sub": "s-1", "cognito:username": "alice", "jti": "j-2"}, true, false},
		{"no username", map[string]any{"principalId": "s-1", "sub": "s-1"}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := loadEvent(t, "apigw-get-helloauthenticated.json")
			ev.RequestContext.Authorizer = tt.context
			delete(ev.Headers, "Authorization")
			ev.MultiValueHeaders["Authorization"] = []string{token}
			var got scores.Caller
			var ok bool
			adapter := httpadapter.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, ok = callerFromGateway(r)
				w.WriteHeader(http.StatusNoContent)
			}))
			if _, err := adapter.ProxyWithContext(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || got.IsAdmin() != tt.wantAdmin || (ok && (got.Username != "alice" || got.Sub != "s-1")) {
				t.Errorf("caller = %+v (admin %v), %v; want alice/s-1 %v, admin %v", got, got.IsAdmin(), ok, tt.wantOK, tt.wantAdmin)
			}
		})
	}
}
