package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// IssuerAuthorizer accepts the ID tokens of any of several issuers, each
// verified against its own keys: what a Lambda authorizer does for a user
// pool with a replica whose tokens keep their region's own issuer, where
// API Gateway's Cognito authorizer (one pool ARN, one issuer) is not known
// to accept the replica's tokens. Each token goes to the authorizer of the
// issuer it names; the name is read before the signature is checked only
// to choose the keys, and a token of an unknown issuer is refused.
type IssuerAuthorizer struct {
	byIssuer map[string]*CognitoAuthorizer
}

// NewIssuerAuthorizer fetches the keys of every issuer in opts (one
// CognitoOptions each) and returns an authorizer accepting the tokens of
// all of them. The keys refresh until ctx is done.
func NewIssuerAuthorizer(ctx context.Context, opts []CognitoOptions) (*IssuerAuthorizer, error) {
	if len(opts) == 0 {
		return nil, errors.New("gateway: issuer authorizer needs at least one issuer")
	}
	a := &IssuerAuthorizer{byIssuer: make(map[string]*CognitoAuthorizer, len(opts))}
	for _, o := range opts {
		if _, dup := a.byIssuer[o.Issuer]; dup {
			return nil, fmt.Errorf("gateway: issuer %s given twice", o.Issuer)
		}
		c, err := NewCognitoAuthorizer(ctx, o)
		if err != nil {
			return nil, err
		}
		a.byIssuer[o.Issuer] = c
	}
	return a, nil
}

// Authorize verifies token with the keys of the issuer it names.
func (a *IssuerAuthorizer) Authorize(ctx context.Context, token string) (map[string]string, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return nil, fmt.Errorf("gateway: token: %w", err)
	}
	iss, _ := claims["iss"].(string)
	c, ok := a.byIssuer[iss]
	if !ok {
		return nil, errors.New("gateway: token of an issuer this authorizer does not trust")
	}
	return c.Authorize(ctx, token)
}
