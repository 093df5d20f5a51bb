package localcloud

import (
	"testing"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/stackconfig"
)

// TestIdentityFromStackFile: the replica, issuer and authorizer come from
// the stack file (prod names a replica, dev none) unless the options say
// otherwise; NoIdentityReplica turns prod's off.
func TestIdentityFromStackFile(t *testing.T) {
	root, err := child.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		opts        Options
		wantReplica string
		wantIssuer  stackconfig.IssuerType
		wantAuth    stackconfig.AuthorizerMode
	}{
		{"prod", Options{Stack: "prod"}, "eu-west-1", stackconfig.IssuerOriginal, stackconfig.AuthorizerCognito},
		{"prod without replica", Options{Stack: "prod", NoIdentityReplica: true}, "", stackconfig.IssuerOriginal, stackconfig.AuthorizerCognito},
		{"prod, other region and modes", Options{Stack: "prod", IdentityReplicaRegion: "us-east-1", IdentityIssuer: stackconfig.IssuerMultiRegion, Authorizer: stackconfig.AuthorizerLambda}, "us-east-1", stackconfig.IssuerMultiRegion, stackconfig.AuthorizerLambda},
		{"dev", Options{Stack: "dev"}, "", stackconfig.IssuerOriginal, stackconfig.AuthorizerCognito},
		{"no stack file", Options{Stack: "test", Regions: []string{"eu-west-1", "us-east-1"}, IdentityReplicaRegion: "us-east-1"}, "us-east-1", stackconfig.IssuerOriginal, stackconfig.AuthorizerCognito},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := loadSettings(root, tt.opts)
			if err != nil {
				t.Fatalf("loadSettings: %v", err)
			}
			if err := resolveIdentity(&set, tt.opts); err != nil {
				t.Fatalf("resolveIdentity: %v", err)
			}
			got := ""
			if set.identity != nil {
				got = set.identity.region
			}
			if got != tt.wantReplica || set.issuer != tt.wantIssuer || set.authorizer != tt.wantAuth {
				t.Errorf("replica %q, %s issuer, %s authorizer; want %q, %s, %s", got, set.issuer, set.authorizer, tt.wantReplica, tt.wantIssuer, tt.wantAuth)
			}
		})
	}
}
