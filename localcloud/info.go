package localcloud

import (
	"fmt"

	"github.com/hush-scores/hush/apidocs"
	"github.com/hush-scores/hush/stackconfig"
)

// Region is one region's gateway.
type Region struct {
	Name string
	// URL is the stage URL, what HUSH_APIGW_URL holds: API v1 lives under URL/v1.
	URL  string
	Port int
	// FrontDoorURL is the front door for clients near the region: API v1
	// under FrontDoorURL/v1, as under a custom domain.
	FrontDoorURL string
}

// Info is what a client needs to use the stack.
type Info struct {
	Stack   string
	Regions []Region
	// HomeRegion is the first region, which holds the user pool.
	HomeRegion       string
	UserPoolID       string
	UserPoolClientID string
	// CognitoEndpoint is cognito-local's URL, the Cognito client's endpoint.
	CognitoEndpoint string
	// Issuer and JWKSURL are what the gateways check ID tokens against.
	Issuer  string
	JWKSURL string
	// DynamoDBEndpoint is DynamoDB Local's URL; Table is the table's name.
	DynamoDBEndpoint string
	// Secret is the secret access key the emulators' guards check
	// (datalock.Secret): sign with it (dynamoclient.Secret,
	// cognitolocal.NewSignedClient). Never print it.
	Secret string
	// DynamoDBLoopbackOnly is true when DynamoDB Local listens on 127.0.0.1
	// only (dynamolocal's launcher, which needs a JDK's javac).
	DynamoDBLoopbackOnly bool
	Table                string
	DataDir              string
	LogDir               string
	// FrontDoorURL stands in for the stack's custom domain (API v1 under
	// FrontDoorURL/v1) for a client near the write region; each Region has
	// its own. StatusURL is the status page.
	FrontDoorURL string
	StatusURL    string
	// Throttle is the method throttling the gateways started with.
	Throttle stackconfig.Throttle
	// SelfSignUp is the stack's hush:selfSignUp: whether Cognito's SignUp
	// is open. Where it is false, SignUp is refused as Cognito refuses it
	// and users are made with AdminCreateUser (the demo users always are).
	SelfSignUp bool
	// IdentityReplicaRegion and IdentityReplicaEndpoint are the user
	// pool's secondary replica (Options.IdentityReplicaRegion): sign in
	// there when the home region's endpoint does not answer. Empty without
	// one.
	IdentityReplicaRegion   string
	IdentityReplicaEndpoint string
	// IdentityIssuer is the issuer the pool's tokens name and Authorizer
	// how the gateways check them (hush:identityIssuer, hush:authorizer).
	IdentityIssuer stackconfig.IssuerType
	Authorizer     stackconfig.AuthorizerMode
}

// DocsURL returns the address of the API's documentation page on the
// first region's gateway.
func (i Info) DocsURL() string {
	if len(i.Regions) == 0 {
		return ""
	}
	return fmt.Sprintf("http://127.0.0.1:%d%s", i.Regions[0].Port, apidocs.PagePath)
}

// URL returns the stage URL of region, or "" if the stack does not serve it.
func (i Info) URL(region string) string {
	for _, r := range i.Regions {
		if r.Name == region {
			return r.URL
		}
	}
	return ""
}
