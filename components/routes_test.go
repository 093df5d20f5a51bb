package components

import (
	"regexp"
	"slices"
	"testing"

	"github.com/hush-scores/hush/api"
)

func TestDeploymentHashChangesWithRoutes(t *testing.T) {
	arns := map[api.Function]string{api.FunctionHello: "arn:hello", api.FunctionRead: "arn:read", api.FunctionWrite: "arn:write"}
	auth := authorizerSettings{ProviderArn: "arn:pool", IdentitySource: identitySource, IdentityValidationExpression: "^client$"}
	base := deploymentHash(api.Routes(), arns, auth)
	if again := deploymentHash(api.Routes(), arns, auth); again != base {
		t.Fatalf("hash of the same routes changed: %s then %s", base, again)
	}
	tests := []struct {
		name   string
		change func(routes []api.Route, arns map[api.Function]string)
		auth   authorizerSettings
	}{
		{"route added", func(r []api.Route, _ map[api.Function]string) {}, auth},
		{"path changed", func(r []api.Route, _ map[api.Function]string) { r[0].Path = "/v1/hi" }, auth},
		{"auth changed", func(r []api.Route, _ map[api.Function]string) { r[0].Auth = !r[0].Auth }, auth},
		{"method changed", func(r []api.Route, _ map[api.Function]string) { r[0].Method = "POST" }, auth},
		{"integration target changed", func(_ []api.Route, a map[api.Function]string) { a[api.FunctionRead] = "arn:read-v2" }, auth},
		{"authorizer's pool changed", nil, authorizerSettings{ProviderArn: "arn:pool-2", IdentitySource: identitySource, IdentityValidationExpression: "^client$"}},
		{"authorizer's app client changed", nil, authorizerSettings{ProviderArn: "arn:pool", IdentitySource: identitySource, IdentityValidationExpression: "^client-2$"}},
		{"authorizer's identity source changed", nil, authorizerSettings{ProviderArn: "arn:pool", IdentitySource: "method.request.header.X-Token", IdentityValidationExpression: "^client$"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes := slices.Clone(api.Routes())
			if tt.name == "route added" {
				routes = append(routes, api.Route{Method: "GET", Path: "/v1/new", Function: api.FunctionRead})
			}
			changed := map[api.Function]string{}
			for k, v := range arns {
				changed[k] = v
			}
			if tt.change != nil {
				tt.change(routes, changed)
			}
			if got := deploymentHash(routes, changed, tt.auth); got == base {
				t.Errorf("hash unchanged after %s; the API would not redeploy", tt.name)
			}
		})
	}
}

func TestResourcePaths(t *testing.T) {
	routes := []api.Route{
		{Method: "GET", Path: "/v1/tournament/{tournamentId}/results"},
		{Method: "POST", Path: "/v1/tournament/match"},
		{Method: "GET", Path: "/v1/hello"},
	}
	got := resourcePaths(routes)
	want := []string{"/v1", "/v1/hello", "/v1/tournament", "/v1/tournament/match", "/v1/tournament/{tournamentId}", "/v1/tournament/{tournamentId}/results"}
	if !slices.Equal(got, want) {
		t.Errorf("resourcePaths = %v, want %v", got, want)
	}
	for _, tc := range []struct{ path, parent, arn string }{
		{"/v1", "/", "/v1"},
		{"/v1/tournament/{tournamentId}/results", "/v1/tournament/{tournamentId}", "/v1/tournament/*/results"},
	} {
		if got := parentPath(tc.path); got != tc.parent {
			t.Errorf("parentPath(%q) = %q, want %q", tc.path, got, tc.parent)
		}
		if got := sourceArnPath(tc.path); got != tc.arn {
			t.Errorf("sourceArnPath(%q) = %q, want %q", tc.path, got, tc.arn)
		}
	}
}

func TestRegionalArn(t *testing.T) {
	got := regionalArn("arn:aws:dynamodb:eu-central-1:123456789012:table/hush-prod", "us-east-1")
	if want := "arn:aws:dynamodb:us-east-1:123456789012:table/hush-prod"; got != want {
		t.Errorf("regionalArn = %q, want %q", got, want)
	}
}

func TestClientIDExpression(t *testing.T) {
	tests := []struct {
		name, clientID, want string
		matches, refuses     []string
	}{
		{"plain ID", "4tbl0ogjv3rha2tq8k3dsv8mpp", `^4tbl0ogjv3rha2tq8k3dsv8mpp$`,
			[]string{"4tbl0ogjv3rha2tq8k3dsv8mpp"},
			[]string{"x4tbl0ogjv3rha2tq8k3dsv8mpp", "4tbl0ogjv3rha2tq8k3dsv8mppx", ""}},
		{"metacharacters escaped", "a.b+c", `^a\.b\+c$`,
			[]string{"a.b+c"},
			[]string{"aXb+c", "a.bbc", "a.b+c2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClientIDExpression(tt.clientID)
			if got != tt.want {
				t.Fatalf("ClientIDExpression(%q) = %q, want %q", tt.clientID, got, tt.want)
			}
			re := regexp.MustCompile(got)
			for _, aud := range tt.matches {
				if !re.MatchString(aud) {
					t.Errorf("%q does not match aud %q", got, aud)
				}
			}
			for _, aud := range tt.refuses {
				if re.MatchString(aud) {
					t.Errorf("%q matches aud %q of another client", got, aud)
				}
			}
		})
	}
}
