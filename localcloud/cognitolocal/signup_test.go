package cognitolocal_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/userpool"
)

// startPool starts cognito-local with sign-up as selfSignUp says and
// creates a pool whose design says the same.
func startPool(t *testing.T, selfSignUp bool) (*cognitolocal.Server, *cip.Client, cognitolocal.Pool) {
	t.Helper()
	testtier.Needs(t, testtier.CognitoLocal)
	ctx := t.Context()
	srv, err := cognitolocal.Start(ctx, cognitolocal.Options{Dir: t.TempDir(), Secret: "signup-test-secret", SelfSignUp: selfSignUp}) //nolint:gosec // a test secret
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	c := srv.NewClient("eu-west-1")
	design := userpool.Pool()
	design.SelfSignUp = selfSignUp
	pool, err := cognitolocal.EnsurePool(ctx, c, "hush-signup", design)
	if err != nil {
		t.Fatalf("EnsurePool: %v", err)
	}
	desc, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool.ID)})
	if err != nil {
		t.Fatalf("DescribeUserPool: %v", err)
	}
	if cfg := desc.UserPool.AdminCreateUserConfig; cfg == nil || cfg.AllowAdminCreateUserOnly != !selfSignUp {
		t.Errorf("pool AdminCreateUserConfig = %+v, want AllowAdminCreateUserOnly %v, as the cloud pool has it", cfg, !selfSignUp)
	}
	return srv, c, pool
}

func signUpInput(pool cognitolocal.Pool, name string) *cip.SignUpInput {
	return &cip.SignUpInput{
		ClientId: aws.String(pool.ClientID), Username: aws.String(name), Password: aws.String("Passw0rdOK"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "@example.com")}},
	}
}

// TestSignUpOff: where the stack's hush:selfSignUp is false, SignUp gets
// what Cognito answers for a pool where only administrators create users
// (400, NotAuthorizedException, "SignUp is not permitted for this user
// pool"), nobody is created, and administrators still create users who
// sign in: the demo users among them.
func TestSignUpOff(t *testing.T) {
	ctx := t.Context()
	srv, c, pool := startPool(t, false)

	// As a client sees it on the wire.
	body, _ := json.Marshal(map[string]any{"ClientId": pool.ClientID, "Username": "mallory", "Password": "Passw0rdOK"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.Endpoint+"/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.SignUp")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatalf("decode the refusal: %v", err)
	}
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Amzn-ErrorType") != "NotAuthorizedException" ||
		got.Type != "NotAuthorizedException" || got.Message != cognitolocal.SignUpRefusal {
		t.Errorf("raw SignUp: %d, x-amzn-ErrorType %q, body %+v; want 400, NotAuthorizedException, %q",
			res.StatusCode, res.Header.Get("X-Amzn-ErrorType"), got, cognitolocal.SignUpRefusal)
	}

	// As the SDK sees it, unsigned like any app.
	_, err = cognitolocal.NewClient(srv.Endpoint, "eu-west-1").SignUp(ctx, signUpInput(pool, "mallory"))
	var notAuth *types.NotAuthorizedException
	if !errors.As(err, &notAuth) || notAuth.ErrorMessage() != cognitolocal.SignUpRefusal {
		t.Errorf("SDK SignUp: %v; want NotAuthorizedException %q", err, cognitolocal.SignUpRefusal)
	}
	_, err = c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(pool.ID), Username: aws.String("mallory")})
	var missing *types.UserNotFoundException
	if !errors.As(err, &missing) {
		t.Errorf("AdminGetUser mallory after the refused sign-up: %v, want UserNotFoundException", err)
	}

	if err := cognitolocal.EnsureDemoUsers(ctx, c, pool); err != nil {
		t.Fatalf("EnsureDemoUsers with sign-up off: %v", err)
	}
	for _, u := range cognitolocal.DemoUsers {
		if tok, err := cognitolocal.IDToken(ctx, c, pool, u.Name, u.Password); err != nil || tok == "" {
			t.Errorf("IDToken %s with sign-up off: %q, %v; want a token", u.Name, tok, err)
		}
	}
}

// TestSignUpOn: where hush:selfSignUp is true, the sign-up flow runs as in
// Cognito: sign-up, a duplicate refused, no sign-in before confirmation,
// then confirmation and sign-in. The e2e suite's default local stack (prod)
// has sign-up off, so this is where `make test` covers the flow locally.
func TestSignUpOn(t *testing.T) {
	ctx := t.Context()
	srv, c, pool := startPool(t, true)
	app := cognitolocal.NewClient(srv.Endpoint, "eu-west-1") // unsigned, like any app

	if _, err := app.SignUp(ctx, signUpInput(pool, "carol")); err != nil {
		t.Fatalf("sign-up: %v", err)
	}
	_, err := app.SignUp(ctx, signUpInput(pool, "carol"))
	var exists *types.UsernameExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("duplicate sign-up: %v, want UsernameExistsException", err)
	}
	_, err = cognitolocal.IDToken(ctx, app, pool, "carol", "Passw0rdOK")
	var unconfirmed *types.UserNotConfirmedException
	if !errors.As(err, &unconfirmed) {
		t.Fatalf("sign-in before confirmation: %v, want UserNotConfirmedException", err)
	}
	if _, err := c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(pool.ID), Username: aws.String("carol")}); err != nil {
		t.Fatalf("confirmation: %v", err)
	}
	tok, err := cognitolocal.IDToken(ctx, app, pool, "carol", "Passw0rdOK")
	if err != nil || tok == "" {
		t.Fatalf("sign-in after confirmation: %q, %v; want an ID token", tok, err)
	}
	if got := decodeClaims(t, tok)["cognito:username"]; got != "carol" {
		t.Errorf("cognito:username = %v, want carol", got)
	}
}

// TestEnsurePoolAlignsSignUp: a pool found again takes the design's
// sign-up setting (a data dir from before the setting, or a stack file
// changed since) and keeps the rest of its settings and its users.
func TestEnsurePoolAlignsSignUp(t *testing.T) {
	ctx := t.Context()
	_, c, pool := startPool(t, true)
	if err := cognitolocal.EnsureDemoUsers(ctx, c, pool); err != nil {
		t.Fatal(err)
	}
	for _, selfSignUp := range []bool{false, true} {
		design := userpool.Pool()
		design.SelfSignUp = selfSignUp
		again, err := cognitolocal.EnsurePool(ctx, c, "hush-signup", design)
		if err != nil || again != pool {
			t.Fatalf("EnsurePool with SelfSignUp %v: %+v, %v; want the same pool %+v", selfSignUp, again, err, pool)
		}
		desc, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool.ID)})
		if err != nil {
			t.Fatal(err)
		}
		p := desc.UserPool
		if p.AdminCreateUserConfig == nil || p.AdminCreateUserConfig.AllowAdminCreateUserOnly != !selfSignUp {
			t.Errorf("SelfSignUp %v: AdminCreateUserConfig = %+v, want AllowAdminCreateUserOnly %v", selfSignUp, p.AdminCreateUserConfig, !selfSignUp)
		}
		if p.Policies == nil || p.Policies.PasswordPolicy == nil || aws.ToInt32(p.Policies.PasswordPolicy.MinimumLength) != int32(design.PasswordPolicy.MinimumLength) {
			t.Errorf("SelfSignUp %v: password policy %+v, want the design's kept", selfSignUp, p.Policies)
		}
		if len(p.AutoVerifiedAttributes) != 1 || p.AutoVerifiedAttributes[0] != types.VerifiedAttributeTypeEmail {
			t.Errorf("SelfSignUp %v: auto-verified %v, want [email] kept", selfSignUp, p.AutoVerifiedAttributes)
		}
		if _, err := cognitolocal.IDToken(ctx, c, pool, "demo", cognitolocal.DemoUsers[0].Password); err != nil {
			t.Errorf("SelfSignUp %v: demo sign-in: %v", selfSignUp, err)
		}
	}
}
