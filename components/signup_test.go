package components_test

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/hush-scores/hush/components"
)

// TestSignUpAndAttributes: hush:selfSignUp opens sign-up per stack (dev and
// stage, where the e2e sign-up flows run; prod's users are created by an
// administrator), and unset means closed; the app client lists the
// attributes it may read and write; an e-mail change waits for its
// confirmation.
func TestSignUpAndAttributes(t *testing.T) {
	for _, tt := range []struct {
		stack     string
		selfSetAs string // "" keeps the stack file's value, "unset" drops it
		adminOnly bool
	}{
		{"dev", "", false},
		{"stage", "", false},
		{"prod", "", true},
		{"dev", "unset", true},
		{"prod", "true", false},
	} {
		t.Run(tt.stack+" "+tt.selfSetAs, func(t *testing.T) {
			config := projectConfig(t, tt.stack)
			switch tt.selfSetAs {
			case "":
			case "unset":
				delete(config, "hush:selfSignUp")
			default:
				config["hush:selfSignUp"] = tt.selfSetAs
			}
			resources, outputs, err := run(t, tt.stack, config)
			if err != nil {
				t.Fatal(err)
			}
			s := newSnapshot(resources)
			pool := s.only(t, "aws:cognito/userPool:UserPool")
			admin := pool.Inputs["adminCreateUserConfig"]
			if !admin.IsObject() || !admin.ObjectValue()["allowAdminCreateUserOnly"].IsBool() ||
				admin.ObjectValue()["allowAdminCreateUserOnly"].BoolValue() != tt.adminOnly {
				t.Errorf("adminCreateUserConfig = %v, want allowAdminCreateUserOnly %v", admin, tt.adminOnly)
			}
			if got, ok := outputs[components.OutputSelfSignUp].(bool); !ok || got != !tt.adminOnly {
				t.Errorf("output %s = %v, want %v", components.OutputSelfSignUp, outputs[components.OutputSelfSignUp], !tt.adminOnly)
			}
			upd := pool.Inputs["userAttributeUpdateSettings"]
			if !upd.IsObject() || !slices.Equal(stringsOf(upd.ObjectValue()["attributesRequireVerificationBeforeUpdates"]), []string{"email"}) {
				t.Errorf("userAttributeUpdateSettings = %v, want email verified before it is updated", upd)
			}
			client := s.only(t, "aws:cognito/userPoolClient:UserPoolClient")
			if got := stringsOf(client.Inputs["readAttributes"]); !slices.Equal(got, []string{"email", "email_verified"}) {
				t.Errorf("client readAttributes = %v, want [email email_verified]", got)
			}
			if got := stringsOf(client.Inputs["writeAttributes"]); !slices.Equal(got, []string{"email"}) {
				t.Errorf("client writeAttributes = %v, want [email] (email_verified is Cognito's to set)", got)
			}
		})
	}
}

func stringsOf(v resource.PropertyValue) []string {
	var out []string
	for _, e := range arrayOf(v) {
		out = append(out, stringInput(e))
	}
	return out
}
