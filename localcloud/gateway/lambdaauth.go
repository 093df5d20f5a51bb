package gateway

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// TokenAuthorizerFunc is a Lambda TOKEN authorizer's handler, as
// aws-lambda-go starts it.
type TokenAuthorizerFunc func(context.Context, events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error)

// LambdaAuthorizer runs a Lambda TOKEN authorizer as API Gateway does for
// a method that names it: the raw token and the method's ARN in, and a
// request passes only when the answer's policy allows invoking the
// method. What the authorizer returns in its context reaches the function
// flat in requestContext.authorizer, with principalId, not under claims
// as a Cognito authorizer's claims do.
type LambdaAuthorizer struct {
	region, stage string
	validation    *regexp.Regexp
	fn            TokenAuthorizerFunc
}

// NewLambdaAuthorizer returns the authorizer fn of region's stage. A
// token validation does not match is refused without calling fn, as API
// Gateway applies a TOKEN authorizer's identityValidationExpression; nil
// means none.
func NewLambdaAuthorizer(region, stage string, validation *regexp.Regexp, fn TokenAuthorizerFunc) *LambdaAuthorizer {
	return &LambdaAuthorizer{region: region, stage: stage, validation: validation, fn: fn}
}

// Authorize calls the function and returns its context and principalId,
// or an error when it refuses the token or allows nothing here.
func (a *LambdaAuthorizer) Authorize(ctx context.Context, token string) (map[string]string, error) {
	// The authorizer's cached answer covers every method of the stage, so
	// which method asks first does not matter; one stands for them.
	if a.validation != nil && !a.validation.MatchString(token) {
		return nil, errors.New("gateway: lambda authorizer: the token does not match the identity validation expression")
	}
	arn := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/GET/", a.region, accountID, apiID, a.stage)
	resp, err := a.fn(ctx, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: token, MethodArn: arn})
	if err != nil {
		return nil, fmt.Errorf("gateway: lambda authorizer: %w", err)
	}
	if !allows(resp.PolicyDocument, arn) {
		return nil, errors.New("gateway: lambda authorizer: the policy does not allow this method")
	}
	out := map[string]string{"principalId": resp.PrincipalID}
	for k, v := range resp.Context {
		out[k] = renderClaim(v)
	}
	return out, nil
}

// lambdaContext marks an authorizer whose answer the event carries flat.
func (a *LambdaAuthorizer) lambdaContext() {}

// allows reports whether policy has an Allow of execute-api:Invoke on arn
// (a resource ending in * covers every ARN it is a prefix of) and no Deny
// of it.
func allows(policy events.APIGatewayCustomAuthorizerPolicy, arn string) bool {
	allowed := false
	for _, st := range policy.Statement {
		if !matchesAny(st.Action, "execute-api:Invoke") || !matchesAny(st.Resource, arn) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

func matchesAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if p == s || (strings.HasSuffix(p, "*") && strings.HasPrefix(s, strings.TrimSuffix(p, "*"))) {
			return true
		}
	}
	return false
}
