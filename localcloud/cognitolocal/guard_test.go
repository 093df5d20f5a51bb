package cognitolocal_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/userpool"
)

// TestGuardWantsTheDataDirSecret: with a secret, cognito-local's guard
// lets through what Cognito serves without credentials (sign-up, sign-in)
// unsigned, but an administrator's call (adding a user to admins) only
// when signed with the secret: not with the well-known local credentials.
// A page that rebinds its name to 127.0.0.1 is refused whatever it sends.
func TestGuardWantsTheDataDirSecret(t *testing.T) {
	testtier.Needs(t, testtier.CognitoLocal)
	ctx := context.Background()
	const secret = "per-data-dir-secret" //nolint:gosec // a test secret
	// Sign-up on (a dev stack), so that SignUp reaches cognito-local.
	srv, err := cognitolocal.Start(ctx, cognitolocal.Options{Dir: t.TempDir(), Secret: secret, SelfSignUp: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	owner := srv.NewClient("eu-west-1")
	pool, err := cognitolocal.EnsurePool(ctx, owner, "hush-test", userpool.Pool())
	if err != nil {
		t.Fatalf("EnsurePool signed with the secret: %v", err)
	}
	wellKnown := cognitolocal.NewClient(srv.Endpoint, "eu-west-1")
	if _, err := wellKnown.SignUp(ctx, &cip.SignUpInput{
		ClientId: aws.String(pool.ClientID), Username: aws.String("mallory"), Password: aws.String("Passw0rdOK"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("m@example.com")}},
	}); err != nil {
		t.Fatalf("SignUp, which Cognito serves without credentials: %v", err)
	}
	_, err = wellKnown.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
		UserPoolId: aws.String(pool.ID), Username: aws.String("mallory"), GroupName: aws.String("admins"),
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("AdminAddUserToGroup with the well-known local credentials: %v, want InvalidSignatureException", err)
	}
	groups, err := owner.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(pool.ID), Username: aws.String("mallory")})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.Groups) != 0 {
		t.Errorf("mallory is in %d groups, want none", len(groups.Groups))
	}

	// A rebinding page: its own name as Host, a same-origin fetch of a
	// public operation, which needs no signature.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.Endpoint+"/", strings.NewReader(`{"ClientId":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "rebind.attacker.example"
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.SignUp")
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("rebinding request: %d, want 403", res.StatusCode)
	}
}
