package components_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/components"
)

// The types of the user pool's replica; none of them may appear in a stack
// without hush:identityReplicaRegion.
const (
	typeKey        = "aws:kms/key:Key"
	typeReplicaKey = "aws:kms/replicaKey:ReplicaKey"
	typeCloud      = "aws:cloudcontrol/resource:Resource"
	typePool       = "aws:cognito/userPool:UserPool"
)

func dependsOn(r pulumi.MockResourceArgs, name string) bool {
	return slices.ContainsFunc(r.RegisterRPC.GetDependencies(), func(urn string) bool { return strings.HasSuffix(urn, "::"+name) })
}

func TestIdentityReplicaProd(t *testing.T) {
	resources, outputs, err := run(t, "prod", projectConfig(t, "prod"))
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	s := newSnapshot(resources)
	const home, replica = "eu-central-1", "eu-west-1"
	// hush-idcheck reads these.
	for name, want := range map[string]any{components.OutputIdentityReplicaRegion: replica, components.OutputIdentityIssuer: "original",
		components.OutputIdentityKeyArn: "arn:aws:kms:" + home + ":" + account + ":key/mrk-identity"} {
		if got := outputs[name]; got != want {
			t.Errorf("output %s = %v, want %v", name, got, want)
		}
	}

	pool := s.only(t, typePool)
	if got := pool.Inputs["userPoolTier"]; !got.IsString() || got.StringValue() != components.IdentityFeaturePlan {
		t.Errorf("user pool tier = %v, want %s (multi-Region replication needs Essentials or Plus)", got, components.IdentityFeaturePlan)
	}

	key := s.only(t, typeKey)
	t.Run("multi-Region key in the home region", func(t *testing.T) {
		if got := providerRegion(key.Provider); got != home {
			t.Errorf("key on the %q provider, want %s", got, home)
		}
		if got := key.Inputs["multiRegion"]; !got.IsBool() || !got.BoolValue() {
			t.Errorf("multiRegion = %v, want true: a replica needs a multi-Region key", got)
		}
		if got := key.Inputs["enableKeyRotation"]; !got.IsBool() || !got.BoolValue() {
			t.Errorf("enableKeyRotation = %v, want true", got)
		}
		if !key.RegisterRPC.GetProtect() || !key.RegisterRPC.GetRetainOnDelete() {
			t.Error("the key is not protected and retained in prod: deleting it loses every user")
		}
		checkKeyPolicy(t, "key", key.Inputs["policy"].StringValue())
	})

	rk := s.only(t, typeReplicaKey)
	t.Run("the key's replica in the replica region", func(t *testing.T) {
		if got := providerRegion(rk.Provider); got != replica {
			t.Errorf("key replica on the %q provider, want %s", got, replica)
		}
		if got, want := rk.Inputs["primaryKeyArn"].StringValue(), "arn:aws:kms:"+home+":"+account+":key/mrk-identity"; got != want {
			t.Errorf("primaryKeyArn = %q, want the home key %q", got, want)
		}
		if !rk.RegisterRPC.GetProtect() || !rk.RegisterRPC.GetRetainOnDelete() {
			t.Error("the key replica is not protected and retained in prod")
		}
		checkKeyPolicy(t, "key replica", rk.Inputs["policy"].StringValue())
	})

	cc := s.only(t, typeCloud)
	t.Run("the pool's replica through Cloud Control", func(t *testing.T) {
		if got := cc.Inputs["typeName"].StringValue(); got != components.UserPoolReplicaType {
			t.Errorf("typeName = %q, want %s", got, components.UserPoolReplicaType)
		}
		if got := providerRegion(cc.Provider); got != home {
			t.Errorf("pool replica on the %q provider, want the primary's region %s", got, home)
		}
		var desired map[string]string
		if err := json.Unmarshal([]byte(cc.Inputs["desiredState"].StringValue()), &desired); err != nil {
			t.Fatalf("desiredState: %v", err)
		}
		if want := map[string]string{"UserPoolId": home + "_pool", "RegionName": replica}; !maps.Equal(desired, want) {
			t.Errorf("desiredState = %v, want %v", desired, want)
		}
		if !dependsOn(cc, "identity-key-replica") {
			t.Errorf("the pool replica does not wait for the key's replica; dependencies %v", cc.RegisterRPC.GetDependencies())
		}
		if !cc.RegisterRPC.GetProtect() {
			t.Error("the pool replica is not protected in prod")
		}
	})

	t.Run("no Lambda authorizer in Cognito mode", func(t *testing.T) {
		for _, fn := range s.ofType("aws:lambda/function:Function") {
			if strings.HasSuffix(fn.Inputs["name"].StringValue(), "-authorizer") {
				t.Errorf("function %s declared with hush:authorizer cognito", fn.Name)
			}
		}
	})
}

// checkKeyPolicy checks that the account administers the key and that
// Cognito of this account, and nobody else, may use it.
func checkKeyPolicy(t *testing.T, what, doc string) {
	t.Helper()
	var p struct {
		Statement []struct {
			Sid       string
			Principal map[string]string
			Action    any
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("%s policy: %v", what, err)
	}
	var sawAccount, sawCognito bool
	for _, st := range p.Statement {
		switch {
		case st.Principal["AWS"] == "arn:aws:iam::"+account+":root":
			sawAccount = true
		case st.Principal["Service"] == components.CognitoServicePrincipal:
			sawCognito = true
			if got := st.Condition["StringEquals"]["aws:SourceAccount"]; got != account {
				t.Errorf("%s policy lets Cognito use the key with aws:SourceAccount %q, want %s", what, got, account)
			}
			acts := fmt.Sprint(st.Action)
			for _, a := range []string{"kms:Decrypt", "kms:GenerateDataKey*"} {
				if !strings.Contains(acts, a) {
					t.Errorf("%s policy: Cognito lacks %s (%s)", what, a, acts)
				}
			}
		default:
			t.Errorf("%s policy: unexpected statement %s for %v", what, st.Sid, st.Principal)
		}
	}
	if !sawAccount || !sawCognito {
		t.Errorf("%s policy: account statement %v, Cognito statement %v; want both", what, sawAccount, sawCognito)
	}
}

func TestNoIdentityReplicaWithoutTheSetting(t *testing.T) {
	for _, stack := range []string{"dev", "stage"} {
		t.Run(stack, func(t *testing.T) {
			resources, outputs, err := run(t, stack, projectConfig(t, stack))
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			s := newSnapshot(resources)
			for _, name := range []string{components.OutputIdentityReplicaRegion, components.OutputIdentityKeyArn, components.OutputIdentityIssuer} {
				if got, ok := outputs[name]; ok {
					t.Errorf("%s exports %s = %v without a replica", stack, name, got)
				}
			}
			for _, typ := range []string{typeKey, typeReplicaKey, typeCloud, "hush:index:IdentityReplica"} {
				if got := s.ofType(typ); len(got) != 0 {
					t.Errorf("%s declares %d %s; want none without hush:identityReplicaRegion", stack, len(got), typ)
				}
			}
			if tier, ok := s.only(t, typePool).Inputs["userPoolTier"]; ok && !tier.IsNull() {
				t.Errorf("%s sets the pool's feature plan to %v; without a replica it keeps the plan it has", stack, tier)
			}
			for _, api := range s.ofType("aws:apigateway/restApi:RestApi") {
				var doc struct {
					Components struct {
						SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
					}
				}
				if err := json.Unmarshal([]byte(api.Inputs["body"].StringValue()), &doc); err != nil {
					t.Fatal(err)
				}
				authz, _ := doc.Components.SecuritySchemes["cognitoIdToken"]["x-amazon-apigateway-authorizer"].(map[string]any)
				if providers, _ := authz["providerARNs"].([]any); len(providers) != 1 {
					t.Errorf("%s: %s trusts %v, want the home pool only", stack, api.Name, providers)
				}
			}
		})
	}
}

// TestLambdaAuthorizer runs prod with hush:authorizer lambda: every region
// gets the token authorizer, the API document names it, only the API's
// authorizers may invoke it, and it accepts the issuers of both replicas.
func TestLambdaAuthorizer(t *testing.T) {
	for _, tt := range []struct {
		stack, issuer string
		want          []string
	}{
		{"prod", "original", []string{"https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_pool", "https://cognito-idp.eu-west-1.amazonaws.com/eu-central-1_pool"}},
		{"prod", "multiRegion", []string{"https://issuer-cognito-idp.eu-central-1.amazonaws.com/eu-central-1_pool"}},
		// Without a replica the authorizer accepts the pool's own issuer.
		{"dev", "original", []string{"https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_pool"}},
	} {
		t.Run(tt.stack+" "+tt.issuer, func(t *testing.T) {
			config := projectConfig(t, tt.stack)
			config["hush:authorizer"] = "lambda"
			config["hush:identityIssuer"] = tt.issuer
			resources, _, err := run(t, tt.stack, config)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			s := newSnapshot(resources)
			fnName := "hush-" + tt.stack + "-authorizer"
			for _, region := range stacks[tt.stack].regions {
				var fn *pulumi.MockResourceArgs
				for _, f := range s.childrenOf("aws:lambda/function:Function", region) {
					if f.Inputs["name"].StringValue() == fnName {
						fn = &f
					}
				}
				if fn == nil {
					t.Errorf("%s: no %s function", region, fnName)
					continue
				}
				env := fn.Inputs["environment"].ObjectValue()["variables"].ObjectValue()
				if got := env["TOKEN_ISSUERS"].StringValue(); got != strings.Join(tt.want, ",") {
					t.Errorf("%s: TOKEN_ISSUERS = %q, want %q", region, got, strings.Join(tt.want, ","))
				}
				if got := env["CLIENT_ID"]; !got.IsString() || got.StringValue() != "global-client-id" {
					t.Errorf("%s: CLIENT_ID = %v, want the app client's ID", region, got)
				}
				uri := fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/arn:aws:lambda:%s:%s:function:%s/invocations", region, region, account, fnName)
				for _, a := range s.childrenOf("aws:apigateway/restApi:RestApi", region) {
					if body := a.Inputs["body"].StringValue(); !strings.Contains(body, `"authorizerUri":"`+uri+`"`) || !strings.Contains(body, `"x-amazon-apigateway-authtype":"custom"`) {
						t.Errorf("%s: the API document does not name the token authorizer %s", region, uri)
					}
				}
				var permitted bool
				for _, p := range s.childrenOf("aws:lambda/permission:Permission", region) {
					if strings.HasSuffix(p.Name, "-authorizer-permission") {
						permitted = true
						want := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s-api-id/authorizers/*", region, account, region)
						if got := p.Inputs["sourceArn"].StringValue(); got != want {
							t.Errorf("%s: authorizer permission for %q, want %q", region, got, want)
						}
					}
				}
				if !permitted {
					t.Errorf("%s: API Gateway may not invoke the authorizer", region)
				}
			}
		})
	}
}
