package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// signUpRefusal is what Cognito answers, with HTTP 400 and
// NotAuthorizedException, to a SignUp in a pool where only administrators
// create users (AllowAdminCreateUserOnly).
const signUpRefusal = "SignUp is not permitted for this user pool"

// learnSelfSignUp sets t.SelfSignUp, the target's hush:selfSignUp, and
// says where it came from. In order: HUSH_SELF_SIGN_UP (true or false), set
// by whoever names the target; what the target already knows (a local
// stack's file, the stack output selfSignUp); else the pool itself, by
// DescribeUserPool (AdminCreateUserConfig.AllowAdminCreateUserOnly), which
// needs cognito-idp:DescribeUserPool.
func learnSelfSignUp(ctx context.Context, t *target) (string, error) {
	if raw := os.Getenv("HUSH_SELF_SIGN_UP"); raw != "" {
		v, err := strconv.ParseBool(raw)
		if err != nil {
			return "", fmt.Errorf("HUSH_SELF_SIGN_UP=%q: want true or false", raw)
		}
		t.SelfSignUp = v
		return "HUSH_SELF_SIGN_UP", nil
	}
	if t.signUpKnown != "" {
		return t.signUpKnown, nil
	}
	out, err := cognito.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(t.PoolID)})
	if err != nil {
		return "", fmt.Errorf("learn whether the pool allows sign-up (DescribeUserPool %s; or set HUSH_SELF_SIGN_UP=true|false): %w", t.PoolID, err)
	}
	cfg := out.UserPool.AdminCreateUserConfig
	t.SelfSignUp = cfg == nil || !cfg.AllowAdminCreateUserOnly
	return "the pool's AllowAdminCreateUserOnly", nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// checkSignUpRefused reports unless err is Cognito's refusal of a SignUp
// where sign-up is off: HTTP 400, NotAuthorizedException, signUpRefusal.
func checkSignUpRefused(err error) error {
	var notAuth *types.NotAuthorizedException
	var resp *awshttp.ResponseError
	if !errors.As(err, &notAuth) || !errors.As(err, &resp) {
		return fmt.Errorf("got %w, want HTTP 400 NotAuthorizedException %q", err, signUpRefusal)
	}
	if resp.HTTPStatusCode() != 400 || notAuth.ErrorMessage() != signUpRefusal {
		return fmt.Errorf("got HTTP %d NotAuthorizedException %q, want HTTP 400 NotAuthorizedException %q",
			resp.HTTPStatusCode(), notAuth.ErrorMessage(), signUpRefusal)
	}
	return nil
}

// TestReadOutputsSelfSignUp: the stack output selfSignUp, when present,
// says whether the deployed stack's sign-up is open; without it (a stack
// deployed before the output existed) the suite asks the pool.
func TestReadOutputsSelfSignUp(t *testing.T) {
	const base = `"apiUrl":"https://a/dev","userPoolId":"p","userPoolClientId":"c","homeRegion":"eu-central-1"`
	tests := []struct {
		name      string
		json      string
		want      bool
		wantKnown bool
	}{
		{"on", `{` + base + `,"selfSignUp":true}`, true, true},
		{"off", `{` + base + `,"selfSignUp":false}`, false, true},
		{"absent", `{` + base + `}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outputs.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readOutputs(path)
			if err != nil {
				t.Fatalf("readOutputs: %v", err)
			}
			if got.SelfSignUp != tt.want || (got.signUpKnown != "") != tt.wantKnown {
				t.Errorf("SelfSignUp %v (known from %q), want %v (known: %v)", got.SelfSignUp, got.signUpKnown, tt.want, tt.wantKnown)
			}
		})
	}
}
