package stackconfig

import (
	"fmt"
	"slices"
	"strings"
)

// The keys of sign-in that survives the loss of the home region: a replica of
// the user pool (Cognito multi-Region replication), the issuer its tokens
// name, and how every region's API checks them. All three are optional.
const (
	KeyIdentityReplicaRegion = "identityReplicaRegion"
	KeyIdentityIssuer        = "identityIssuer"
	KeyAuthorizer            = "authorizer"
)

// IssuerType is the issuer the user pool's tokens carry (Cognito's
// IssuerConfigurationType).
type IssuerType string

const (
	// IssuerOriginal is https://cognito-idp.<region>.amazonaws.com/<pool
	// ID>, Cognito's default. With a replica, a token issued there is
	// reported to name the replica's region (unverified: no AWS page says
	// it; one user's report in awslabs/aws-jwt-verify issue 282).
	IssuerOriginal IssuerType = "original"
	// IssuerMultiRegion is Cognito's UPDATED issuer,
	// https://issuer-cognito-idp.<primary region>.amazonaws.com/<pool ID>,
	// the same in every replica. Whether API Gateway's Cognito authorizer
	// accepts it is not documented: unverified.
	IssuerMultiRegion IssuerType = "multiRegion"
)

// AuthorizerMode is how every region's API checks an ID token.
type AuthorizerMode string

const (
	// AuthorizerCognito is API Gateway's own Cognito authorizer, trusting the
	// pool and, with a replica, the replica (providerARNs).
	AuthorizerCognito AuthorizerMode = "cognito"
	// AuthorizerLambda is a Lambda TOKEN authorizer that verifies the JWT
	// against the issuers' published keys: the fallback for when the
	// Cognito authorizer turns out to refuse tokens of a replica or of the
	// multi-Region issuer.
	AuthorizerLambda AuthorizerMode = "lambda"
)

// Identity is how sign-in survives the loss of the home region.
type Identity struct {
	// ReplicaRegion is the region of the user pool's one secondary
	// replica, one of the stack's regions other than the home region; ""
	// means no replica (sign-in depends on the home region).
	ReplicaRegion string
	// Issuer is the issuer the pool's tokens carry (default original).
	Issuer IssuerType
	// Authorizer is how the APIs check tokens (default cognito).
	Authorizer AuthorizerMode
}

// Replicated reports whether the user pool has a replica.
func (i Identity) Replicated() bool { return i.ReplicaRegion != "" }

// identity reads the three identity keys.
func (p *parser) identity(stackRegions []string, home string) Identity {
	return Identity{
		ReplicaRegion: p.identityReplicaRegion(stackRegions, home),
		Issuer:        IssuerType(p.choice(KeyIdentityIssuer, string(IssuerOriginal), []string{string(IssuerOriginal), string(IssuerMultiRegion)})),
		Authorizer:    AuthorizerMode(p.choice(KeyAuthorizer, string(AuthorizerCognito), []string{string(AuthorizerCognito), string(AuthorizerLambda)})),
	}
}

// identityReplicaRegion reads hush:identityReplicaRegion. Cognito allows
// one secondary replica per pool, in another region; Hush also keeps it in
// one of the stack's own regions, where an API runs whose authorizer trusts
// it and whose clients fall back to it.
func (p *parser) identityReplicaRegion(stackRegions []string, home string) string {
	key := full(KeyIdentityReplicaRegion)
	raw, ok := p.values[key]
	if !ok {
		return ""
	}
	r := strings.TrimSpace(raw)
	if r == "" {
		p.fail(key, "is empty; name one of the stack's regions other than the home region, or drop the key to run without a replica")
		return ""
	}
	if stackRegions == nil || home == "" {
		return "" // the regions or the home region are already reported
	}
	if r == home {
		p.fail(key, fmt.Sprintf("%q is the home region, where the primary user pool lives; the replica must be in another of the stack's regions (%s)", r, strings.Join(others(stackRegions, home), ", ")))
		return ""
	}
	if !slices.Contains(stackRegions, r) {
		msg := fmt.Sprintf("%q is not one of the stack's regions %s", raw, strings.Join(stackRegions, ", "))
		if near := nearest(r, others(stackRegions, home)); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		p.fail(key, msg+"; the replica must be in a region where the stack runs an API, other than the home region")
		return ""
	}
	return r
}

// choice reads an optional key whose value is one of allowed, or def when
// the key is unset.
func (p *parser) choice(key, def string, allowed []string) string {
	raw, ok := p.values[full(key)]
	if !ok {
		return def
	}
	v := strings.TrimSpace(raw)
	if !slices.Contains(allowed, v) {
		p.fail(full(key), fmt.Sprintf("%q is not one of %s", raw, strings.Join(allowed, ", ")))
		return def
	}
	return v
}

// others returns regions without home, in order.
func others(regions []string, home string) []string {
	var out []string
	for _, r := range regions {
		if r != home {
			out = append(out, r)
		}
	}
	return out
}
