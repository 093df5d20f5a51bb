package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/stackconfig"
)

// newAlarms declares this region's alarms and the topic that mails them to
// the stack's alarm address. Alarms can only notify a topic in their own
// region, hence one topic per region.
func (r *RegionalHush) newAlarms(ctx *pulumi.Context, name string, args RegionalHushArgs, on []pulumi.ResourceOption) error {
	cfg := args.Stack
	topic, err := sns.NewTopic(ctx, name+"-alarms", &sns.TopicArgs{
		Name: pulumi.Sprintf("hush-%s-alarms", cfg.Name),
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s alarm topic: %w", name, err)
	}
	// The address must confirm the subscription from the e-mail AWS sends.
	if _, err := sns.NewTopicSubscription(ctx, name+"-alarms-email", &sns.TopicSubscriptionArgs{
		Topic:    topic.Arn,
		Protocol: pulumi.String("email"),
		Endpoint: pulumi.String(cfg.AlarmEmail),
	}, on...); err != nil {
		return fmt.Errorf("components: %s alarm subscription: %w", name, err)
	}
	actions := pulumi.Array{topic.Arn}

	type alarm struct {
		name, description, namespace, metric string
		dimensions                           pulumi.StringMap
		statistic, extended                  string
		threshold                            float64
	}
	apiDims := pulumi.StringMap{"ApiName": pulumi.String(stackconfig.ResourceName(cfg.Name)), "Stage": pulumi.String(cfg.Name)}
	tableDims := pulumi.StringMap{"TableName": args.TableName}
	var alarms []alarm
	for _, spec := range api.Functions() {
		alarms = append(alarms, alarm{
			name:        fmt.Sprintf("%s-errors", spec.Name),
			description: fmt.Sprintf("The %s function failed (uncaught errors, timeouts) in %s.", spec.Name, args.Region),
			namespace:   "AWS/Lambda", metric: "Errors",
			dimensions: pulumi.StringMap{"FunctionName": pulumi.String(FunctionName(cfg, spec.Name))},
			statistic:  "Sum", threshold: 1,
		})
	}
	alarms = append(alarms,
		alarm{
			name: "api-5xx", description: fmt.Sprintf("The API answered 5xx in %s.", args.Region),
			namespace: "AWS/ApiGateway", metric: "5XXError", dimensions: apiDims,
			statistic: "Sum", threshold: 5,
		},
		alarm{
			name: "api-latency-p99", description: fmt.Sprintf("The API's p99 latency passed 3 s in %s.", args.Region),
			namespace: "AWS/ApiGateway", metric: "Latency", dimensions: apiDims,
			extended: "p99", threshold: 3000,
		},
		alarm{
			name: "table-read-throttles", description: fmt.Sprintf("DynamoDB throttled reads of the table in %s.", args.Region),
			namespace: "AWS/DynamoDB", metric: "ReadThrottleEvents", dimensions: tableDims,
			statistic: "Sum", threshold: 1,
		},
		alarm{
			name: "table-write-throttles", description: fmt.Sprintf("DynamoDB throttled writes to the table in %s.", args.Region),
			namespace: "AWS/DynamoDB", metric: "WriteThrottleEvents", dimensions: tableDims,
			statistic: "Sum", threshold: 1,
		},
	)
	// Replication latency is published by the region that sends, per
	// receiving region; a sustained rise means another region is falling
	// behind this one's writes (or cannot be reached).
	for _, to := range cfg.Regions {
		if to == args.Region {
			continue
		}
		alarms = append(alarms, alarm{
			name:        "replication-latency-" + to,
			description: fmt.Sprintf("Replication of the table from %s to %s averaged over a minute.", args.Region, to),
			namespace:   "AWS/DynamoDB", metric: "ReplicationLatency",
			dimensions: pulumi.StringMap{"TableName": args.TableName, "ReceivingRegion": pulumi.String(to)},
			statistic:  "Average", threshold: 60000,
		})
	}
	for _, a := range alarms {
		alarmArgs := &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.Sprintf("hush-%s-%s-%s", cfg.Name, args.Region, a.name),
			AlarmDescription:   pulumi.String(a.description),
			Namespace:          pulumi.String(a.namespace),
			MetricName:         pulumi.String(a.metric),
			Dimensions:         a.dimensions,
			Period:             pulumi.Int(300),
			EvaluationPeriods:  pulumi.Int(1),
			Threshold:          pulumi.Float64(a.threshold),
			ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
			// No traffic is not a problem.
			TreatMissingData: pulumi.String("notBreaching"),
			AlarmActions:     actions,
			OkActions:        actions,
		}
		if a.extended != "" {
			alarmArgs.ExtendedStatistic = pulumi.String(a.extended)
		} else {
			alarmArgs.Statistic = pulumi.String(a.statistic)
		}
		if _, err := cloudwatch.NewMetricAlarm(ctx, name+"-alarm-"+a.name, alarmArgs, on...); err != nil {
			return fmt.Errorf("components: %s alarm %s: %w", name, a.name, err)
		}
	}
	return nil
}
