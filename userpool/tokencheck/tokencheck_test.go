package tokencheck

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
)

// issuer is a fake Cognito issuer: a key pair and a JWKS endpoint.
type issuer struct {
	url string
	kid string
	key *rsa.PrivateKey
}

func newIssuers(t *testing.T, names ...string) (map[string]*issuer, *httptest.Server) {
	t.Helper()
	issuers := map[string]*issuer{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, name := range names {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		is := &issuer{url: srv.URL + "/" + name, kid: "kid-" + name, key: key}
		issuers[name] = is
		jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]string{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": is.kid,
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
		mux.HandleFunc("/"+name+"/.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(jwks)
		})
	}
	return issuers, srv
}

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func (is *issuer) sign(t *testing.T, change func(jwt.MapClaims, *jwt.Token)) string {
	t.Helper()
	claims := jwt.MapClaims{
		"sub": "sub-1", "cognito:username": "alice", "aud": "client-1", "iss": is.url,
		"token_use": "id", "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"cognito:groups": []string{"admins"}, "jti": "jti-1",
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = is.kid
	if change != nil {
		change(claims, tok)
	}
	s, err := tok.SignedString(is.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	issuers, _ := newIssuers(t, "primary", "replica", "stranger")
	primary, replica, stranger := issuers["primary"], issuers["replica"], issuers["stranger"]
	v, err := New(context.Background(), Options{Issuers: []string{primary.url, replica.url}, ClientID: "client-1", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	hmac := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "sub-1", "cognito:username": "alice", "aud": "client-1", "iss": primary.url, "token_use": "id", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	hmac.Header["kid"] = primary.kid
	hmacToken, _ := hmac.SignedString([]byte("secret"))
	for _, tt := range []struct {
		name  string
		token string
		fails string // a substring of the error; "" means it passes
	}{
		{"the primary's token", primary.sign(t, nil), ""},
		{"the replica's token", replica.sign(t, nil), ""},
		{"an issuer not accepted", stranger.sign(t, nil), "not accepted"},
		{"the replica's iss signed with another issuer's key", stranger.sign(t, func(c jwt.MapClaims, tok *jwt.Token) { c["iss"] = replica.url; tok.Header["kid"] = replica.kid }), "verification error"},
		{"another app client", primary.sign(t, func(c jwt.MapClaims, _ *jwt.Token) { c["aud"] = "client-2" }), "audience"},
		{"an access token", primary.sign(t, func(c jwt.MapClaims, _ *jwt.Token) { c["token_use"] = "access" }), "token_use"},
		{"expired", primary.sign(t, func(c jwt.MapClaims, _ *jwt.Token) { c["exp"] = now.Add(-time.Minute).Unix() }), "expired"},
		{"no kid", primary.sign(t, func(_ jwt.MapClaims, tok *jwt.Token) { delete(tok.Header, "kid") }), "kid"},
		{"no username", primary.sign(t, func(c jwt.MapClaims, _ *jwt.Token) { delete(c, "cognito:username") }), "cognito:username"},
		{"HMAC with a shared secret", hmacToken, "signing method"},
		{"not a token", "abc", "malformed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := v.Verify(context.Background(), tt.token)
			switch {
			case tt.fails == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case tt.fails == "" && claims["sub"] != "sub-1":
				t.Errorf("claims = %v, want sub-1's", claims)
			case tt.fails != "" && (err == nil || !strings.Contains(err.Error(), tt.fails)):
				t.Errorf("Verify error = %v, want one containing %q", err, tt.fails)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	issuers, _ := newIssuers(t, "primary")
	primary := issuers["primary"]
	v, err := New(context.Background(), Options{Issuers: []string{primary.url}, ClientID: "client-1", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	method := "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v1/tournament/match"
	resp, err := v.Authorize(context.Background(), events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: primary.sign(t, nil), MethodArn: method})
	if err != nil {
		t.Fatal(err)
	}
	if resp.PrincipalID != "sub-1" {
		t.Errorf("principal = %q, want sub-1", resp.PrincipalID)
	}
	st := resp.PolicyDocument.Statement
	if len(st) != 1 || st[0].Effect != "Allow" || len(st[0].Resource) != 1 || st[0].Resource[0] != "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*" {
		t.Errorf("policy = %+v, want Allow on every method of abc123/prod", resp.PolicyDocument)
	}
	if resp.Context["sub"] != "sub-1" || resp.Context["cognito:username"] != "alice" || resp.Context["jti"] != "jti-1" {
		t.Errorf("context = %v, want the token's string claims", resp.Context)
	}
	if _, ok := resp.Context["cognito:groups"]; ok {
		t.Errorf("context carries cognito:groups %v; groups are read from the token itself", resp.Context["cognito:groups"])
	}

	if _, err := v.Authorize(context.Background(), events.APIGatewayCustomAuthorizerRequest{AuthorizationToken: "Bearer " + primary.sign(t, nil), MethodArn: method}); err != nil {
		t.Errorf("a token after Bearer: %v", err)
	}
	_, err = v.Authorize(context.Background(), events.APIGatewayCustomAuthorizerRequest{AuthorizationToken: "x.y.z", MethodArn: method})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("bad token: error %v, want ErrUnauthorized", err)
	}
	_, err = v.Authorize(context.Background(), events.APIGatewayCustomAuthorizerRequest{AuthorizationToken: primary.sign(t, nil), MethodArn: "arn:aws:lambda:x"})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("bad method ARN: error %v, want ErrUnauthorized", err)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"no issuers":   {ClientID: "c"},
		"no client":    {Issuers: []string{"https://a"}},
		"issuer twice": {Issuers: []string{"https://a", "https://a"}, ClientID: "c"},
	} {
		if _, err := New(context.Background(), opts); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
}

// TestLostIssuer shows an issuer whose keys cannot be fetched (its region
// lost) does not stop the other issuer's tokens.
func TestLostIssuer(t *testing.T) {
	issuers, _ := newIssuers(t, "replica")
	v, err := New(context.Background(), Options{Issuers: []string{"http://127.0.0.1:1/lost", issuers["replica"].url}, ClientID: "client-1", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("New with an unreachable issuer: %v", err)
	}
	if _, err := v.Verify(context.Background(), issuers["replica"].sign(t, nil)); err != nil {
		t.Errorf("the replica's token with the primary lost: %v", err)
	}
}
