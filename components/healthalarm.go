package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/stackconfig"
)

// A region's health for DNS comes from a CloudWatch alarm, not from an HTTP
// probe. A probe of the public /v1/health shares the stage's throttling
// with every anonymous client (Route 53's checkers send no header a
// dedicated route could require), and AWS applies an account bucket per
// region (10,000 requests a second, burst 5,000) before any method's, so
// no path survives a flood of that size: a client flooding the API made
// the probes fail with 429 and took the region out of DNS. The alarm
// counts what the region's API answered its callers with 5xx (a failing
// function or table replica); throttled and blocked requests are 4xx and
// do not count, so no client can throttle the check away. /v1/health
// stays for people and scripts.
//
// What the alarm cannot see: a region whose API Gateway answers nothing
// at all publishes no metrics, and Route 53 then keeps the last known
// status (InsufficientDataHealthStatus); see the known limits.
const (
	// edgeHealthPeriodSeconds and edgeHealthPeriods: unhealthy after three
	// minutes each with edgeHealth5xx or more 5xx answers.
	edgeHealthPeriodSeconds = 60
	edgeHealthPeriods       = 3
	edgeHealth5xx           = 5
)

// newEdgeHealthAlarm returns the alarm a region's Route 53 health check
// follows.
func newEdgeHealthAlarm(ctx *pulumi.Context, region string, cfg stackconfig.Stack, on []pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	alarm, err := cloudwatch.NewMetricAlarm(ctx, region+"-edge-health-alarm", &cloudwatch.MetricAlarmArgs{
		Name:             pulumi.Sprintf("hush-%s-%s-edge-health", cfg.Name, region),
		AlarmDescription: pulumi.Sprintf("The API in %s answered 5xx for %d minutes: Route 53 takes the region out of DNS while this alarm is on.", region, edgeHealthPeriods),
		Namespace:        pulumi.String("AWS/ApiGateway"),
		MetricName:       pulumi.String("5XXError"),
		Dimensions: pulumi.StringMap{
			"ApiName": pulumi.String("hush-" + cfg.Name), "Stage": pulumi.String(cfg.Name),
		},
		Statistic:          pulumi.String("Sum"),
		Period:             pulumi.Int(edgeHealthPeriodSeconds),
		EvaluationPeriods:  pulumi.Int(edgeHealthPeriods),
		DatapointsToAlarm:  pulumi.Int(edgeHealthPeriods),
		Threshold:          pulumi.Float64(edgeHealth5xx),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		// No traffic is no failure.
		TreatMissingData: pulumi.String("notBreaching"),
	}, on...)
	if err != nil {
		return nil, fmt.Errorf("components: %s health alarm: %w", region, err)
	}
	return alarm, nil
}
