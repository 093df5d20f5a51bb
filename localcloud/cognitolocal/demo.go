package cognitolocal

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/scores"
)

// DemoUser is a user the local stack creates so a newcomer can call the
// protected routes at once. The passwords are public: they exist only in a
// pool on this machine, behind loopguard.
type DemoUser struct {
	Name, Password string
	Groups         []string
}

// DemoUsers are the local stack's demo user and demo admin.
//
//nolint:gosec // public demo passwords of a pool that exists only on this machine
var DemoUsers = []DemoUser{
	{Name: "demo", Password: "Demo-Passw0rd"},
	{Name: "demo-admin", Password: "Demo-Admin-Passw0rd", Groups: []string{scores.AdminGroup}},
}

// FindDemoUser returns the demo user called name.
func FindDemoUser(name string) (DemoUser, bool) {
	for _, u := range DemoUsers {
		if u.Name == name {
			return u, true
		}
	}
	return DemoUser{}, false
}

// EnsureDemoUsers creates the demo users in pool, confirmed, with their
// documented passwords and groups; a user that exists gets them again.
func EnsureDemoUsers(ctx context.Context, c *cip.Client, pool Pool) error {
	for _, u := range DemoUsers {
		if err := ensureUser(ctx, c, pool, u); err != nil {
			return err
		}
	}
	return nil
}

func ensureUser(ctx context.Context, c *cip.Client, pool Pool, u DemoUser) error {
	_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(pool.ID), Username: aws.String(u.Name),
		MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(u.Name + "@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	})
	var exists *types.UsernameExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("cognito-local: create demo user %s: %w", u.Name, err)
	}
	// A permanent password confirms the user, with no new-password challenge.
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(pool.ID), Username: aws.String(u.Name), Password: aws.String(u.Password), Permanent: true,
	}); err != nil {
		return fmt.Errorf("cognito-local: set the password of demo user %s: %w", u.Name, err)
	}
	for _, g := range u.Groups {
		if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: aws.String(pool.ID), Username: aws.String(u.Name), GroupName: aws.String(g),
		}); err != nil {
			return fmt.Errorf("cognito-local: add demo user %s to %s: %w", u.Name, g, err)
		}
	}
	return nil
}

// IDToken signs name in to the pool's app client with USER_PASSWORD_AUTH
// and returns a fresh ID token.
func IDToken(ctx context.Context, c *cip.Client, pool Pool, name, password string) (string, error) {
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(pool.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password},
	})
	if err != nil {
		return "", fmt.Errorf("sign %s in: %w", name, err)
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("sign %s in: Cognito asks for %s first (answer it with the AWS CLI or SDK)", name, out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.IdToken), nil
}
