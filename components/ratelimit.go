package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/stackconfig"
)

// Per-client limits. API Gateway's method throttling is one token bucket
// per method for every client, so one client above the stage's rate denies
// a public read to everyone; usage plans limit per API key, which
// anonymous readers do not have. A WAF web ACL on the stage, with a
// rate-based rule keyed by the client's IP address, blocks (403) a client
// above its limit before the request reaches API Gateway's buckets, and
// leaves the others alone.
const (
	// RateLimitPerIP is the most requests one IP address may send in
	// RateLimitWindowSeconds: 20 a second on average, about twenty
	// spectators behind one club's NAT polling every second.
	RateLimitPerIP = 6000
	// RateLimitWindowSeconds is the rule's evaluation window.
	RateLimitWindowSeconds = 300
	// RateLimitBlockDelaySeconds is the delay before a rate-based rule
	// starts (and stops) blocking, which AWS documents as taking up to
	// about a minute since WAF counts requests over time; the local
	// gateway emulates it.
	RateLimitBlockDelaySeconds = 60
)

// newRateLimit puts a web ACL with a per-IP rate-based rule in front of the
// stage.
func newRateLimit(ctx *pulumi.Context, name string, cfg stackconfig.Stack, stage *apigateway.Stage, on []pulumi.ResourceOption) (*wafv2.WebAcl, error) {
	metric := fmt.Sprintf("hush-%s-per-ip", cfg.Name)
	acl, err := wafv2.NewWebAcl(ctx, name+"-waf", &wafv2.WebAclArgs{
		Name:          pulumi.Sprintf("hush-%s-api", cfg.Name),
		Description:   pulumi.String("Per-client limits of the Hush API: a client above its rate is blocked, the others keep their share."),
		Scope:         pulumi.String("REGIONAL"),
		DefaultAction: wafv2.WebAclDefaultActionArgs{Allow: wafv2.WebAclDefaultActionAllowArgs{}},
		Rules: wafv2.WebAclRuleArray{wafv2.WebAclRuleArgs{
			Name:     pulumi.String("per-ip-rate"),
			Priority: pulumi.Int(0),
			Action:   wafv2.WebAclRuleActionArgs{Block: wafv2.WebAclRuleActionBlockArgs{}},
			Statement: wafv2.WebAclRuleStatementArgs{
				RateBasedStatement: wafv2.WebAclRuleStatementRateBasedStatementArgs{
					AggregateKeyType:    pulumi.String("IP"),
					Limit:               pulumi.Int(RateLimitPerIP),
					EvaluationWindowSec: pulumi.Int(RateLimitWindowSeconds),
				},
			},
			VisibilityConfig: wafv2.WebAclRuleVisibilityConfigArgs{
				CloudwatchMetricsEnabled: pulumi.Bool(true),
				MetricName:               pulumi.String(metric),
				SampledRequestsEnabled:   pulumi.Bool(true),
			},
		}},
		VisibilityConfig: wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true),
			MetricName:               pulumi.Sprintf("hush-%s-api", cfg.Name),
			SampledRequestsEnabled:   pulumi.Bool(true),
		},
	}, on...)
	if err != nil {
		return nil, fmt.Errorf("components: %s web ACL: %w", name, err)
	}
	if _, err := wafv2.NewWebAclAssociation(ctx, name+"-waf-stage", &wafv2.WebAclAssociationArgs{
		ResourceArn: stage.Arn,
		WebAclArn:   acl.Arn,
	}, on...); err != nil {
		return nil, fmt.Errorf("components: %s web ACL association: %w", name, err)
	}
	return acl, nil
}
