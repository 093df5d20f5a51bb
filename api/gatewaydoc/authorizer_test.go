package gatewaydoc

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/hush-scores/hush/api"
)

// TestAuthorizerModes checks the security scheme for each way the API may
// check tokens: the pool alone, the pool and its replica, or a Lambda
// authorizer; and that protected routes name the scheme in every mode.
func TestAuthorizerModes(t *testing.T) {
	replica := "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-central-1_pool"
	uri := "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:hush-prod-authorizer/invocations"
	for _, tt := range []struct {
		name     string
		change   func(*Inputs)
		authType string
		want     string
	}{
		{
			name:     "pool only",
			change:   func(*Inputs) {},
			authType: "cognito_user_pools",
			want:     `{"identitySource":"method.request.header.Authorization","identityValidationExpression":"^client\\.1$","providerARNs":["` + inputs.UserPoolArn + `"],"type":"cognito_user_pools"}`,
		},
		{
			name:     "pool and its replica",
			change:   func(in *Inputs) { in.ReplicaUserPoolArn = replica },
			authType: "cognito_user_pools",
			want:     `{"identitySource":"method.request.header.Authorization","identityValidationExpression":"^client\\.1$","providerARNs":["` + inputs.UserPoolArn + `","` + replica + `"],"type":"cognito_user_pools"}`,
		},
		{
			name:     "Lambda token authorizer",
			change:   func(in *Inputs) { in.ReplicaUserPoolArn = replica; in.TokenAuthorizerURI = uri },
			authType: "custom",
			want:     `{"authorizerResultTtlInSeconds":300,"authorizerUri":"` + uri + `","identitySource":"method.request.header.Authorization","identityValidationExpression":"^(Bearer )?[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$","type":"token"}`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := inputs
			tt.change(&in)
			doc, err := Build(api.Routes(), api.OpenAPI(), in)
			if err != nil {
				t.Fatal(err)
			}
			var d struct {
				Components struct {
					SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
				}
			}
			if err := json.Unmarshal(doc, &d); err != nil {
				t.Fatal(err)
			}
			scheme := d.Components.SecuritySchemes[SecurityScheme]
			if got := scheme["x-amazon-apigateway-authtype"]; got != tt.authType {
				t.Errorf("authtype = %v, want %s", got, tt.authType)
			}
			if got, _ := json.Marshal(scheme["x-amazon-apigateway-authorizer"]); string(got) != tt.want {
				t.Errorf("authorizer = %s\nwant %s", got, tt.want)
			}
			routes, err := Routes(doc, map[string]api.Function{"arn:hello": api.FunctionHello, "arn:read": api.FunctionRead, "arn:write": api.FunctionWrite})
			if err != nil {
				t.Fatal(err)
			}
			protected := 0
			for _, r := range routes {
				if r.Auth {
					protected++
				}
			}
			want := 0
			for _, r := range api.Routes() {
				if r.Auth {
					want++
				}
			}
			if protected != want || want == 0 {
				t.Errorf("%d protected routes read back, want %d", protected, want)
			}
		})
	}
}

// TestCompactJWSExpression checks the shapes the Lambda authorizer's
// expression lets through to the function, and those API Gateway refuses
// without invoking it.
func TestCompactJWSExpression(t *testing.T) {
	re := regexp.MustCompile(CompactJWSExpression)
	for token, want := range map[string]bool{
		"eyJh.eyJz.c2ln":        true,
		"Bearer eyJh.eyJz.c2ln": true,
		"eyJh.eyJz":             false,
		"eyJh.eyJz.c2ln.x":      false,
		"Basic dXNlcjpwdw==":    false,
		"":                      false,
		"eyJh.eyJz.c2ln\n":      false,
	} {
		if got := re.MatchString(token); got != want {
			t.Errorf("%q matches %v, want %v", token, got, want)
		}
	}
}
