package components_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// byName indexes the custom resources of a run by type and name, the parts
// of a URN the program chooses.
func byName(resources []pulumi.MockResourceArgs) map[string]pulumi.MockResourceArgs {
	out := map[string]pulumi.MockResourceArgs{}
	for _, r := range resources {
		out[r.TypeToken+"::"+r.Name] = r
	}
	return out
}

// TestReorderingRegionsChangesNothing runs prod as its file is and with
// hush:regions reversed: with the home region pinned by hush:homeRegion,
// every resource is the same, on the same provider with the same inputs, so
// `pulumi up` after a reorder replaces nothing, least of all the table or
// the user pool. The one update is the dashboard's layout, which follows
// the listed order.
func TestReorderingRegionsChangesNothing(t *testing.T) {
	config := projectConfig(t, "prod")
	before, beforeOut, err := run(t, "prod", config)
	if err != nil {
		t.Fatalf("prod: %v", err)
	}
	reordered := projectConfig(t, "prod")
	reordered["hush:regions"] = `["us-east-1","eu-west-1","eu-central-1"]`
	after, afterOut, err := run(t, "prod", reordered)
	if err != nil {
		t.Fatalf("prod with its regions reversed: %v", err)
	}
	b, a := byName(before), byName(after)
	if len(a) != len(b) {
		t.Errorf("%d resources after the reorder, %d before", len(a), len(b))
	}
	for key, r := range b {
		got, ok := a[key]
		switch {
		case !ok:
			t.Errorf("%s is gone after the reorder", key)
		case got.Provider != r.Provider:
			t.Errorf("%s moved from provider %s to %s", key, r.Provider, got.Provider)
		case r.TypeToken == "aws:cloudwatch/dashboard:Dashboard":
		case !reflect.DeepEqual(withoutCode(got.Inputs), withoutCode(r.Inputs)):
			t.Errorf("%s changed inputs:\nbefore %v\nafter  %v", key, r.Inputs, got.Inputs)
		}
	}
	for _, typ := range []string{"aws:dynamodb/table:Table", "aws:cognito/userPool:UserPool"} {
		if got := providerRegion(newSnapshot(after).only(t, typ).Provider); got != "eu-central-1" {
			t.Errorf("%s is on the %s provider after the reorder, want eu-central-1 (hush:homeRegion)", typ, got)
		}
	}
	if beforeOut["homeRegion"] != "eu-central-1" || !reflect.DeepEqual(beforeOut, afterOut) {
		t.Errorf("stack outputs changed or lost the home region:\nbefore %v\nafter  %v", beforeOut, afterOut)
	}
}

// withoutCode drops what differs between two runs of the mocks without
// a change of the program: the fake builder's zip path, under each run's
// own temporary directory (the code's hash, sourceCodeHash, is compared).
func withoutCode(inputs resource.PropertyMap) resource.PropertyMap {
	out := inputs.Copy()
	delete(out, "code")
	return out
}

// TestNewRegionWaitsForItsReplica checks that in every replica region the
// resources that make the region serve (its functions, its API and stage,
// and its latency record) depend on the region's table replica, so a region
// added to hush:regions goes live only once its replica exists.
func TestNewRegionWaitsForItsReplica(t *testing.T) {
	resources, _, err := run(t, "prod", withDomain(t, "prod"))
	if err != nil {
		t.Fatalf("prod with a domain: %v", err)
	}
	s := newSnapshot(resources)
	dependsOn := func(r pulumi.MockResourceArgs, region string) bool {
		want := "aws:dynamodb/tableReplica:TableReplica::" + region + "-replica"
		return slices.ContainsFunc(r.RegisterRPC.GetDependencies(), func(urn string) bool { return strings.HasSuffix(urn, want) })
	}
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		t.Run(region, func(t *testing.T) {
			var live []pulumi.MockResourceArgs
			for _, typ := range []string{
				"aws:lambda/function:Function", "aws:apigateway/restApi:RestApi",
				"aws:apigateway/deployment:Deployment", "aws:apigateway/stage:Stage",
			} {
				rs := s.childrenOf(typ, region)
				if len(rs) == 0 {
					t.Fatalf("no %s in %s", typ, region)
				}
				live = append(live, rs...)
			}
			record := s.named("aws:route53/record:Record", region+"-edge-latency")
			if record == nil {
				t.Fatalf("no latency record for %s", region)
			}
			live = append(live, *record)
			for _, r := range live {
				if !dependsOn(r, region) {
					t.Errorf("%s %s does not depend on %s's table replica; dependencies %v", r.TypeToken, r.Name, region, r.RegisterRPC.GetDependencies())
				}
			}
		})
	}
	// The home region holds the table itself and waits for no replica.
	for _, r := range s.childrenOf("aws:lambda/function:Function", "eu-central-1") {
		for _, region := range []string{"eu-west-1", "us-east-1"} {
			if dependsOn(r, region) {
				t.Errorf("%s in the home region depends on %s's replica", r.Name, region)
			}
		}
	}
}

// TestRetiringRegionLiftsOnlyItsOwnProtection runs prod with us-east-1
// listed in hush:retiringRegions, the first step of removing it: that
// replica loses AWS's deletion protection and Pulumi's protect, and every
// other stateful resource keeps both, so nothing needs turning back on.
func TestRetiringRegionLiftsOnlyItsOwnProtection(t *testing.T) {
	config := projectConfig(t, "prod")
	config["hush:retiringRegions"] = `["us-east-1"]`
	resources, _, err := run(t, "prod", config)
	if err != nil {
		t.Fatalf("prod retiring us-east-1: %v", err)
	}
	s := newSnapshot(resources)
	for _, tt := range []struct {
		region    string
		protected bool
	}{
		{"eu-west-1", true},
		{"us-east-1", false},
	} {
		replicas := s.childrenOf("aws:dynamodb/tableReplica:TableReplica", tt.region)
		if len(replicas) != 1 {
			t.Fatalf("%d replicas in %s, want 1", len(replicas), tt.region)
		}
		r := replicas[0]
		if got := r.Inputs["deletionProtectionEnabled"].BoolValue(); got != tt.protected {
			t.Errorf("replica %s deletionProtectionEnabled = %v, want %v", tt.region, got, tt.protected)
		}
		if got := r.RegisterRPC.GetProtect(); got != tt.protected {
			t.Errorf("replica %s protect = %v, want %v", tt.region, got, tt.protected)
		}
	}
	table := s.only(t, "aws:dynamodb/table:Table")
	if !table.Inputs["deletionProtectionEnabled"].BoolValue() || !table.RegisterRPC.GetProtect() {
		t.Errorf("table deletionProtectionEnabled, protect = %v, %v; want both on", table.Inputs["deletionProtectionEnabled"], table.RegisterRPC.GetProtect())
	}
	pool := s.only(t, "aws:cognito/userPool:UserPool")
	if got := pool.Inputs["deletionProtection"].StringValue(); got != "ACTIVE" || !pool.RegisterRPC.GetProtect() {
		t.Errorf("user pool deletionProtection, protect = %q, %v; want ACTIVE, true", got, pool.RegisterRPC.GetProtect())
	}
}

// TestSESIdentityOutsideThePoolsRegionsStopsTheProgram runs prod with an
// SES identity in us-east-1, a region a pool in eu-central-1 cannot send
// from: the program stops before it declares anything.
func TestSESIdentityOutsideThePoolsRegionsStopsTheProgram(t *testing.T) {
	config := projectConfig(t, "prod")
	config["hush:sesEmail"] = `{"identityArn":"arn:aws:ses:us-east-1:123456789012:identity/example.com","from":"no-reply@example.com"}`
	resources, _, err := run(t, "prod", config)
	if err == nil || !strings.Contains(err.Error(), "hush:sesEmail.identityArn: the identity is in us-east-1") {
		t.Fatalf("error = %v, want hush:sesEmail.identityArn refused", err)
	}
	if len(resources) != 0 {
		t.Errorf("%d resources declared before the refusal, want none", len(resources))
	}
}
