package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/hush-scores/hush/api"
)

const (
	testStage    = "dev"
	testClientID = "client-a"
	testKID      = "CognitoLocal"
)

// pool is a fake Cognito user pool: an RSA key and a JWKS endpoint that
// serves its public half, as cognito-local does.
type pool struct {
	t      testing.TB
	srv    *httptest.Server
	issuer string
	mu     sync.Mutex
	keys   map[string]*rsa.PrivateKey
	hits   int
}

func newPool(t testing.TB) *pool {
	t.Helper()
	p := &pool{t: t, keys: map[string]*rsa.PrivateKey{testKID: newKey(t)}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.hits++
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		for kid, k := range p.keys {
			set.Keys = append(set.Keys, map[string]string{
				"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
			})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/local_pool1"
	return p
}

// addKey publishes a new key, as a pool rotating its keys would.
func (p *pool) addKey(kid string) *rsa.PrivateKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := newKey(p.t)
	p.keys[kid] = k
	return k
}

func (p *pool) key(kid string) *rsa.PrivateKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[kid]
}

func (p *pool) authorizer(t *testing.T) *CognitoAuthorizer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := NewCognitoAuthorizer(ctx, CognitoOptions{Issuer: p.issuer, JWKSURL: p.srv.URL + "/local_pool1/.well-known/jwks.json", ClientID: testClientID})
	if err != nil {
		t.Fatalf("NewCognitoAuthorizer: %v", err)
	}
	return a
}

// idClaims are the claims of a valid ID token of alice, in the shape
// cognito-local and Cognito issue.
func (p *pool) idClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub":              "5b8d7a6e-0000-4000-8000-000000000001",
		"aud":              testClientID,
		"email_verified":   true,
		"token_use":        "id",
		"auth_time":        now.Add(-time.Minute).Unix(),
		"iss":              p.issuer,
		"cognito:username": "alice",
		"cognito:groups":   []string{"admins", "players"},
		"exp":              now.Add(time.Hour).Unix(),
		"iat":              now.Add(-time.Minute).Unix(),
		"email":            "alice@example.com",
	}
}

func newKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate RSA key: %v", err)
	}
	return k
}

// sign signs claims with key under kid; an empty kid leaves it out.
func sign(t testing.TB, claims jwt.MapClaims, kid string, key *rsa.PrivateKey) string {
	t.Helper()
	header := map[string]any{}
	if kid != "" {
		header["kid"] = kid
	}
	return signHeader(t, claims, header, key)
}

// signHeader signs claims with key, adding header to the token's header.
func signHeader(t testing.TB, claims jwt.MapClaims, header map[string]any, key *rsa.PrivateKey) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	return s
}

// recorder is a fake Lambda function that keeps the events it receives.
type recorder struct {
	mu     sync.Mutex
	events []events.APIGatewayProxyRequest
	resp   events.APIGatewayProxyResponse
	err    error
	panic  any
	// raw returns resp exactly, a zero status code included; otherwise a
	// recorder with neither resp nor err answers 200 "ok".
	raw bool
}

func (f *recorder) fn(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	if f.panic != nil {
		panic(f.panic)
	}
	if f.resp.StatusCode == 0 && f.err == nil && !f.raw {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok", Headers: map[string]string{"Content-Type": "text/plain"}}, nil
	}
	return f.resp, f.err
}

func (f *recorder) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

func (f *recorder) last(t *testing.T) events.APIGatewayProxyRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		t.Fatal("the Lambda function was not called")
	}
	return f.events[len(f.events)-1]
}

// countingAuthorizer counts calls, to show public routes never reach it.
type countingAuthorizer struct {
	Authorizer
	mu sync.Mutex
	n  int
}

func (c *countingAuthorizer) Authorize(ctx context.Context, token string) (map[string]string, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Authorizer.Authorize(ctx, token)
}

// fixture is a gateway over api.Routes with one recorder for every function.
type fixture struct {
	h    http.Handler
	fn   *recorder
	pool *pool
	auth *countingAuthorizer
	logs *bytes.Buffer
}

var fixedNow = time.Date(2026, 11, 5, 9, 4, 5, 0, time.UTC)

func newFixture(t *testing.T, mutate ...func(*Options)) *fixture {
	t.Helper()
	p := newPool(t)
	f := &fixture{fn: &recorder{}, pool: p, auth: &countingAuthorizer{Authorizer: p.authorizer(t)}, logs: &bytes.Buffer{}}
	opts := Options{
		Region:     "eu-west-1",
		Stage:      testStage,
		Routes:     api.Routes(),
		Functions:  map[api.Function]LambdaFunc{},
		Authorizer: f.auth,
		Logger:     slog.New(slog.NewJSONHandler(f.logs, nil)),
		Now:        func() time.Time { return fixedNow },
	}
	for _, spec := range api.Functions() {
		opts.Functions[spec.Name] = f.fn.fn
	}
	for _, m := range mutate {
		m(&opts)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.h = h
	return f
}

// do sends a request to the gateway and returns the recorded answer.
func (f *fixture) do(method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}
