package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/stackconfig"
	"github.com/hush-scores/hush/userpool"
)

// AuthorizerFunction is the handlers/ directory of the Lambda token
// authorizer (hush:authorizer lambda).
const AuthorizerFunction = "authorizer"

// AuthorizerFunctionName is the authorizer's Lambda function name in a
// stack, the same in every region.
func AuthorizerFunctionName(cfg stackconfig.Stack) string {
	return fmt.Sprintf("hush-%s-%s", cfg.Name, AuthorizerFunction)
}

// issuerType maps hush:identityIssuer to Cognito's issuer type.
func issuerType(cfg stackconfig.Stack) string {
	if cfg.Identity.Issuer == stackconfig.IssuerMultiRegion {
		return userpool.IssuerUpdated
	}
	return userpool.IssuerOriginal
}

// newTokenAuthorizer declares, with hush:authorizer lambda, this region's
// Lambda token authorizer (r.TokenAuthorizer): a function that verifies the
// ID token's signature against the keys each accepted issuer publishes, its
// issuer, audience (the app client), expiry and token_use, and answers with
// a policy for the stage and the token's claims. In Cognito mode it declares
// nothing. Its role may only write its own logs: it reads no table.
func (r *RegionalHush) newTokenAuthorizer(ctx *pulumi.Context, name string, args RegionalHushArgs, on []pulumi.ResourceOption) error {
	cfg := args.Stack
	if cfg.Identity.Authorizer != stackconfig.AuthorizerLambda {
		return nil
	}
	if args.AuthorizerAsset == nil || args.UserPoolID == nil {
		return fmt.Errorf("components: %s: the Lambda authorizer needs its built package and the pool ID", name)
	}
	fnName := AuthorizerFunctionName(cfg)
	base := name + "-" + AuthorizerFunction
	logs, err := cloudwatch.NewLogGroup(ctx, base+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + fnName),
		RetentionInDays: pulumi.Int(cfg.LogRetentionDays),
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s log group: %w", base, err)
	}
	role, err := iam.NewRole(ctx, base+"-role", &iam.RoleArgs{
		Description:      pulumi.Sprintf("Hush %s: the token authorizer in %s", cfg.Name, args.Region),
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("lambda.amazonaws.com")),
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s role: %w", base, err)
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, base+"-policy", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: logs.Arn.ApplyT(func(arn string) string {
			return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"%s:*"}]}`, arn)
		}).(pulumi.StringOutput),
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s policy: %w", base, err)
	}
	home, replica := cfg.HomeRegion(), cfg.Identity.ReplicaRegion
	issuers := args.UserPoolID.ToStringOutput().ApplyT(func(id string) (string, error) {
		list, err := userpool.Issuers(issuerType(cfg), home, replica, id)
		return strings.Join(list, ","), err
	}).(pulumi.StringOutput)
	fn, err := lambda.NewFunction(ctx, base, &lambda.FunctionArgs{
		Name:           pulumi.String(fnName),
		Description:    pulumi.String("Hush: verifies Cognito ID tokens of the pool and its replica"),
		Role:           role.Arn,
		Runtime:        pulumi.String("provided.al2023"),
		Architectures:  pulumi.StringArray{pulumi.String("arm64")},
		Handler:        pulumi.String("bootstrap"),
		Code:           pulumi.NewFileArchive(args.AuthorizerAsset.ZipPath),
		SourceCodeHash: pulumi.String(args.AuthorizerAsset.SourceCodeHash),
		MemorySize:     pulumi.Int(lambdaMemoryMB),
		// Fetching an issuer's keys across regions is the slow part; API
		// Gateway waits at most 10 s for an authorizer.
		Timeout: pulumi.Int(5),
		Environment: lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			"TOKEN_ISSUERS": issuers,
			"CLIENT_ID":     args.UserPoolClientID,
		}},
		LoggingConfig: lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: logs.Name},
	}, append(on, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))...)
	if err != nil {
		return fmt.Errorf("components: %s function: %w", base, err)
	}
	r.TokenAuthorizer = fn
	return nil
}

// permitTokenAuthorizer lets this region's API, and only its authorizers,
// invoke the token authorizer.
func (r *RegionalHush) permitTokenAuthorizer(ctx *pulumi.Context, name string, restAPI *apigateway.RestApi, on []pulumi.ResourceOption) error {
	if r.TokenAuthorizer == nil {
		return nil
	}
	if _, err := lambda.NewPermission(ctx, name+"-"+AuthorizerFunction+"-permission", &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  r.TokenAuthorizer.Name,
		Principal: pulumi.String("apigateway.amazonaws.com"),
		SourceArn: pulumi.Sprintf("%s/authorizers/*", restAPI.ExecutionArn),
	}, on...); err != nil {
		return fmt.Errorf("components: %s authorizer permission: %w", name, err)
	}
	return nil
}

// authorizerInputs are what the API document needs to know of the
// authorizer, as one output: the replica pool's ARN ("" without one) and
// the token authorizer's invocation URI ("" in Cognito mode).
func (r *RegionalHush) authorizerInputs(args RegionalHushArgs) pulumi.ArrayOutput {
	replica := pulumi.String("").ToStringOutput()
	if args.ReplicaUserPoolArn != nil {
		replica = args.ReplicaUserPoolArn.ToStringOutput()
	}
	uri := pulumi.String("").ToStringOutput()
	if r.TokenAuthorizer != nil {
		uri = r.TokenAuthorizer.InvokeArn
	}
	return pulumi.All(replica, uri)
}
