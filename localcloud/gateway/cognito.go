package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// CognitoOptions configure a CognitoAuthorizer.
type CognitoOptions struct {
	// Issuer is the user pool's issuer, the exact iss of its tokens, like
	// https://cognito-idp.{region}.amazonaws.com/{poolId} or, for
	// cognito-local, http://localhost:9229/{poolId}.
	Issuer string
	// JWKSURL is where the pool publishes its keys; empty means
	// Issuer + "/.well-known/jwks.json".
	JWKSURL string
	// ClientID is the app client whose ID tokens are accepted (their aud).
	ClientID string
	// HTTPClient fetches the JWKS; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// CognitoAuthorizer checks tokens as API Gateway's COGNITO_USER_POOLS
// authorizer does on a method without authorization scopes: an RS256 ID
// token of the pool, for the app client, signed by a key of the pool's
// JWKS and within its validity period.
type CognitoAuthorizer struct {
	issuer   string
	clientID string
	keys     keyfunc.Keyfunc
	parser   *jwt.Parser
}

// leeway is the clock skew allowed on exp, nbf and iat.
const leeway = 5 * time.Second

// NewCognitoAuthorizer fetches the pool's JWKS once, failing if it cannot,
// and returns an authorizer that refreshes the keys hourly and when a token
// names an unknown key ID. The refreshing stops when ctx is done.
func NewCognitoAuthorizer(ctx context.Context, opts CognitoOptions) (*CognitoAuthorizer, error) {
	if opts.Issuer == "" || opts.ClientID == "" {
		return nil, errors.New("gateway: cognito authorizer needs Issuer and ClientID")
	}
	jwksURL := opts.JWKSURL
	if jwksURL == "" {
		jwksURL = strings.TrimRight(opts.Issuer, "/") + "/.well-known/jwks.json"
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	failFirst := false
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{jwksURL}, keyfunc.Override{
		Client:                    client,
		NoErrorReturnFirstHTTPReq: &failFirst,
		// A token naming an unknown key triggers at most one refresh every
		// few seconds; other such tokens fail at once rather than queue, so
		// forged key IDs cannot stall requests.
		RefreshUnknownKID: rate.NewLimiter(rate.Every(5*time.Second), 1),
		RateLimitWaitMax:  time.Second,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(context.Context, error) {} // a failed token check says why
		},
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: load JWKS %s: %w", jwksURL, err)
	}
	return &CognitoAuthorizer{
		issuer:   opts.Issuer,
		clientID: opts.ClientID,
		keys:     keys,
		parser: jwt.NewParser(
			// Only RS256, so neither "none" nor an HMAC signature keyed with
			// the public key can pass.
			jwt.WithValidMethods([]string{"RS256"}),
			jwt.WithIssuer(opts.Issuer),
			jwt.WithAudience(opts.ClientID),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway),
			jwt.WithJSONNumber(),
		),
	}, nil
}

// Authorize verifies token and returns its claims rendered as API Gateway
// renders them for Lambda.
func (a *CognitoAuthorizer) Authorize(ctx context.Context, token string) (map[string]string, error) {
	claims := jwt.MapClaims{}
	keys := a.keys.KeyfuncCtx(ctx)
	// A Cognito token always names its key. Without a kid a JWKS library
	// may fall back to trying keys, which the authorizer does not.
	withKID := func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, errors.New("the token names no key (kid)")
		}
		return keys(t)
	}
	if _, err := a.parser.ParseWithClaims(token, claims, withKID); err != nil {
		return nil, fmt.Errorf("gateway: token: %w", err)
	}
	// Checked after the signature, so the message never trusts a forgery.
	if use, _ := claims["token_use"].(string); use != "id" {
		return nil, fmt.Errorf("gateway: token_use %q: only ID tokens pass a method without authorization scopes", use)
	}
	return RenderClaims(claims), nil
}

// claimTimeLayout is how API Gateway renders exp and iat: Java's
// Date.toString, like "Fri Jul 29 18:52:53 UTC 2016".
const claimTimeLayout = "Mon Jan 02 15:04:05 MST 2006"

// RenderClaims turns decoded JWT claims into the strings API Gateway's
// Cognito authorizer passes in requestContext.authorizer.claims: exp and iat
// as dates in UTC, other numbers in decimal (auth_time "1469814773"),
// booleans "true"/"false", a list of strings joined with commas
// (cognito:groups "admins,players"), and any other structure as JSON.
// Claims with a null value are left out.
func RenderClaims(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		if v == nil {
			continue
		}
		if k == "exp" || k == "iat" {
			if t, ok := unixTime(v); ok {
				out[k] = t.UTC().Format(claimTimeLayout)
				continue
			}
		}
		out[k] = renderClaim(v)
	}
	return out
}

func renderClaim(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case bool:
		if c {
			return "true"
		}
		return "false"
	case json.Number:
		return c.String()
	case float64:
		return json.Number(fmt.Sprint(c)).String()
	case []any:
		parts := make([]string, 0, len(c))
		for _, e := range c {
			switch e.(type) {
			case string, bool, json.Number, float64:
				parts = append(parts, renderClaim(e))
			default:
				return jsonString(c)
			}
		}
		return strings.Join(parts, ",")
	default:
		return jsonString(c)
	}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func unixTime(v any) (time.Time, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return time.Unix(i, 0), true
		}
		if f, err := n.Float64(); err == nil {
			return time.Unix(int64(f), 0), true
		}
	case float64:
		return time.Unix(int64(n), 0), true
	}
	return time.Time{}, false
}
