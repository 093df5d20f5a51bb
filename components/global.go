package components

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cognito"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/stackconfig"
	"github.com/hush-scores/hush/userpool"
)

// AdminsGroup is the Cognito group whose members may replace or delete any match.
const AdminsGroup = "admins"

// Global is the stack's home-region state: the DynamoDB global table, with a
// replica in every other region, and the Cognito user pool every region's API
// trusts.
type Global struct {
	pulumi.ResourceState

	Table      *dynamodb.Table
	UserPool   *cognito.UserPool
	Client     *cognito.UserPoolClient
	AdminGroup *cognito.UserGroup
}

// NewGlobal declares the global resources on the home region's provider.
func NewGlobal(ctx *pulumi.Context, name string, cfg stackconfig.Stack, home *aws.Provider, opts ...pulumi.ResourceOption) (*Global, error) {
	g := &Global{}
	if err := ctx.RegisterComponentResource("hush:index:Global", name, g, opts...); err != nil {
		return nil, fmt.Errorf("components: register %s: %w", name, err)
	}
	on := []pulumi.ResourceOption{pulumi.Parent(g), pulumi.Provider(home)}
	// Stateful resources: prod protects them twice, with AWS's own deletion
	// protection and with Pulumi's protect, so neither a console click nor a
	// `pulumi destroy` can lose the data.
	stateful := append(slices.Clone(on), pulumi.Protect(cfg.Protect))

	design := dynamo.Design()
	var attrs dynamodb.TableAttributeArray
	for _, a := range design.KeyAttributes() {
		attrs = append(attrs, dynamodb.TableAttributeArgs{Name: pulumi.String(a), Type: pulumi.String("S")})
	}
	var indexes dynamodb.TableGlobalSecondaryIndexArray
	for _, ix := range design.Indexes {
		indexes = append(indexes, dynamodb.TableGlobalSecondaryIndexArgs{
			Name:           pulumi.String(ix.Name),
			HashKey:        pulumi.String(ix.HashKey),
			RangeKey:       pulumi.String(ix.RangeKey),
			ProjectionType: pulumi.String("ALL"),
		})
	}
	table, err := dynamodb.NewTable(ctx, name+"-table", &dynamodb.TableArgs{
		Name:                   pulumi.String(TableName(cfg)),
		BillingMode:            pulumi.String("PAY_PER_REQUEST"),
		HashKey:                pulumi.String(design.HashKey),
		RangeKey:               pulumi.String(design.RangeKey),
		Attributes:             attrs,
		GlobalSecondaryIndexes: indexes,
		// Global tables need streams; stating them avoids a diff on every preview.
		StreamEnabled:             pulumi.Bool(true),
		StreamViewType:            pulumi.String("NEW_AND_OLD_IMAGES"),
		PointInTimeRecovery:       dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(cfg.PointInTimeRecovery)},
		DeletionProtectionEnabled: pulumi.Bool(cfg.DeletionProtection),
		// Each replica is a dynamodb.TableReplica of its region's
		// RegionalHush (see replica.go); pulumi-aws asks the table to
		// ignore the replicas it then reads back.
	}, append(stateful, pulumi.IgnoreChanges([]string{"replicas"}))...)
	if err != nil {
		return nil, fmt.Errorf("components: table: %w", err)
	}

	pool, client, admins, err := newUserPool(ctx, name, cfg, stateful, on)
	if err != nil {
		return nil, err
	}
	g.Table, g.UserPool, g.Client, g.AdminGroup = table, pool, client, admins
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{
		"tableName":        table.Name,
		"tableArn":         table.Arn,
		"userPoolId":       pool.ID(),
		"userPoolArn":      pool.Arn,
		"userPoolClientId": client.ID(),
	}); err != nil {
		return nil, fmt.Errorf("components: register %s outputs: %w", name, err)
	}
	return g, nil
}

// TableName is the table's fixed name, the same in every region of the stack.
func TableName(cfg stackconfig.Stack) string { return stackconfig.ResourceName(cfg.Name) }

func newUserPool(ctx *pulumi.Context, name string, cfg stackconfig.Stack, stateful, on []pulumi.ResourceOption) (*cognito.UserPool, *cognito.UserPoolClient, *cognito.UserGroup, error) {
	d := userpool.Pool()
	d.SelfSignUp = cfg.SelfSignUp // as the local stack sets it, from hush:selfSignUp
	var schemas cognito.UserPoolSchemaArray
	for _, attr := range d.RequiredAttributes {
		schemas = append(schemas, cognito.UserPoolSchemaArgs{
			Name:              pulumi.String(attr),
			AttributeDataType: pulumi.String("String"),
			Required:          pulumi.Bool(true),
			Mutable:           pulumi.Bool(true),
			// Cognito reports these bounds for standard attributes; leaving
			// them out shows a diff on every preview.
			StringAttributeConstraints: cognito.UserPoolSchemaStringAttributeConstraintsArgs{
				MinLength: pulumi.String("0"),
				MaxLength: pulumi.String("2048"),
			},
		})
	}
	deletion := "INACTIVE"
	if cfg.DeletionProtection {
		deletion = "ACTIVE"
	}
	// Cognito's default sender allows only a few messages a day per account;
	// a stack with hush:sesEmail sends through its own SES identity instead.
	var email cognito.UserPoolEmailConfigurationPtrInput
	if e := cfg.SESEmail; e != nil {
		email = cognito.UserPoolEmailConfigurationArgs{
			EmailSendingAccount: pulumi.String("DEVELOPER"),
			SourceArn:           pulumi.String(e.IdentityARN),
			FromEmailAddress:    pulumi.String(e.From),
		}
	}
	pool, err := cognito.NewUserPool(ctx, name+"-users", &cognito.UserPoolArgs{
		EmailConfiguration:     email,
		Name:                   pulumi.String(stackconfig.ResourceName(cfg.Name)),
		AliasAttributes:        pulumi.ToStringArray(d.AliasAttributes),
		AutoVerifiedAttributes: pulumi.ToStringArray(d.AutoVerifiedAttributes),
		Schemas:                schemas,
		PasswordPolicy: cognito.UserPoolPasswordPolicyArgs{
			MinimumLength:    pulumi.Int(d.PasswordPolicy.MinimumLength),
			RequireLowercase: pulumi.Bool(d.PasswordPolicy.RequireLowercase),
			RequireUppercase: pulumi.Bool(d.PasswordPolicy.RequireUppercase),
			RequireNumbers:   pulumi.Bool(d.PasswordPolicy.RequireNumbers),
			RequireSymbols:   pulumi.Bool(d.PasswordPolicy.RequireSymbols),
		},
		// Sign-up is open only where hush:selfSignUp says so
		// (userpool.Design.SelfSignUp); elsewhere an administrator
		// creates the users.
		AdminCreateUserConfig: cognito.UserPoolAdminCreateUserConfigArgs{AllowAdminCreateUserOnly: pulumi.Bool(!d.SelfSignUp)},
		// A new e-mail address takes effect, as alias and for recovery,
		// only once confirmed with the code sent to it.
		UserAttributeUpdateSettings: cognito.UserPoolUserAttributeUpdateSettingsArgs{
			AttributesRequireVerificationBeforeUpdates: pulumi.ToStringArray(d.VerifyBeforeUpdate),
		},
		AccountRecoverySetting: cognito.UserPoolAccountRecoverySettingArgs{
			RecoveryMechanisms: cognito.UserPoolAccountRecoverySettingRecoveryMechanismArray{
				cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs{Name: pulumi.String("verified_email"), Priority: pulumi.Int(1)},
			},
		},
		DeletionProtection: pulumi.String(deletion),
		// Essentials when the pool has a replica (identityreplica.go).
		UserPoolTier: userPoolTier(cfg),
		// Alice and alice are one user. Cognito fixes this when the pool is
		// created; changing it later means a new pool and new users.
		UsernameConfiguration: cognito.UserPoolUsernameConfigurationArgs{CaseSensitive: pulumi.Bool(false)},
	}, stateful...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("components: user pool: %w", err)
	}
	client, err := cognito.NewUserPoolClient(ctx, name+"-client", &cognito.UserPoolClientArgs{
		Name:       pulumi.String(stackconfig.ResourceName(cfg.Name)),
		UserPoolId: pool.ID(),
		// A public client (CLI, e2e suite, browser): no secret to leak.
		GenerateSecret:    pulumi.Bool(false),
		ExplicitAuthFlows: pulumi.ToStringArray(d.ExplicitAuthFlows),
		ReadAttributes:    pulumi.ToStringArray(d.ReadAttributes),
		WriteAttributes:   pulumi.ToStringArray(d.WriteAttributes),
		// Sign-in and recovery answer alike for unknown users and wrong
		// passwords, so the API cannot be used to list who has an account.
		PreventUserExistenceErrors: pulumi.String("ENABLED"),
		IdTokenValidity:            pulumi.Int(d.IDTokenValidityMinutes),
		AccessTokenValidity:        pulumi.Int(d.AccessTokenValidityMinutes),
		RefreshTokenValidity:       pulumi.Int(d.RefreshTokenValidityDays),
		TokenValidityUnits: cognito.UserPoolClientTokenValidityUnitsArgs{
			IdToken:      pulumi.String("minutes"),
			AccessToken:  pulumi.String("minutes"),
			RefreshToken: pulumi.String("days"),
		},
	}, on...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("components: user pool client: %w", err)
	}
	admins, err := cognito.NewUserGroup(ctx, name+"-admins", &cognito.UserGroupArgs{
		Name:        pulumi.String(AdminsGroup),
		UserPoolId:  pool.ID(),
		Description: pulumi.String("May replace or delete any match."),
	}, on...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("components: admins group: %w", err)
	}
	return pool, client, admins, nil
}
