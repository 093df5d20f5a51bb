// Package gatewaydoc builds the one document a regional REST API is defined
// from: the API description (api/openapi.yaml) with API Gateway's
// x-amazon-apigateway-* extensions for every route of api.Routes() (its
// Lambda proxy integration and, on protected routes, the Cognito
// authorizer) and the gateway responses. The Pulumi program puts it in the
// RestApi's body, so API Gateway replaces the whole API in one PUT and a
// removed route is gone from the next deployment; the local gateway routes
// and authorizes from the same document (Routes).
package gatewaydoc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hush-scores/hush/api"
)

// Inputs are the values only a deployment knows.
type Inputs struct {
	// InvokeArns maps every function to its Lambda invoke ARN (the
	// integration URI); the local stack uses any unique names.
	InvokeArns map[api.Function]string
	// UserPoolArn is the pool the authorizer trusts.
	UserPoolArn string
	// ReplicaUserPoolArn, when set, is the pool's replica in another region
	// (Cognito multi-Region replication), trusted as well.
	ReplicaUserPoolArn string
	// ClientID is the app client whose ID tokens pass.
	ClientID string
	// TokenAuthorizerURI, when set, replaces the Cognito authorizer with a
	// Lambda TOKEN authorizer (hush:authorizer lambda): the invocation URI
	// of the function that verifies the ID token.
	TokenAuthorizerURI string
}

// TokenAuthorizerTTLSeconds is how long API Gateway caches a Lambda
// authorizer's answer for one token. The policy it returns covers every
// method of the stage, so a cached Allow is right for any route; 300 s is
// API Gateway's default.
const TokenAuthorizerTTLSeconds = 300

// CompactJWSExpression is the Lambda token authorizer's
// identityValidationExpression: a compact JWS, raw or after "Bearer ".
const CompactJWSExpression = `^(Bearer )?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`

// authorizer returns the security scheme's extensions: the Cognito
// authorizer trusting the pool (and its replica), or a Lambda TOKEN
// authorizer. Both read the raw Authorization header.
func authorizer(in Inputs) (authType string, spec map[string]any) {
	if in.TokenAuthorizerURI != "" {
		return "custom", map[string]any{
			"type":                         "token",
			"authorizerUri":                in.TokenAuthorizerURI,
			"identitySource":               IdentitySource,
			"authorizerResultTtlInSeconds": TokenAuthorizerTTLSeconds,
			// API Gateway answers 401 itself, without invoking the
			// function, when the header is not shaped like a JWS.
			"identityValidationExpression": CompactJWSExpression,
		}
	}
	providers := []any{in.UserPoolArn}
	if in.ReplicaUserPoolArn != "" {
		// API Gateway's API reference (Authorizer, providerARNs) documents
		// "a list of the Amazon Cognito user pool ARNs", each
		// arn:aws:cognito-idp:{region}:{account_id}:userpool/{user_pool_id};
		// a replica's ARN fits that form, but that the authorizer accepts
		// it, and the tokens a replica issues, is not documented
		// (unverified).
		providers = append(providers, in.ReplicaUserPoolArn)
	}
	return "cognito_user_pools", map[string]any{
		"type":           "cognito_user_pools",
		"providerARNs":   providers,
		"identitySource": IdentitySource,
		// The extension's reference lists identityValidationExpression;
		// that an import applies it to a Cognito authorizer as the
		// Authorizer API does (aud must match) is not verified here.
		"identityValidationExpression": ClientIDExpression(in.ClientID),
	}
}

// SecurityScheme is the description's name for the Cognito ID token.
const SecurityScheme = "cognitoIdToken"

// IdentitySource is where the authorizer reads the token: the raw
// Authorization header.
const IdentitySource = "method.request.header.Authorization"

// ClientIDExpression is the authorizer's identityValidationExpression for
// one app client: its ID, escaped and anchored, so that the token's aud must
// equal it rather than merely contain it. API Gateway documents the value as
// a regular expression matched against a Cognito token's aud; it does not
// say which dialect, so the expression uses only escaping that Java's and
// Go's agree on.
func ClientIDExpression(clientID string) string {
	return "^" + regexp.QuoteMeta(clientID) + "$"
}

// gatewayResponses are API Gateway's own answers, stated rather than left
// to the defaults so that the document says what the local gateway
// reproduces: the same status codes and {"message": ...} bodies, and
// Cache-Control: no-store, as on every error the handlers answer (no cache
// may keep a 401, 403 or 429 that a retry with a token, or a moment later,
// would answer otherwise). DEFAULT_4XX and DEFAULT_5XX carry the header to
// the types not named here (413, 502, ...) and keep their status codes.
// statusCode is a string, as the extension's reference types it.
func gatewayResponses() map[string]any {
	response := func(status string) map[string]any {
		r := map[string]any{
			"responseTemplates":  map[string]any{"application/json": `{"message":$context.error.messageString}`},
			"responseParameters": map[string]any{"gatewayresponse.header.Cache-Control": "'no-store'"},
		}
		if status != "" {
			r["statusCode"] = status
		}
		return r
	}
	return map[string]any{
		"MISSING_AUTHENTICATION_TOKEN": response("403"),
		"UNAUTHORIZED":                 response("401"),
		"THROTTLED":                    response("429"),
		"DEFAULT_4XX":                  response(""),
		"DEFAULT_5XX":                  response(""),
	}
}

// Build returns the document for routes over description (the OpenAPI 3.0
// YAML of api.OpenAPI), as JSON with sorted keys, so equal inputs give equal
// bytes. Every route must be described, with a security requirement exactly
// when it needs a token, and every route's function needs an invoke ARN.
func Build(routes []api.Route, description []byte, in Inputs) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(description, &doc); err != nil {
		return nil, fmt.Errorf("gatewaydoc: read the API description: %w", err)
	}
	// The description's servers name the stage in their path; API Gateway
	// would read that as a base path, so the deployed document has none.
	delete(doc, "servers")
	paths, _ := doc["paths"].(map[string]any)
	if paths == nil {
		return nil, errors.New("gatewaydoc: the API description has no paths")
	}
	described := 0
	for _, item := range paths {
		if ops, ok := item.(map[string]any); ok {
			for m := range ops {
				if isMethod(m) {
					described++
				}
			}
		}
	}
	if described != len(routes) {
		return nil, fmt.Errorf("gatewaydoc: the description has %d operations for %d routes", described, len(routes))
	}
	for _, r := range routes {
		item, _ := paths[r.Path].(map[string]any)
		op, _ := item[strings.ToLower(r.Method)].(map[string]any)
		if op == nil {
			return nil, fmt.Errorf("gatewaydoc: route %s %s is not in the API description", r.Method, r.Path)
		}
		uri, ok := in.InvokeArns[r.Function]
		if !ok || uri == "" {
			return nil, fmt.Errorf("gatewaydoc: route %s %s: no invoke ARN for function %q", r.Method, r.Path, r.Function)
		}
		if secured := op["security"] != nil; secured != r.Auth {
			return nil, fmt.Errorf("gatewaydoc: route %s %s: auth %v in api.Routes but security %v in the description", r.Method, r.Path, r.Auth, op["security"])
		}
		if r.Auth {
			op["security"] = []any{map[string]any{SecurityScheme: []any{}}}
		}
		op["x-amazon-apigateway-integration"] = map[string]any{
			"type":                "aws_proxy",
			"httpMethod":          "POST", // Lambda is always invoked with POST
			"uri":                 uri,
			"passthroughBehavior": "when_no_match",
		}
	}
	comps, _ := doc["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	scheme, _ := schemes[SecurityScheme].(map[string]any)
	if scheme == nil {
		return nil, fmt.Errorf("gatewaydoc: the description has no security scheme %s", SecurityScheme)
	}
	scheme["x-amazon-apigateway-authtype"], scheme["x-amazon-apigateway-authorizer"] = authorizer(in)
	doc["x-amazon-apigateway-gateway-responses"] = gatewayResponses()
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("gatewaydoc: encode: %w", err)
	}
	return b, nil
}

// Hash fingerprints a document; a deployment is triggered by its change.
func Hash(doc []byte) string {
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

func isMethod(m string) bool {
	return slices.Contains([]string{"get", "put", "post", "delete", "options", "head", "patch"}, m)
}

// Routes reads the routes back from a document Build made: every operation
// with an integration, its function found by the integration URI in
// functions (URI to function), and Auth set when it requires the Cognito
// ID token. The local gateway serves these, so it routes and authorizes
// from the deployed artifact rather than from api.Routes directly.
func Routes(doc []byte, functions map[string]api.Function) ([]api.Route, error) {
	var d struct {
		Paths map[string]map[string]struct {
			OperationID string           `json:"operationId"`
			Security    []map[string]any `json:"security"`
			Integration *struct {
				URI string `json:"uri"`
			} `json:"x-amazon-apigateway-integration"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("gatewaydoc: read document: %w", err)
	}
	var routes []api.Route
	for path, ops := range d.Paths {
		for method, op := range ops {
			if !isMethod(method) {
				continue
			}
			if op.Integration == nil {
				return nil, fmt.Errorf("gatewaydoc: %s %s has no integration", strings.ToUpper(method), path)
			}
			fn, ok := functions[op.Integration.URI]
			if !ok {
				return nil, fmt.Errorf("gatewaydoc: %s %s integrates %q, which is no known function", strings.ToUpper(method), path, op.Integration.URI)
			}
			auth := false
			for _, req := range op.Security {
				if _, ok := req[SecurityScheme]; ok {
					auth = true
				}
			}
			routes = append(routes, api.Route{Method: strings.ToUpper(method), Path: path, Function: fn, Auth: auth, OperationID: op.OperationID})
		}
	}
	slices.SortFunc(routes, func(a, b api.Route) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	return routes, nil
}
