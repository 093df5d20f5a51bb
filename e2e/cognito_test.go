package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// TestSignUpFlow walks one user from sign-up to a token the API accepts
// where the stack's hush:selfSignUp is on (dev, stage). The steps depend on
// each other, so a failed step stops the test. Where sign-up is off (prod,
// and the suite's default local prod stack), it checks that SignUp gets
// Cognito's refusal and creates nobody; cognitolocal's TestSignUpOn covers
// the flow locally.
func TestSignUpFlow(t *testing.T) {
	ctx := context.Background()
	name := username("signup")

	if !tgt.SelfSignUp {
		t.Logf("self sign-up is off in %s: checking the refusal", tgt.Source)
		if err := checkSignUpRefused(signUp(ctx, name, password)); err != nil {
			t.Fatalf("sign-up where hush:selfSignUp is false: %v", err)
		}
		_, err := cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(tgt.PoolID), Username: aws.String(name)})
		var missing *types.UserNotFoundException
		if !errors.As(err, &missing) {
			t.Fatalf("AdminGetUser after the refused sign-up: %v, want UserNotFoundException", err)
		}
		return
	}

	if err := signUp(ctx, name, password); err != nil {
		t.Fatalf("sign-up: %v", err)
	}

	err := signUp(ctx, name, password)
	var exists *types.UsernameExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("duplicate sign-up: got %v, want UsernameExistsException", err)
	}

	_, err = signIn(ctx, name, password)
	var unconfirmed *types.UserNotConfirmedException
	if !errors.As(err, &unconfirmed) {
		t.Fatalf("sign-in before confirmation: got %v, want UserNotConfirmedException", err)
	}

	if _, err := cognito.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(tgt.PoolID), Username: aws.String(name)}); err != nil {
		t.Fatalf("confirmation: %v", err)
	}

	out, err := signIn(ctx, name, password)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if out.AuthenticationResult == nil || aws.ToString(out.AuthenticationResult.IdToken) == "" {
		t.Fatalf("sign-in: got challenge %q and no ID token", out.ChallengeName)
	}
	r := do(t, "GET", tgt.URLs[tgt.Home]+"/v1/helloauthenticated", aws.ToString(out.AuthenticationResult.IdToken), nil)
	wantStatus(t, "helloauthenticated with the new user's ID token", r, 200)
}

// TestWrongPassword checks that a wrong password is refused. AWS answers
// NotAuthorizedException; cognito-local answers InvalidPasswordException,
// a known difference of the emulator, so both are accepted.
func TestWrongPassword(t *testing.T) {
	ctx := context.Background()
	alice, _ := users(t)
	_, err := signIn(ctx, alice.Name, password+"-wrong")
	// InitiateAuth does not model InvalidPasswordException, so the SDK
	// gives it as a generic API error: compare codes.
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || (apiErr.ErrorCode() != "NotAuthorizedException" && apiErr.ErrorCode() != "InvalidPasswordException") {
		t.Fatalf("sign-in with a wrong password: got %v, want NotAuthorizedException (AWS) or InvalidPasswordException (cognito-local)", err)
	}
}

// TestAdminCreatedUser checks that a user created by an administrator must
// choose a new password before getting tokens.
func TestAdminCreatedUser(t *testing.T) {
	ctx := context.Background()
	name := username("admin-created")
	temporary := "Temp-Passw0rd"
	_, err := cognito.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(tgt.PoolID), Username: aws.String(name),
		TemporaryPassword: aws.String(temporary), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email(name))},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	})
	if err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	rememberUser(name)

	out, err := signIn(ctx, name, temporary)
	if err != nil {
		t.Fatalf("sign-in with the temporary password: %v", err)
	}
	if got, want := out.ChallengeName, types.ChallengeNameTypeNewPasswordRequired; got != want {
		t.Fatalf("sign-in with the temporary password: challenge %q, want %q", got, want)
	}
	answer, err := cognito.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(tgt.ClientID), ChallengeName: out.ChallengeName, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": name, "NEW_PASSWORD": password},
	})
	if err != nil {
		t.Fatalf("answer NEW_PASSWORD_REQUIRED: %v", err)
	}
	if answer.AuthenticationResult == nil || aws.ToString(answer.AuthenticationResult.IdToken) == "" {
		t.Fatalf("answer NEW_PASSWORD_REQUIRED: got challenge %q and no ID token", answer.ChallengeName)
	}
	if _, err := signIn(ctx, name, password); err != nil {
		t.Errorf("sign-in with the new password: %v", err)
	}
}

// TestTestUsersSendNoMessages checks that the suite's users, other than the
// sign-up flow's own, cost no message from Cognito's small daily allowance:
// newUser gives a confirmed user with a verified address and tokens, and
// the run's message count does not move.
func TestTestUsersSendNoMessages(t *testing.T) {
	ctx := context.Background()
	before := cognitoMessages.Load()
	u, err := newUser(ctx, "quiet")
	if err != nil {
		t.Fatalf("newUser: %v", err)
	}
	if u.IDToken == "" {
		t.Fatal("newUser gave no ID token")
	}
	if got := cognitoMessages.Load() - before; got != 0 {
		t.Errorf("creating a test user sent %d messages, want 0", got)
	}
	got, err := cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(tgt.PoolID), Username: aws.String(u.Name)})
	if err != nil {
		t.Fatalf("AdminGetUser: %v", err)
	}
	if got.UserStatus != types.UserStatusTypeConfirmed {
		t.Errorf("test user status %q, want CONFIRMED", got.UserStatus)
	}
}
