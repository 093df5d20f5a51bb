package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestIssuerAuthorizer: two pools (a primary and its replica, each with
// its own issuer and keys) are both trusted; a token passes only with the
// keys of the issuer it names, and an issuer outside the list is refused.
func TestIssuerAuthorizer(t *testing.T) {
	primary, replica, stranger := newPool(t), newPool(t), newPool(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := NewIssuerAuthorizer(ctx, []CognitoOptions{
		{Issuer: primary.issuer, JWKSURL: primary.srv.URL + "/jwks", ClientID: testClientID},
		{Issuer: replica.issuer + "-replica", JWKSURL: replica.srv.URL + "/jwks", ClientID: testClientID},
	})
	if err != nil {
		t.Fatalf("NewIssuerAuthorizer: %v", err)
	}
	now := time.Now()
	claimsOf := func(p *pool, issuer string) jwt.MapClaims {
		c := p.idClaims(now)
		c["iss"] = issuer
		return c
	}
	tests := []struct {
		name  string
		token string
		pass  bool
	}{
		{"primary's token", sign(t, claimsOf(primary, primary.issuer), testKID, primary.key(testKID)), true},
		{"replica's token", sign(t, claimsOf(replica, replica.issuer+"-replica"), testKID, replica.key(testKID)), true},
		{"replica's issuer, primary's key", sign(t, claimsOf(primary, replica.issuer+"-replica"), testKID, primary.key(testKID)), false},
		{"untrusted issuer", sign(t, claimsOf(stranger, stranger.issuer), testKID, stranger.key(testKID)), false},
		{"not a JWT", "nonsense", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := a.Authorize(ctx, tt.token)
			if got := err == nil; got != tt.pass {
				t.Fatalf("Authorize: err = %v, want pass %v", err, tt.pass)
			}
			if tt.pass && claims["cognito:username"] != "alice" {
				t.Errorf("claims = %v, want alice's", claims)
			}
		})
	}
	if _, err := NewIssuerAuthorizer(ctx, nil); err == nil {
		t.Error("NewIssuerAuthorizer without issuers: no error")
	}
}
