package stackconfig

import (
	"reflect"
	"strings"
	"testing"
)

func TestIdentity(t *testing.T) {
	three := `["eu-central-1","eu-west-1","us-east-1"]`
	for _, tt := range []struct {
		name string
		set  map[string]string
		want Identity
		// errs are substrings of the error, the first being the key; none
		// means the config is valid.
		errs []string
	}{
		{
			name: "unset: no replica, original issuer, Cognito authorizer",
			want: Identity{Issuer: IssuerOriginal, Authorizer: AuthorizerCognito},
		},
		{
			name: "a replica in another region of the stack",
			set:  map[string]string{"hush:regions": three, "hush:identityReplicaRegion": "eu-west-1"},
			want: Identity{ReplicaRegion: "eu-west-1", Issuer: IssuerOriginal, Authorizer: AuthorizerCognito},
		},
		{
			name: "multi-Region issuer and the Lambda authorizer",
			set: map[string]string{"hush:regions": three, "hush:identityReplicaRegion": "us-east-1",
				"hush:identityIssuer": "multiRegion", "hush:authorizer": "lambda"},
			want: Identity{ReplicaRegion: "us-east-1", Issuer: IssuerMultiRegion, Authorizer: AuthorizerLambda},
		},
		{
			name: "replica in the home region",
			set:  map[string]string{"hush:regions": three, "hush:identityReplicaRegion": "eu-central-1"},
			errs: []string{"hush:identityReplicaRegion:", `"eu-central-1" is the home region`, "another of the stack's regions (eu-west-1, us-east-1)"},
		},
		{
			name: "replica outside the stack",
			set:  map[string]string{"hush:identityReplicaRegion": "us-east-1"},
			errs: []string{"hush:identityReplicaRegion:", `"us-east-1" is not one of the stack's regions eu-central-1, eu-west-1`},
		},
		{
			name: "replica region typo",
			set:  map[string]string{"hush:identityReplicaRegion": "eu-west-2"},
			errs: []string{"hush:identityReplicaRegion:", `did you mean "eu-west-1"?`},
		},
		{
			name: "replica region empty",
			set:  map[string]string{"hush:identityReplicaRegion": " "},
			errs: []string{"hush:identityReplicaRegion: is empty"},
		},
		{
			name: "replica in a one-region stack",
			set:  map[string]string{"hush:regions": `["eu-central-1"]`, "hush:identityReplicaRegion": "eu-west-1"},
			errs: []string{"hush:identityReplicaRegion:", `"eu-west-1" is not one of the stack's regions eu-central-1`},
		},
		{
			name: "unknown issuer",
			set:  map[string]string{"hush:identityIssuer": "updated"},
			errs: []string{`hush:identityIssuer: "updated" is not one of original, multiRegion`},
		},
		{
			name: "unknown authorizer",
			set:  map[string]string{"hush:authorizer": "jwt"},
			errs: []string{`hush:authorizer: "jwt" is not one of cognito, lambda`},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			values := valid()
			for k, v := range tt.set {
				values[k] = v
			}
			got, err := Parse("prod", values)
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !reflect.DeepEqual(got.Identity, tt.want) {
					t.Errorf("Identity = %+v, want %+v", got.Identity, tt.want)
				}
				if got.Identity.Replicated() != (tt.want.ReplicaRegion != "") {
					t.Errorf("Replicated() = %v with replica region %q", got.Identity.Replicated(), tt.want.ReplicaRegion)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded with %+v; want an error containing %q", got.Identity, tt.errs)
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

// TestStackFilesIdentity pins what each stack file asks for: a replica in
// prod only, in a region of prod other than its home.
func TestStackFilesIdentity(t *testing.T) {
	for stack, want := range map[string]string{"dev": "", "stage": "", "prod": "eu-west-1"} {
		t.Run(stack, func(t *testing.T) {
			values, err := ReadFile(File("..", stack))
			if err != nil {
				t.Fatal(err)
			}
			project, err := ReadFile("../Pulumi.yaml")
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range project {
				if _, ok := values[k]; !ok {
					values[k] = v
				}
			}
			s, err := Parse(stack, values)
			if err != nil {
				t.Fatalf("Parse %s: %v", stack, err)
			}
			if s.Identity.ReplicaRegion != want {
				t.Errorf("%s: identity replica region = %q, want %q", stack, s.Identity.ReplicaRegion, want)
			}
		})
	}
}
