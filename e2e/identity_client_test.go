package e2e

import (
	"context"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hush-scores/hush/userpool/signin"
)

// identityPool is where the suite signs users in and up: the home
// region's Cognito, then the user pool's replica when the target has one
// (package signin). TestMain builds it.
var identityPool signin.Pool

// newIdentityPool returns t's user pool for sign-in: home's client, and a
// client of the replica's region (its endpoint, for cognito-local) when t
// names one.
func newIdentityPool(ctx context.Context, t target, home *cip.Client) (signin.Pool, error) {
	p := signin.Pool{ClientID: t.ClientID, Endpoints: []signin.Endpoint{{Region: t.Home, Client: home}}}
	if t.IdentityReplicaRegion == "" {
		return p, nil
	}
	rt := t
	rt.Home, rt.CognitoEndpoint = t.IdentityReplicaRegion, t.IdentityReplicaEndpoint
	c, err := newCognitoClient(ctx, rt)
	if err != nil {
		return signin.Pool{}, err
	}
	p.Endpoints = append(p.Endpoints, signin.Endpoint{Region: t.IdentityReplicaRegion, Client: c})
	return p, nil
}
