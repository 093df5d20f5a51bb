package gatewaydoc

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hush-scores/hush/api"
)

var inputs = Inputs{
	InvokeArns: map[api.Function]string{
		api.FunctionHello: "arn:hello", api.FunctionRead: "arn:read", api.FunctionWrite: "arn:write",
	},
	UserPoolArn: "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_pool",
	ClientID:    "client.1",
}

func sortedRoutes(rs []api.Route) []api.Route {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b api.Route) int { return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method) })
	return rs
}

func TestBuildDescribesEveryRouteForAPIGateway(t *testing.T) {
	doc, err := Build(api.Routes(), api.OpenAPI(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Servers    any `json:"servers"`
		Paths      map[string]map[string]map[string]any
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		}
		Responses map[string]map[string]any `json:"x-amazon-apigateway-gateway-responses"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.Servers != nil {
		t.Errorf("servers = %v, want none: API Gateway would take their path as a base path", d.Servers)
	}
	for _, r := range api.Routes() {
		op := d.Paths[r.Path][strings.ToLower(r.Method)]
		integ, _ := op["x-amazon-apigateway-integration"].(map[string]any)
		if integ["type"] != "aws_proxy" || integ["httpMethod"] != "POST" || integ["uri"] != inputs.InvokeArns[r.Function] {
			t.Errorf("%s %s integration = %v, want aws_proxy POST to %s", r.Method, r.Path, integ, inputs.InvokeArns[r.Function])
		}
		sec, _ := json.Marshal(op["security"])
		if want := `[{"cognitoIdToken":[]}]`; r.Auth != (string(sec) == want) {
			t.Errorf("%s %s security = %s, auth %v", r.Method, r.Path, sec, r.Auth)
		}
	}
	authz, _ := d.Components.SecuritySchemes[SecurityScheme]["x-amazon-apigateway-authorizer"].(map[string]any)
	if got, _ := json.Marshal(authz); string(got) != `{"identitySource":"method.request.header.Authorization","identityValidationExpression":"^client\\.1$","providerARNs":["`+inputs.UserPoolArn+`"],"type":"cognito_user_pools"}` {
		t.Errorf("authorizer = %s", got)
	}
	for name, status := range map[string]any{"MISSING_AUTHENTICATION_TOKEN": "403", "UNAUTHORIZED": "401", "THROTTLED": "429", "DEFAULT_4XX": nil, "DEFAULT_5XX": nil} {
		r := d.Responses[name]
		if got := r["statusCode"]; got != status {
			t.Errorf("gateway response %s status = %v, want %v", name, got, status)
		}
		// No cache may keep one of the gateway's own errors.
		if got, _ := json.Marshal(r["responseParameters"]); string(got) != `{"gatewayresponse.header.Cache-Control":"'no-store'"}` {
			t.Errorf("gateway response %s parameters = %s, want Cache-Control 'no-store' only", name, got)
		}
	}
	if len(d.Responses) != 5 {
		t.Errorf("gateway responses %v, want the five above", slices.Collect(maps.Keys(d.Responses)))
	}
	// The local gateway reads the same routes back.
	fns := map[string]api.Function{}
	for fn, arn := range inputs.InvokeArns {
		fns[arn] = fn
	}
	got, err := Routes(doc, fns)
	if err != nil {
		t.Fatal(err)
	}
	if want := sortedRoutes(api.Routes()); !slices.Equal(got, want) {
		t.Errorf("Routes(doc) =\n%v\nwant\n%v", got, want)
	}
}

// TestARemovedRouteLeavesTheDocument is the reason for the document: a route
// dropped from api.Routes (and the description) is absent from the body API
// Gateway replaces the API with, and the hash that triggers the deployment
// changes, so the next deployment cannot serve it.
func TestARemovedRouteLeavesTheDocument(t *testing.T) {
	base, err := Build(api.Routes(), api.OpenAPI(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	routes := api.Routes()
	removed := routes[len(routes)-1]
	routes = routes[:len(routes)-1]
	var desc map[string]any
	if err := yaml.Unmarshal(api.OpenAPI(), &desc); err != nil {
		t.Fatal(err)
	}
	delete(desc["paths"].(map[string]any)[removed.Path].(map[string]any), strings.ToLower(removed.Method))
	descBytes, err := yaml.Marshal(desc)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Build(routes, descBytes, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if Hash(doc) == Hash(base) {
		t.Error("removing a route left the document's hash unchanged; the API would not redeploy")
	}
	fns := map[string]api.Function{"arn:hello": api.FunctionHello, "arn:read": api.FunctionRead, "arn:write": api.FunctionWrite}
	got, err := Routes(doc, fns)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.Method == removed.Method && r.Path == removed.Path {
			t.Errorf("%s %s is still in the document", removed.Method, removed.Path)
		}
	}
}

func TestHashFollowsEveryInput(t *testing.T) {
	base, err := Build(api.Routes(), api.OpenAPI(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Build(api.Routes(), api.OpenAPI(), inputs)
	if Hash(again) != Hash(base) {
		t.Fatal("the same inputs gave two hashes")
	}
	for name, change := range map[string]func(*Inputs){
		"integration target": func(in *Inputs) {
			in.InvokeArns = map[api.Function]string{api.FunctionHello: "arn:hello", api.FunctionRead: "arn:read-2", api.FunctionWrite: "arn:write"}
		},
		"authorizer's pool": func(in *Inputs) { in.UserPoolArn += "-2" },
		"app client":        func(in *Inputs) { in.ClientID = "client-2" },
	} {
		in := inputs
		change(&in)
		doc, err := Build(api.Routes(), api.OpenAPI(), in)
		if err != nil {
			t.Fatal(err)
		}
		if Hash(doc) == Hash(base) {
			t.Errorf("changing the %s left the hash unchanged", name)
		}
	}
}

func TestBuildRefusesMismatches(t *testing.T) {
	routes := api.Routes()
	extra := append(slices.Clone(routes), api.Route{Method: "GET", Path: "/v1/new", Function: api.FunctionRead})
	flipped := slices.Clone(routes)
	flipped[0].Auth = !flipped[0].Auth
	noArn := Inputs{InvokeArns: map[api.Function]string{api.FunctionHello: "arn:hello"}, UserPoolArn: "p", ClientID: "c"}
	for name, tc := range map[string]struct {
		routes []api.Route
		in     Inputs
		want   string
	}{
		"undescribed route":    {extra, inputs, "operations for"},
		"auth disagrees":       {flipped, inputs, "auth"},
		"function without ARN": {routes, noArn, "no invoke ARN"},
	} {
		if _, err := Build(tc.routes, api.OpenAPI(), tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}
