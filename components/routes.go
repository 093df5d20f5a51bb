package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"github.com/hush-scores/hush/api"
)

// resourcePaths returns every API Gateway resource the routes need (each
// path and all its prefixes, "/" excluded), parents before children, in a
// stable order so that resource names never shuffle between runs.
func resourcePaths(routes []api.Route) []string {
	seen := map[string]bool{}
	for _, r := range routes {
		parts := strings.Split(strings.Trim(r.Path, "/"), "/")
		for i := range parts {
			seen["/"+strings.Join(parts[:i+1], "/")] = true
		}
	}
	paths := make([]string, 0, len(seen))
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		di, dj := strings.Count(paths[i], "/"), strings.Count(paths[j], "/")
		if di != dj {
			return di < dj
		}
		return paths[i] < paths[j]
	})
	return paths
}

// parentPath returns the path of a resource's parent, "/" for a top-level one.
func parentPath(path string) string {
	i := strings.LastIndex(path, "/")
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// slug turns a path into a resource-name fragment: "/v1/tournament/{tournamentId}"
// becomes "v1-tournament-tournamentId".
func slug(path string) string {
	r := strings.NewReplacer("/", "-", "{", "", "}", "")
	return strings.Trim(r.Replace(path), "-")
}

// sourceArnPath is the part of an execute-api ARN that matches a route: path
// parameters become "*", since the ARN carries the caller's actual values.
func sourceArnPath(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, "/")
}

// integrationType and authorizerType are what every method uses; they are
// part of the deployment hash so a change to them redeploys too.
const (
	integrationType = "AWS_PROXY"
	authorizerType  = "COGNITO_USER_POOLS"
)

// authorizerSettings are the Cognito authorizer's inputs that a deployment
// snapshots with the methods.
type authorizerSettings struct {
	ProviderArn, IdentitySource, IdentityValidationExpression string
}

// identitySource is where the authorizer reads the token: the raw
// Authorization header.
const identitySource = "method.request.header.Authorization"

// deploymentHash fingerprints everything a REST API deployment snapshots:
// the routes (method, path, function, auth), each function's integration
// URI and the authorizer's settings. API Gateway serves the last deployment until a new one is made, so the
// Deployment's triggers carry this hash and any change redeploys.
func deploymentHash(routes []api.Route, invokeArns map[api.Function]string, auth authorizerSettings) string {
	type route struct {
		Method, Path, Function string
		Auth                   bool
		Integration            string
		URI                    string
	}
	var in []route
	for _, r := range routes {
		in = append(in, route{
			Method: r.Method, Path: r.Path, Function: string(r.Function), Auth: r.Auth,
			Integration: integrationType, URI: invokeArns[r.Function],
		})
	}
	b, err := json.Marshal(struct {
		Routes     []route
		Authorizer string
		Settings   authorizerSettings
	}{in, authorizerType, auth})
	if err != nil {
		panic(err) // plain strings and bools always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ClientIDExpression is the authorizer's identityValidationExpression for
// one app client: its ID, escaped and anchored, so that the token's aud must
// equal it rather than merely contain it. API Gateway documents the value as
// a regular expression matched against aud; it does not say which dialect,
// so the expression uses only escaping that Java's and Go's agree on.
func ClientIDExpression(clientID string) string {
	return "^" + regexp.QuoteMeta(clientID) + "$"
}
