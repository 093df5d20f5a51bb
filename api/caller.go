package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hush-scores/hush/scores"
)

// The Cognito claims Hush reads from the authorizer's context and the token.
const (
	claimSub      = "sub"
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
	return c, ok && c.Sub != "" && c.Username != ""
}

// callerFromGateway reads the caller of r from the Cognito authorizer's
// claims that the API proxy put in its context: the sub and the username,
// exactly as they are (no trimming: they are identities, not text).
//
// The groups come from the token itself. A REST API's Cognito authorizer
// hands a list claim to a proxy integration flattened into one string (AWS
// has rendered cognito:groups as "a,b" and as "[a b]"), so a group named
// "x,admins" or "[admins]" reads like two groups or like admins. The
// Authorization header that API Gateway verified carries the groups as a
// JSON array instead, so they are read from there; see tokenGroups for how
// the header is tied to the verified claims. Without that header, or with
// one that does not match, the caller has no groups: never admin.
func callerFromGateway(r *http.Request) (scores.Caller, bool) {
	gw, ok := core.GetAPIGatewayContextFromContext(r.Context())
	if !ok || gw.Authorizer == nil {
		return scores.Caller{}, false
	}
	claims := claimsOf(gw.Authorizer["claims"])
	if _, cognito := gw.Authorizer["claims"]; !cognito {
		// A Lambda authorizer's context (hush:authorizer lambda) is flat:
		// the token's string claims are keys of the authorizer section.
		claims = claimsOf(gw.Authorizer)
	}
	caller := scores.Caller{Sub: claims[claimSub], Username: claims[claimUsername]}
	if strings.TrimSpace(caller.Sub) == "" || strings.TrimSpace(caller.Username) == "" {
		return scores.Caller{}, false
	}
	groups, err := tokenGroups(r.Header.Values("Authorization"), claims)
	if err != nil {
		loggerFrom(r.Context()).Warn("caller without groups", "reason", err.Error())
	}
	caller.Groups = groups
	return caller, true
}

// tokenGroups returns the cognito:groups array of the one Authorization
// header, whose token API Gateway verified before invoking the function; the
// signature is not checked again here. To be sure the payload read is the
// token the authorizer verified, every claim the two share as a string must
// be equal, and sub and the username must be among them. Cognito's tokens
// also carry jti (unique to one token) and event_id, which then must match
// too; the numeric claims (exp, iat, auth_time) are left out, as API
// Gateway's rendering of them is a date whose format is not documented.
//
// Unverified (no AWS documentation says it): that API Gateway forwards the
// very Authorization value its Cognito authorizer verified, and which of
// several Authorization headers the authorizer reads. A request with more
// than one is therefore given no groups here; the local gateway refuses it
// with 401.
func tokenGroups(headers []string, claims map[string]string) ([]string, error) {
	if len(headers) != 1 {
		return nil, fmt.Errorf("%d Authorization headers, want exactly 1", len(headers))
	}
	payload, err := tokenPayload(headers[0])
	if err != nil {
		return nil, err
	}
	for _, name := range []string{claimSub, claimUsername} {
		if _, ok := payload[name].(string); !ok {
			return nil, fmt.Errorf("token has no %s claim", name)
		}
	}
	for name, v := range payload {
		s, isString := v.(string)
		c, shared := claims[name]
		if isString && shared && s != c {
			return nil, fmt.Errorf("token's %s differs from the authorizer's claims", name)
		}
		if isString && !shared && (name == claimSub || name == claimUsername) {
			return nil, fmt.Errorf("authorizer's claims lack %s", name)
		}
	}
	raw, ok := payload[claimGroups]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("token's %s is not a JSON array", claimGroups)
	}
	groups := make([]string, 0, len(list))
	for _, g := range list {
		name, ok := g.(string)
		if !ok {
			return nil, fmt.Errorf("token's %s holds a non-string", claimGroups)
		}
		groups = append(groups, name)
	}
	return groups, nil
}

// tokenPayload decodes the claims of a JWS in compact form, taken raw or
// after "Bearer ", as the Cognito authorizer takes it.
func tokenPayload(header string) (map[string]any, error) {
	token := strings.TrimSpace(header)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("the Authorization value is not a JWS (%d parts)", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("token payload: %w", err)
	}
	var payload map[string]any
	if err := json.Unmarshal(b, &payload); err != nil {
		return nil, fmt.Errorf("token payload: %w", err)
	}
	return payload, nil
}

// claimsOf turns the claims block into strings, whether it came from event
// JSON (map[string]any) or from Go code (map[string]string). Only strings
// are kept: API Gateway renders every claim as one, and a value of another
// type is no claim Hush can trust.
func claimsOf(v any) map[string]string {
	switch c := v.(type) {
	case map[string]string:
		return c
	case map[string]any:
		out := make(map[string]string, len(c))
		for k, v := range c {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		return out
	}
	return nil
}
