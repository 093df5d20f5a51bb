// Package components holds Hush's Pulumi program: the global resources in the
// home region and one RegionalHush per region of the stack. main calls Deploy,
// and so do the mock tests, so what is tested is what deploys.
package components

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/internal/lambdabuild"
	"github.com/hush-scores/hush/stackconfig"
)

// The stack outputs, as `pulumi stack output --json` shows them; the e2e
// suite reads these names.
const (
	OutputAPIURLs          = "apiUrls"          // map: region -> stage invoke URL
	OutputAPIURL           = "apiUrl"           // the home region's stage invoke URL
	OutputUserPoolID       = "userPoolId"       // Cognito user pool ID (home region)
	OutputUserPoolClientID = "userPoolClientId" // app client ID, no secret
	OutputTableName        = "tableName"        // DynamoDB table name, the same in every region
	OutputHomeRegion       = "homeRegion"       // hush:homeRegion: the table and the user pool
	OutputRegions          = "regions"          // every region, home first, the others sorted
	OutputDashboardURL     = "dashboardUrl"     // the stack's CloudWatch dashboard in the console
	OutputDomainURL        = "domainUrl"        // https://<domain>, only when the stack names a domain
	OutputSelfSignUp       = "selfSignUp"       // hush:selfSignUp: whether anyone may sign up (the e2e suite reads it)
	// Only with hush:identityReplicaRegion (hush-idcheck reads them):
	OutputIdentityReplicaRegion = "identityReplicaRegion" // the user pool replica's region
	OutputIdentityKeyArn        = "identityKeyArn"        // the multi-Region key the pool must use
	OutputIdentityIssuer        = "identityIssuer"        // hush:identityIssuer: original or multiRegion
)

// Hush is everything one stack declares.
type Hush struct {
	Config    stackconfig.Stack
	Providers map[string]*aws.Provider
	Global    *Global
	// Regions holds one RegionalHush per region, keyed by region name.
	Regions map[string]*RegionalHush
	// Edge is the custom domain with latency routing; nil without a domain.
	Edge *Edge
	// Dashboard shows every region side by side, in the home region.
	Dashboard *cloudwatch.Dashboard
	// Identity is the user pool's replica; nil without
	// hush:identityReplicaRegion.
	Identity *IdentityReplica
}

// Deploy is the whole Pulumi program: it validates the stack's config
// (Pulumi's config as full keys to strings, structured values as JSON, the
// form the engine hands a program), builds the Lambda packages, declares
// everything and exports the stack outputs. A bad config stops it before any
// resource is declared.
func Deploy(ctx *pulumi.Context, config map[string]string, builder lambdabuild.Builder) (*Hush, error) {
	cfg, err := stackconfig.Parse(ctx.Stack(), config)
	if err != nil {
		return nil, err
	}
	h, err := NewHush(ctx, cfg, builder)
	if err != nil {
		return nil, err
	}
	h.Export(ctx)
	return h, nil
}

// NewHush declares the stack described by cfg. It builds every function's
// package first, so a handler that does not compile stops the run before
// anything changes.
func NewHush(ctx *pulumi.Context, cfg stackconfig.Stack, builder lambdabuild.Builder) (*Hush, error) {
	assets := map[api.Function]lambdabuild.Asset{}
	for _, spec := range api.Functions() {
		asset, err := builder.Build(ctx.Context(), string(spec.Name))
		if err != nil {
			return nil, fmt.Errorf("components: build function %s: %w", spec.Name, err)
		}
		assets[spec.Name] = asset
	}
	var authorizerAsset *lambdabuild.Asset
	if cfg.Identity.Authorizer == stackconfig.AuthorizerLambda {
		asset, err := builder.Build(ctx.Context(), AuthorizerFunction)
		if err != nil {
			return nil, fmt.Errorf("components: build function %s: %w", AuthorizerFunction, err)
		}
		authorizerAsset = &asset
	}

	h := &Hush{Config: cfg, Providers: map[string]*aws.Provider{}, Regions: map[string]*RegionalHush{}}
	for _, region := range cfg.Regions {
		// Every resource names its provider; with default providers
		// disabled in Pulumi.yaml, nothing can land in an unintended region.
		p, err := aws.NewProvider(ctx, "aws-"+region, &aws.ProviderArgs{
			Region: pulumi.String(region),
			DefaultTags: aws.ProviderDefaultTagsArgs{Tags: pulumi.StringMap{
				"project": pulumi.String("hush"),
				"stack":   pulumi.String(cfg.Name),
			}},
		})
		if err != nil {
			return nil, fmt.Errorf("components: provider for %s: %w", region, err)
		}
		h.Providers[region] = p
	}

	home := cfg.HomeRegion()
	global, err := NewGlobal(ctx, "global", cfg, h.Providers[home], pulumi.Provider(h.Providers[home]))
	if err != nil {
		return nil, err
	}
	h.Global = global
	var replicaPoolArn pulumi.StringInput
	if cfg.Identity.Replicated() {
		id, err := NewIdentityReplica(ctx, "identity", cfg, h.Providers[home], h.Providers[cfg.Identity.ReplicaRegion], global.UserPool)
		if err != nil {
			return nil, err
		}
		h.Identity, replicaPoolArn = id, id.PoolArn
	}

	for _, region := range cfg.Regions {
		r, err := NewRegionalHush(ctx, region, RegionalHushArgs{
			Stack:            cfg,
			Region:           region,
			Provider:         h.Providers[region],
			TableName:        global.Table.Name,
			TableArn:         global.Table.Arn,
			UserPoolArn:      global.UserPool.Arn,
			UserPoolClientID: global.Client.ID(),
			Assets:           assets,

			ReplicaUserPoolArn: replicaPoolArn,
			UserPoolID:         global.UserPool.ID().ToStringOutput(),
			AuthorizerAsset:    authorizerAsset,
		}, pulumi.DependsOn([]pulumi.Resource{global.Table}))
		if err != nil {
			return nil, err
		}
		h.Regions[region] = r
	}

	if cfg.Domain != nil {
		edge, err := NewEdge(ctx, "edge", EdgeArgs{Stack: cfg, Providers: h.Providers, Regions: h.Regions})
		if err != nil {
			return nil, err
		}
		h.Edge = edge
	}
	dashboard, err := h.newDashboard(ctx)
	if err != nil {
		return nil, err
	}
	h.Dashboard = dashboard
	return h, nil
}

// Export sets the stack outputs.
func (h *Hush) Export(ctx *pulumi.Context) {
	urls := pulumi.StringMap{}
	for region, r := range h.Regions {
		urls[region] = r.URL
	}
	ctx.Export(OutputAPIURLs, urls)
	ctx.Export(OutputAPIURL, h.Regions[h.Config.HomeRegion()].URL)
	ctx.Export(OutputUserPoolID, h.Global.UserPool.ID())
	ctx.Export(OutputUserPoolClientID, h.Global.Client.ID())
	ctx.Export(OutputTableName, h.Global.Table.Name)
	ctx.Export(OutputHomeRegion, pulumi.String(h.Config.HomeRegion()))
	ctx.Export(OutputSelfSignUp, pulumi.Bool(h.Config.SelfSignUp))
	// Sorted, so that reordering hush:regions changes no output either.
	ctx.Export(OutputRegions, pulumi.ToStringArray(append([]string{h.Config.HomeRegion()}, slices.Sorted(slices.Values(h.Config.ReplicaRegions()))...)))
	home := h.Config.HomeRegion()
	ctx.Export(OutputDashboardURL, pulumi.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s",
		home, home, h.Dashboard.DashboardName))
	if h.Edge != nil {
		ctx.Export(OutputDomainURL, h.Edge.URL)
	}
	if h.Identity != nil {
		ctx.Export(OutputIdentityReplicaRegion, pulumi.String(h.Identity.Region))
		ctx.Export(OutputIdentityKeyArn, h.Identity.Key.Arn)
		ctx.Export(OutputIdentityIssuer, pulumi.String(string(h.Config.Identity.Issuer)))
	}
}
