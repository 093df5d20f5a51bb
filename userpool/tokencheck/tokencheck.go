// Package tokencheck verifies Cognito ID tokens of one app client issued by
// any of a list of issuers (a user pool and its replica), and answers as an
// API Gateway Lambda TOKEN authorizer. It is the fallback for
// hush:authorizer lambda: unlike API Gateway's Cognito authorizer, whose
// handling of a replica's tokens and of the multi-Region issuer is not
// documented, what it accepts is written here.
package tokencheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// Options configure a Verifier.
type Options struct {
	// Issuers are the accepted iss values, exactly as tokens carry them.
	Issuers []string
	// ClientID is the app client whose ID tokens pass (their aud).
	ClientID string
	// JWKSURL returns where an issuer publishes its keys; nil means
	// issuer + "/.well-known/jwks.json", as Cognito publishes them.
	JWKSURL func(issuer string) string
	// HTTPClient fetches the keys; nil means a client with a 2 s timeout,
	// so that an issuer in a lost region does not use up the function's
	// time (API Gateway waits at most 10 s for an authorizer).
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier checks ID tokens. Each issuer's keys are kept apart, so a token
// is checked only with the keys of the issuer it names.
type Verifier struct {
	clientID string
	keys     map[string]keyfunc.Keyfunc
	parser   *jwt.Parser
}

// leeway is the clock skew allowed on exp and iat.
const leeway = 5 * time.Second

// ErrUnauthorized is the error an authorizer returns to have API Gateway
// answer 401; its text is what API Gateway documents for that.
var ErrUnauthorized = errors.New("Unauthorized")

// New returns a Verifier. It does not fail when an issuer's keys cannot be
// fetched yet (its region may be the lost one): tokens of that issuer fail
// until they can, and the keys are fetched again when a token names an
// unknown key, at most every few seconds.
func New(ctx context.Context, opts Options) (*Verifier, error) {
	if len(opts.Issuers) == 0 || opts.ClientID == "" {
		return nil, errors.New("tokencheck: at least one issuer and the client ID are required")
	}
	jwksURL := opts.JWKSURL
	if jwksURL == nil {
		jwksURL = func(issuer string) string { return strings.TrimRight(issuer, "/") + "/.well-known/jwks.json" }
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	noFail := true
	v := &Verifier{clientID: opts.ClientID, keys: map[string]keyfunc.Keyfunc{}}
	for _, iss := range opts.Issuers {
		if iss == "" || v.keys[iss] != nil {
			return nil, fmt.Errorf("tokencheck: issuer %q is empty or listed twice", iss)
		}
		k, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{jwksURL(iss)}, keyfunc.Override{
			Client:                    client,
			NoErrorReturnFirstHTTPReq: &noFail,
			RefreshUnknownKID:         rate.NewLimiter(rate.Every(5*time.Second), 1),
			RateLimitWaitMax:          time.Second,
			RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
				return func(context.Context, error) {} // a failed check says why
			},
		})
		if err != nil {
			return nil, fmt.Errorf("tokencheck: keys of %s: %w", iss, err)
		}
		v.keys[iss] = k
	}
	parserOpts := []jwt.ParserOption{
		// Only RS256, so neither "none" nor an HMAC keyed with the public
		// key can pass.
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithAudience(opts.ClientID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	}
	if opts.Now != nil {
		parserOpts = append(parserOpts, jwt.WithTimeFunc(opts.Now))
	}
	v.parser = jwt.NewParser(parserOpts...)
	return v, nil
}

// Verify checks token and returns its claims: an RS256 ID token of the app
// client, from an accepted issuer, signed by a key that issuer publishes,
// within its validity period.
func (v *Verifier) Verify(ctx context.Context, token string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	keyOf := func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, errors.New("the token names no key (kid)")
		}
		iss, _ := t.Claims.(jwt.MapClaims)["iss"].(string)
		keys, ok := v.keys[iss]
		if !ok {
			return nil, fmt.Errorf("issuer %q is not accepted", iss)
		}
		return keys.KeyfuncCtx(ctx)(t)
	}
	if _, err := v.parser.ParseWithClaims(token, claims, keyOf); err != nil {
		return nil, fmt.Errorf("tokencheck: %w", err)
	}
	// Checked after the signature, so the message never trusts a forgery.
	if use, _ := claims["token_use"].(string); use != "id" {
		return nil, fmt.Errorf("tokencheck: token_use %q: only ID tokens pass", use)
	}
	for _, name := range []string{"sub", "cognito:username"} {
		if s, _ := claims[name].(string); s == "" {
			return nil, fmt.Errorf("tokencheck: the token has no %s", name)
		}
	}
	return claims, nil
}

// Authorize answers a TOKEN authorizer request: an Allow for every method
// of the request's API and stage (so that API Gateway's cached answer for
// this token is right for any route), with the token's string claims as
// the context the functions read. A token that does not verify gets an
// error wrapping ErrUnauthorized with the reason, for the log; the function
// returns ErrUnauthorized alone, which API Gateway turns into 401, so the
// reason never reaches the client.
func (v *Verifier) Authorize(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	claims, err := v.Verify(ctx, bare(req.AuthorizationToken))
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	resource, err := stageWildcard(req.MethodArn)
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	values := map[string]any{}
	for name, value := range claims {
		if s, ok := value.(string); ok {
			values[name] = s
		}
	}
	sub := claims["sub"].(string) // Verify required it
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: sub,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version:   "2012-10-17",
			Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{resource}}},
		},
		Context: values,
	}, nil
}

// stageWildcard turns a method ARN,
// arn:aws:execute-api:<region>:<account>:<api>/<stage>/<verb>/<path>, into
// the ARN of every method of that API and stage.
func stageWildcard(methodArn string) (string, error) {
	parts := strings.SplitN(methodArn, ":", 6)
	if len(parts) != 6 || parts[2] != "execute-api" {
		return "", fmt.Errorf("tokencheck: %q is not an execute-api method ARN", methodArn)
	}
	path := strings.Split(parts[5], "/")
	if len(path) < 2 || slices.Contains(path[:2], "") {
		return "", fmt.Errorf("tokencheck: method ARN %q names no API and stage", methodArn)
	}
	parts[5] = path[0] + "/" + path[1] + "/*"
	return strings.Join(parts, ":"), nil
}

// bare returns the token of an Authorization value, raw or after "Bearer ",
// as API Gateway's Cognito authorizer takes it.
func bare(header string) string {
	token := strings.TrimSpace(header)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	return token
}
