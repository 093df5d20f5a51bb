package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hush-scores/hush/scores"
)

// The Cognito claims Hush reads from the authorizer's context.
const (
	claimUsername = "cognito:username"
	claimGroups   = "cognito:groups"
)

type callerKey struct{}

// WithCaller returns a context carrying caller, as the authentication
// middleware would after reading the authorizer's claims. Tests use it to
// call protected routes without an API Gateway event.
func WithCaller(ctx context.Context, caller scores.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// CallerFrom returns the caller of the request whose context is ctx.
func CallerFrom(ctx context.Context) (scores.Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(scores.Caller)
	return c, ok && c.Username != ""
}

// callerFromGateway reads the caller from the Cognito authorizer's claims
// that the API proxy put in ctx. API Gateway renders every claim as a string.
func callerFromGateway(ctx context.Context) (scores.Caller, bool) {
	gw, ok := core.GetAPIGatewayContextFromContext(ctx)
	if !ok || gw.Authorizer == nil {
		return scores.Caller{}, false
	}
	claims := claimsOf(gw.Authorizer["claims"])
	username := strings.TrimSpace(claims[claimUsername])
	if username == "" {
		return scores.Caller{}, false
	}
	return scores.Caller{Username: username, Groups: parseGroups(claims[claimGroups])}, true
}

// claimsOf turns the claims block into strings, whether it came from event
// JSON (map[string]any) or from Go code (map[string]string).
func claimsOf(v any) map[string]string {
	switch c := v.(type) {
	case map[string]string:
		return c
	case map[string]any:
		out := make(map[string]string, len(c))
		for k, v := range c {
			switch s := v.(type) {
			case string:
				out[k] = s
			case []any:
				// Not what API Gateway sends, but a list is unambiguous.
				parts := make([]string, 0, len(s))
				for _, p := range s {
					parts = append(parts, fmt.Sprint(p))
				}
				out[k] = strings.Join(parts, ",")
			default:
				out[k] = fmt.Sprint(s)
			}
		}
		return out
	}
	return nil
}

// parseGroups reads the cognito:groups claim. API Gateway renders a list
// claim as a string, in forms that have varied: "a,b", "[a b]", `["a","b"]`.
func parseGroups(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if strings.HasPrefix(s, "[") {
		var list []string
		if err := json.Unmarshal([]byte(s), &list); err == nil {
			return nonEmpty(list)
		}
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	return nonEmpty(strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t'
	}))
}

func nonEmpty(list []string) []string {
	out := list[:0]
	for _, g := range list {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
