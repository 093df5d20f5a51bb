package cognitolocal

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/scores"
	"github.com/hush-scores/hush/userpool"
)

// NewClient returns a Cognito client for the server, signing with its
// Options.Secret; region is what the cloud stack's home region would be.
func (s *Server) NewClient(region string) *cip.Client {
	return NewSignedClient(s.Endpoint, region, s.secret)
}

// NewClient returns a Cognito client for a cognito-local at endpoint with
// the well-known local credentials: enough for the operations Cognito
// serves without credentials (sign-up, sign-in), which its guard lets
// through unsigned.
func NewClient(endpoint, region string) *cip.Client {
	return NewSignedClient(endpoint, region, "local")
}

// NewSignedClient returns a Cognito client for a cognito-local at endpoint
// that signs with secret, the data dir's secret its guard checks.
func NewSignedClient(endpoint, region, secret string) *cip.Client {
	return cip.New(cip.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", secret, ""),
	})
}

// Pool identifies a user pool and its app client.
type Pool struct {
	ID       string
	ClientID string
}

// EnsurePool returns the user pool called name with its app client (also
// called name) and its admins group, creating whatever is missing from
// design. Finding them by name lets a second start reuse the first's users.
func EnsurePool(ctx context.Context, c *cip.Client, name string, design userpool.Design) (Pool, error) {
	poolID, err := findPool(ctx, c, name)
	if err != nil {
		return Pool{}, err
	}
	if poolID == "" {
		pp := design.PasswordPolicy
		out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
			PoolName:               aws.String(name),
			AliasAttributes:        aliasAttributes(design.AliasAttributes),
			AutoVerifiedAttributes: verifiedAttributes(design.AutoVerifiedAttributes),
			Schema:                 schema(design.RequiredAttributes),
			// cognito-local stores this but does not enforce it; the
			// server's guard refuses SignUp (Options.SelfSignUp). Setting it
			// keeps DescribeUserPool telling the truth, as in the cloud.
			AdminCreateUserConfig: &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: !design.SelfSignUp},
			Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
				MinimumLength:    aws.Int32(int32(pp.MinimumLength)),
				RequireLowercase: pp.RequireLowercase,
				RequireUppercase: pp.RequireUppercase,
				RequireNumbers:   pp.RequireNumbers,
				RequireSymbols:   pp.RequireSymbols,
			}},
		})
		if err != nil {
			return Pool{}, fmt.Errorf("cognito-local: create user pool %s: %w", name, err)
		}
		poolID = aws.ToString(out.UserPool.Id)
	} else if err := alignSignUp(ctx, c, poolID, design); err != nil {
		return Pool{}, err
	}
	clientID, err := findClient(ctx, c, poolID, name)
	if err != nil {
		return Pool{}, err
	}
	if clientID == "" {
		flows := make([]types.ExplicitAuthFlowsType, len(design.ExplicitAuthFlows))
		for i, f := range design.ExplicitAuthFlows {
			flows[i] = types.ExplicitAuthFlowsType(f)
		}
		out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
			UserPoolId:           aws.String(poolID),
			ClientName:           aws.String(name),
			ExplicitAuthFlows:    flows,
			IdTokenValidity:      aws.Int32(int32(design.IDTokenValidityMinutes)),
			AccessTokenValidity:  aws.Int32(int32(design.AccessTokenValidityMinutes)),
			RefreshTokenValidity: int32(design.RefreshTokenValidityDays),
			TokenValidityUnits: &types.TokenValidityUnitsType{
				IdToken: types.TimeUnitsTypeMinutes, AccessToken: types.TimeUnitsTypeMinutes, RefreshToken: types.TimeUnitsTypeDays,
			},
		})
		if err != nil {
			return Pool{}, fmt.Errorf("cognito-local: create app client %s: %w", name, err)
		}
		clientID = aws.ToString(out.UserPoolClient.ClientId)
	}
	_, err = c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String(scores.AdminGroup)})
	var exists *types.GroupExistsException
	if err != nil && !errors.As(err, &exists) {
		return Pool{}, fmt.Errorf("cognito-local: create group %s: %w", scores.AdminGroup, err)
	}
	return Pool{ID: poolID, ClientID: clientID}, nil
}

// alignSignUp makes an existing pool's AllowAdminCreateUserOnly what design
// says: the pool may come from before the setting existed, or the stack
// file may have changed since. UpdateUserPool, here as in Cognito, resets
// what it is not given, so everything else goes back as described.
func alignSignUp(ctx context.Context, c *cip.Client, poolID string, design userpool.Design) error {
	out, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		return fmt.Errorf("cognito-local: describe user pool %s: %w", poolID, err)
	}
	p := out.UserPool
	want := !design.SelfSignUp
	cfg := types.AdminCreateUserConfigType{}
	if p.AdminCreateUserConfig != nil {
		if p.AdminCreateUserConfig.AllowAdminCreateUserOnly == want {
			return nil
		}
		cfg = *p.AdminCreateUserConfig
	}
	cfg.AllowAdminCreateUserOnly = want
	_, err = c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{
		UserPoolId:                  aws.String(poolID),
		AdminCreateUserConfig:       &cfg,
		AccountRecoverySetting:      p.AccountRecoverySetting,
		AutoVerifiedAttributes:      p.AutoVerifiedAttributes,
		DeletionProtection:          p.DeletionProtection,
		DeviceConfiguration:         p.DeviceConfiguration,
		EmailConfiguration:          p.EmailConfiguration,
		EmailVerificationMessage:    p.EmailVerificationMessage,
		EmailVerificationSubject:    p.EmailVerificationSubject,
		LambdaConfig:                p.LambdaConfig,
		MfaConfiguration:            p.MfaConfiguration,
		Policies:                    p.Policies,
		SmsAuthenticationMessage:    p.SmsAuthenticationMessage,
		SmsConfiguration:            p.SmsConfiguration,
		SmsVerificationMessage:      p.SmsVerificationMessage,
		UserAttributeUpdateSettings: p.UserAttributeUpdateSettings,
		UserPoolAddOns:              p.UserPoolAddOns,
		UserPoolTags:                p.UserPoolTags,
		VerificationMessageTemplate: p.VerificationMessageTemplate,
	})
	if err != nil {
		return fmt.Errorf("cognito-local: set AllowAdminCreateUserOnly %v on user pool %s: %w", want, poolID, err)
	}
	return nil
}

func findPool(ctx context.Context, c *cip.Client, name string) (string, error) {
	// cognito-local returns every pool on the first page.
	out, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		return "", fmt.Errorf("cognito-local: list user pools: %w", err)
	}
	for _, p := range out.UserPools {
		if aws.ToString(p.Name) == name {
			return aws.ToString(p.Id), nil
		}
	}
	return "", nil
}

func findClient(ctx context.Context, c *cip.Client, poolID, name string) (string, error) {
	out, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)})
	if err != nil {
		return "", fmt.Errorf("cognito-local: list app clients of %s: %w", poolID, err)
	}
	for _, cl := range out.UserPoolClients {
		if aws.ToString(cl.ClientName) == name {
			return aws.ToString(cl.ClientId), nil
		}
	}
	return "", nil
}

func aliasAttributes(names []string) []types.AliasAttributeType {
	out := make([]types.AliasAttributeType, len(names))
	for i, n := range names {
		out[i] = types.AliasAttributeType(n)
	}
	return out
}

func verifiedAttributes(names []string) []types.VerifiedAttributeType {
	out := make([]types.VerifiedAttributeType, len(names))
	for i, n := range names {
		out[i] = types.VerifiedAttributeType(n)
	}
	return out
}

func schema(required []string) []types.SchemaAttributeType {
	out := make([]types.SchemaAttributeType, len(required))
	for i, n := range required {
		out[i] = types.SchemaAttributeType{Name: aws.String(n), Required: aws.Bool(true), Mutable: aws.Bool(true), AttributeDataType: types.AttributeDataTypeString}
	}
	return out
}
