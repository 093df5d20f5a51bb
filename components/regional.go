package components

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/gatewaydoc"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/lambdabuild"
	"github.com/hush-scores/hush/stackconfig"
)

// RegionalHushArgs are the inputs of one region's deployment.
type RegionalHushArgs struct {
	Stack  stackconfig.Stack
	Region string
	// Provider is this region's AWS provider; every child uses it.
	Provider *aws.Provider
	// TableName is the global table's name, the same in every region.
	TableName pulumi.StringInput
	// TableArn is the global table's ARN in the home region; the replica in
	// any region has the same ARN with that region in it.
	TableArn pulumi.StringInput
	// UserPoolArn is the home region's user pool, which the authorizer trusts.
	UserPoolArn pulumi.StringInput
	// UserPoolClientID is the app client whose ID tokens the authorizer
	// accepts; tokens of any other client of the pool get 401.
	UserPoolClientID pulumi.StringInput
	// Assets are the built deployment packages, one per function.
	Assets map[api.Function]lambdabuild.Asset
}

// RegionalHush is Hush in one region: a Lambda function per function of the
// route declaration, each with its own least-privilege role and log group,
// the REST API in front of them, and alarms.
type RegionalHush struct {
	pulumi.ResourceState

	Functions map[api.Function]*lambda.Function
	// Replica is this region's replica of the global table; nil in the
	// home region, which holds the table itself.
	Replica *dynamodb.TableReplica
	RestAPI *apigateway.RestApi
	// Document is the OpenAPI document the REST API is defined from.
	Document pulumi.StringOutput
	Stage    *apigateway.Stage
	// URL is the stage's invoke URL: https://{id}.execute-api.{region}.amazonaws.com/{stage}.
	URL pulumi.StringOutput
}

// lambdaMemoryMB and lambdaTimeoutSeconds suit a small Go binary doing one
// DynamoDB request; the timeout stays well under API Gateway's 29 s.
const (
	lambdaMemoryMB       = 256
	lambdaTimeoutSeconds = int(api.LambdaTimeout / time.Second)
)

// accessLogFormat is one JSON object per request. requestId ties a log line
// to the x-amzn-RequestId a client saw.
const accessLogFormat = `{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId",` +
	`"ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod",` +
	`"resourcePath":"$context.resourcePath","path":"$context.path","status":"$context.status",` +
	`"responseLength":"$context.responseLength","latency":"$context.responseLatency",` +
	`"integrationLatency":"$context.integrationLatency","error":"$context.error.message"}`

// NewRegionalHush declares Hush in one region.
func NewRegionalHush(ctx *pulumi.Context, name string, args RegionalHushArgs, opts ...pulumi.ResourceOption) (*RegionalHush, error) {
	if args.Provider == nil || args.Region == "" {
		return nil, fmt.Errorf("components: %s: a region and its provider are required", name)
	}
	r := &RegionalHush{Functions: map[api.Function]*lambda.Function{}}
	opts = append(opts, pulumi.Provider(args.Provider))
	if err := ctx.RegisterComponentResource("hush:index:RegionalHush", name, r, opts...); err != nil {
		return nil, fmt.Errorf("components: register %s: %w", name, err)
	}
	on := []pulumi.ResourceOption{pulumi.Parent(r), pulumi.Provider(args.Provider)}

	if args.Region != args.Stack.HomeRegion() {
		if err := r.newReplica(ctx, name, args, on); err != nil {
			return nil, err
		}
	}
	// A new region serves nothing before its replica exists: its functions
	// would read a table that is not there yet (500s), and its API and
	// latency record (see Edge) would draw traffic to them. Creating a
	// replica takes minutes, and nothing else in the region refers to it,
	// so without this Pulumi would create them side by side.
	live := on
	if r.Replica != nil {
		live = append(slices.Clone(on), pulumi.DependsOn([]pulumi.Resource{r.Replica}))
	}
	if err := r.newWriteRegionSeed(ctx, name, args, on); err != nil {
		return nil, err
	}
	for _, spec := range api.Functions() {
		fn, err := r.newFunction(ctx, name, args, spec, live)
		if err != nil {
			return nil, err
		}
		r.Functions[spec.Name] = fn
	}
	if err := r.newAPI(ctx, name, args, live); err != nil {
		return nil, err
	}
	if err := r.newAlarms(ctx, name, args, on); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"url":       r.URL,
		"restApiId": r.RestAPI.ID(),
		"region":    pulumi.String(args.Region),
	}); err != nil {
		return nil, fmt.Errorf("components: register %s outputs: %w", name, err)
	}
	return r, nil
}

// regionalArn rewrites the region field of an ARN.
func regionalArn(arn, region string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return arn
	}
	parts[3] = region
	return strings.Join(parts, ":")
}

// FunctionName is the Lambda function name of fn in a stack; the same in
// every region, since Lambda names are regional.
func FunctionName(cfg stackconfig.Stack, fn api.Function) string {
	return fmt.Sprintf("hush-%s-%s", cfg.Name, fn)
}

func (r *RegionalHush) newFunction(ctx *pulumi.Context, name string, args RegionalHushArgs, spec api.FunctionSpec, on []pulumi.ResourceOption) (*lambda.Function, error) {
	cfg := args.Stack
	fnName := FunctionName(cfg, spec.Name)
	base := fmt.Sprintf("%s-%s", name, spec.Name)
	asset, ok := args.Assets[spec.Name]
	if !ok {
		return nil, fmt.Errorf("components: %s: no built asset for function %s", name, spec.Name)
	}

	// The log group exists before the function, so Lambda never creates one
	// of its own with infinite retention.
	logs, err := cloudwatch.NewLogGroup(ctx, base+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + fnName),
		RetentionInDays: pulumi.Int(cfg.LogRetentionDays),
	}, on...)
	if err != nil {
		return nil, fmt.Errorf("components: %s log group: %w", base, err)
	}
	// Lambda has no cold-start metric; this one is filled from the
	// platform.report events that carry an init duration (see ColdStartMetric).
	if _, err := cloudwatch.NewLogMetricFilter(ctx, base+"-cold-starts", &cloudwatch.LogMetricFilterArgs{
		Name:         pulumi.Sprintf("%s-cold-starts", fnName),
		LogGroupName: logs.Name,
		Pattern:      pulumi.String(coldStartPattern),
		MetricTransformation: cloudwatch.LogMetricFilterMetricTransformationArgs{
			Namespace: pulumi.String(ColdStartNamespace(cfg)),
			Name:      pulumi.String(ColdStartMetric(spec.Name)),
			Value:     pulumi.String("$.record.metrics.initDurationMs"),
			Unit:      pulumi.String("Milliseconds"),
		},
	}, on...); err != nil {
		return nil, fmt.Errorf("components: %s cold start filter: %w", base, err)
	}
	role, err := iam.NewRole(ctx, base+"-role", &iam.RoleArgs{
		Description:      pulumi.Sprintf("Hush %s: the %s function in %s", cfg.Name, spec.Name, args.Region),
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("lambda.amazonaws.com")),
	}, on...)
	if err != nil {
		return nil, fmt.Errorf("components: %s role: %w", base, err)
	}
	// Each replica has the home ARN with its own region in it.
	policy := pulumi.All(logs.Arn, args.TableArn).ApplyT(func(v []any) (string, error) {
		arns := func(region string) tableARNs {
			table := regionalArn(v[1].(string), region)
			return tableARNs{Table: table, Index: table + "/index/" + dynamo.IndexGSI1}
		}
		// Sorted, so that reordering hush:regions changes no policy.
		stack := make([]tableARNs, 0, len(cfg.Regions))
		for _, region := range slices.Sorted(slices.Values(cfg.Regions)) {
			stack = append(stack, arns(region))
		}
		return functionPolicy(spec.Access, v[0].(string), arns(args.Region), stack)
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, base+"-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, on...)
	if err != nil {
		return nil, fmt.Errorf("components: %s policy: %w", base, err)
	}

	logLevel := "info"
	if !cfg.Protect {
		logLevel = "debug"
	}
	fn, err := lambda.NewFunction(ctx, base, &lambda.FunctionArgs{
		Name:          pulumi.String(fnName),
		Description:   pulumi.Sprintf("Hush API v1, %s routes", spec.Name),
		Role:          role.Arn,
		Runtime:       pulumi.String("provided.al2023"),
		Architectures: pulumi.StringArray{pulumi.String("arm64")},
		Handler:       pulumi.String("bootstrap"),
		// A zip file archive is uploaded byte for byte, keeping bootstrap's
		// executable bit; the hash makes a rebuilt binary an update.
		Code:           pulumi.NewFileArchive(asset.ZipPath),
		SourceCodeHash: pulumi.String(asset.SourceCodeHash),
		MemorySize:     pulumi.Int(lambdaMemoryMB),
		Timeout:        pulumi.Int(lambdaTimeoutSeconds),
		Environment: lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			"TABLE_NAME": args.TableName,
			// Every region of the stack: the write function renews its
			// lease through each replica and writes the one the write
			// region's record names; the read function probes it. No
			// function is told the write region: it is data in the table
			// (see newWriteRegionSeed), so moving it needs no deploy.
			// Sorted, so that reordering hush:regions redeploys nothing.
			"HUSH_REGIONS": pulumi.String(strings.Join(slices.Sorted(slices.Values(cfg.Regions)), ",")),
			"LOG_LEVEL":    pulumi.String(logLevel),
		}},
		LoggingConfig: lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("JSON"),
			LogGroup:  logs.Name,
			// With JSON logs Lambda drops application records below INFO
			// unless this is set, so dev's debug logs would never arrive.
			ApplicationLogLevel: pulumi.String(strings.ToUpper(logLevel)),
			// The system level stays INFO: platform.report, which the
			// cold-start metric filter reads, is an INFO record.
			SystemLogLevel: pulumi.String("INFO"),
		},
	}, append(on, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))...)
	if err != nil {
		return nil, fmt.Errorf("components: %s function: %w", base, err)
	}
	return fn, nil
}

func (r *RegionalHush) newAPI(ctx *pulumi.Context, name string, args RegionalHushArgs, on []pulumi.ResourceOption) error {
	cfg := args.Stack
	if args.UserPoolClientID == nil {
		return fmt.Errorf("components: %s: the authorizer needs the app client ID", name)
	}
	routes := api.Routes()
	for _, route := range routes {
		if r.Functions[route.Function] == nil {
			return fmt.Errorf("components: route %s %s names unknown function %q", route.Method, route.Path, route.Function)
		}
	}

	// The whole API (routes, Lambda proxy integrations, the Cognito
	// authorizer, gateway responses) is one OpenAPI document in the
	// RestApi's body, which API Gateway applies in one PUT (mode
	// overwrite). Separate Resource/Method/Integration resources would let
	// Pulumi create the next deployment before it deletes a removed route,
	// which then stays live in that snapshot without its Lambda permission
	// (pulumi-aws issues 3289 and 3683).
	var inputs []any
	var fnOrder []api.Function
	for _, spec := range api.Functions() {
		fnOrder = append(fnOrder, spec.Name)
		inputs = append(inputs, r.Functions[spec.Name].InvokeArn)
	}
	inputs = append(inputs, args.UserPoolArn.ToStringOutput(), args.UserPoolClientID.ToStringOutput())
	body := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		in := gatewaydoc.Inputs{InvokeArns: map[api.Function]string{}}
		for i, fn := range fnOrder {
			in.InvokeArns[fn] = v[i].(string)
		}
		in.UserPoolArn, in.ClientID = v[len(fnOrder)].(string), v[len(fnOrder)+1].(string)
		doc, err := gatewaydoc.Build(routes, api.OpenAPI(), in)
		if err != nil {
			return "", fmt.Errorf("components: %s API document: %w", name, err)
		}
		return string(doc), nil
	}).(pulumi.StringOutput)

	restAPI, err := apigateway.NewRestApi(ctx, name+"-api", &apigateway.RestApiArgs{
		Name:        pulumi.String(stackconfig.ResourceName(cfg.Name)),
		Description: pulumi.Sprintf("Hush API v1 (%s, %s)", cfg.Name, args.Region),
		EndpointConfiguration: apigateway.RestApiEndpointConfigurationArgs{
			Types: pulumi.String("REGIONAL"),
		},
		Body:           body,
		PutRestApiMode: pulumi.String("overwrite"),
		// Warnings stay warnings: the description carries documentation
		// fields (examples, descriptions) that an import may skip with one.
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s rest api: %w", name, err)
	}
	r.RestAPI = restAPI
	r.Document = body

	stageName := cfg.Name
	for _, route := range routes {
		base := fmt.Sprintf("%s-%s-%s", name, strings.ToLower(route.Method), slug(route.Path))
		// Only this API's stage, this method and this path may invoke the function.
		_, err = lambda.NewPermission(ctx, base+"-permission", &lambda.PermissionArgs{
			Action:    pulumi.String("lambda:InvokeFunction"),
			Function:  r.Functions[route.Function].Name,
			Principal: pulumi.String("apigateway.amazonaws.com"),
			SourceArn: pulumi.Sprintf("%s/%s/%s%s", restAPI.ExecutionArn, stageName, route.Method, sourceArnPath(route.Path)),
		}, on...)
		if err != nil {
			return fmt.Errorf("components: %s permission: %w", base, err)
		}
	}

	// A new document is a new deployment: the hash covers every route,
	// integration, the authorizer's settings and the gateway responses.
	deployment, err := apigateway.NewDeployment(ctx, name+"-deployment", &apigateway.DeploymentArgs{
		RestApi:     restAPI.ID(),
		Description: pulumi.String("Hush API v1"),
		Triggers: pulumi.StringMap{"redeployment": body.ApplyT(func(doc string) string {
			return gatewaydoc.Hash([]byte(doc))
		}).(pulumi.StringOutput)},
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s deployment: %w", name, err)
	}

	// API Gateway's CloudWatch role is one setting per account and region;
	// only the stack that hush:apiGatewayAccount names as its owner here
	// sets it (see docs/operations.md). The others rely on it existing.
	var stageDeps []pulumi.Resource
	if slices.Contains(cfg.APIGatewayAccount, args.Region) {
		account, err := r.newGatewayLogging(ctx, name, on)
		if err != nil {
			return err
		}
		stageDeps = append(stageDeps, account)
	}
	accessLogs, err := cloudwatch.NewLogGroup(ctx, name+"-access-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.Sprintf("/aws/apigateway/hush-%s-access", cfg.Name),
		RetentionInDays: pulumi.Int(cfg.LogRetentionDays),
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s access log group: %w", name, err)
	}
	stage, err := apigateway.NewStage(ctx, name+"-stage", &apigateway.StageArgs{
		RestApi:    restAPI.ID(),
		Deployment: deployment.ID(),
		StageName:  pulumi.String(stageName),
		AccessLogSettings: apigateway.StageAccessLogSettingsArgs{
			DestinationArn: accessLogs.Arn,
			Format:         pulumi.String(accessLogFormat),
		},
	}, append(on, pulumi.DependsOn(stageDeps))...)
	if err != nil {
		return fmt.Errorf("components: %s stage: %w", name, err)
	}
	r.Stage = stage
	if _, err := newRateLimit(ctx, name, cfg, stage, on); err != nil { // issue 23: per-client limits
		return err
	}
	_, err = apigateway.NewMethodSettings(ctx, name+"-throttling", &apigateway.MethodSettingsArgs{
		RestApi:    restAPI.ID(),
		StageName:  stage.StageName,
		MethodPath: pulumi.String("*/*"),
		Settings: apigateway.MethodSettingsSettingsArgs{
			ThrottlingRateLimit:  pulumi.Float64(cfg.Throttle.RateLimit),
			ThrottlingBurstLimit: pulumi.Int(cfg.Throttle.BurstLimit),
			MetricsEnabled:       pulumi.Bool(true),
			LoggingLevel:         pulumi.String("OFF"),
		},
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s method settings: %w", name, err)
	}
	r.URL = stage.InvokeUrl
	return nil
}

// newGatewayLogging gives API Gateway in this region the role it writes
// access logs with. That role is an account-wide, per-region setting shared
// by every API, so one stack per account and region owns it
// (hush:apiGatewayAccount); it uses AWS's managed policy for the purpose,
// and it is retained on delete: destroying the owner must not break the
// other stacks' logs in that account and region.
func (r *RegionalHush) newGatewayLogging(ctx *pulumi.Context, name string, on []pulumi.ResourceOption) (*apigateway.Account, error) {
	role, err := iam.NewRole(ctx, name+"-apigw-logs-role", &iam.RoleArgs{
		Description:      pulumi.String("Lets API Gateway write access logs to CloudWatch Logs (account setting)."),
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("apigateway.amazonaws.com")),
	}, append(on, pulumi.RetainOnDelete(true))...)
	if err != nil {
		return nil, fmt.Errorf("components: %s api gateway logs role: %w", name, err)
	}
	attach, err := iam.NewRolePolicyAttachment(ctx, name+"-apigw-logs-policy", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(APIGatewayLogsPolicyArn),
	}, append(on, pulumi.RetainOnDelete(true))...)
	if err != nil {
		return nil, fmt.Errorf("components: %s api gateway logs policy: %w", name, err)
	}
	account, err := apigateway.NewAccount(ctx, name+"-apigw-account", &apigateway.AccountArgs{
		CloudwatchRoleArn: role.Arn,
	}, append(on, pulumi.DependsOn([]pulumi.Resource{attach}), pulumi.RetainOnDelete(true))...)
	if err != nil {
		return nil, fmt.Errorf("components: %s api gateway account: %w", name, err)
	}
	return account, nil
}

// APIGatewayLogsPolicyArn is AWS's managed policy for API Gateway's logging
// role, the only managed policy Hush attaches.
const APIGatewayLogsPolicyArn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
