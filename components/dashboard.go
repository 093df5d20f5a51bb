package components

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/stackconfig"
)

// DashboardName is the CloudWatch dashboard of a stack, in the home region.
func DashboardName(cfg stackconfig.Stack) string { return stackconfig.ResourceName(cfg.Name) }

// ColdStartNamespace is the CloudWatch namespace of the metrics Hush derives
// from its own logs. It names the stack because dev and stage may share an
// account and a region.
func ColdStartNamespace(cfg stackconfig.Stack) string { return "Hush/" + cfg.Name }

// ColdStartMetric is the metric a log filter fills with the init duration of
// each cold start of fn: its SampleCount is the number of cold starts.
// Lambda publishes no cold-start metric; its REPORT line carries
// "Init Duration" only on a cold start, and in the JSON log format that is
// record.metrics.initDurationMs of the platform.report event.
func ColdStartMetric(fn api.Function) string { return "InitDuration-" + string(fn) }

// coldStartPattern matches the platform.report events of cold starts.
const coldStartPattern = `{ ($.type = "platform.report") && ($.record.metrics.initDurationMs > 0) }`

// DashboardInputs are the resolved names a dashboard body refers to.
type DashboardInputs struct {
	TableName string
	// APINames maps each region to its REST API's name.
	APINames map[string]string
	// HealthCheckIDs maps each region to its Route 53 health check; nil
	// when the stack has no domain.
	HealthCheckIDs map[string]string
}

type widget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties widgetProperty `json:"properties"`
}

type widgetProperty struct {
	Title   string  `json:"title"`
	Region  string  `json:"region"`
	View    string  `json:"view"`
	Stacked bool    `json:"stacked"`
	Period  int     `json:"period"`
	Metrics [][]any `json:"metrics"`
}

// dashboardWidth is CloudWatch's grid width; widgetHeight suits a graph.
const (
	dashboardWidth = 24
	widgetHeight   = 6
)

// metric is one line of a graph: namespace, name, dimension pairs, then
// its rendering options.
func metric(namespace, name string, dims []string, stat, label string) []any {
	m := []any{namespace, name}
	for _, d := range dims {
		m = append(m, d)
	}
	return append(m, map[string]string{"stat": stat, "label": label})
}

// DashboardBody returns the dashboard's JSON: one row per concern, one
// column per region in the stack's order, so regions sit side by side,
// and the Route 53 health checks across the bottom when there is a domain.
// The same inputs always give the same bytes, so previews show no diff.
func DashboardBody(cfg stackconfig.Stack, in DashboardInputs) (string, error) {
	if len(cfg.Regions) == 0 {
		return "", fmt.Errorf("components: dashboard: the stack has no regions")
	}
	for _, region := range cfg.Regions {
		if in.APINames[region] == "" {
			return "", fmt.Errorf("components: dashboard: no API name for %s", region)
		}
	}
	stage := cfg.Name
	table := []string{"TableName", in.TableName}

	type row struct {
		title   string
		metrics func(region string) [][]any
	}
	rows := []row{
		{"API requests, 4XX, 5XX", func(region string) [][]any {
			dims := []string{"ApiName", in.APINames[region], "Stage", stage}
			return [][]any{
				metric("AWS/ApiGateway", "Count", dims, "Sum", "requests"),
				metric("AWS/ApiGateway", "4XXError", dims, "Sum", "4XX"),
				metric("AWS/ApiGateway", "5XXError", dims, "Sum", "5XX"),
			}
		}},
		{"API latency p99 (ms)", func(region string) [][]any {
			dims := []string{"ApiName", in.APINames[region], "Stage", stage}
			return [][]any{
				metric("AWS/ApiGateway", "Latency", dims, "p99", "latency p99"),
				metric("AWS/ApiGateway", "IntegrationLatency", dims, "p99", "integration p99"),
			}
		}},
		{"Lambda errors and throttles", func(string) [][]any {
			var ms [][]any
			for _, spec := range api.Functions() {
				dims := []string{"FunctionName", FunctionName(cfg, spec.Name)}
				ms = append(ms,
					metric("AWS/Lambda", "Errors", dims, "Sum", string(spec.Name)+" errors"),
					metric("AWS/Lambda", "Throttles", dims, "Sum", string(spec.Name)+" throttles"))
			}
			return ms
		}},
		{"Lambda duration p99 (ms)", func(string) [][]any {
			var ms [][]any
			for _, spec := range api.Functions() {
				dims := []string{"FunctionName", FunctionName(cfg, spec.Name)}
				ms = append(ms, metric("AWS/Lambda", "Duration", dims, "p99", string(spec.Name)))
			}
			return ms
		}},
		{"Lambda cold starts (from REPORT lines)", func(string) [][]any {
			var ms [][]any
			for _, spec := range api.Functions() {
				ms = append(ms, metric(ColdStartNamespace(cfg), ColdStartMetric(spec.Name), nil, "SampleCount", string(spec.Name)))
			}
			return ms
		}},
		{"DynamoDB throttled requests", func(string) [][]any {
			return [][]any{
				metric("AWS/DynamoDB", "ReadThrottleEvents", table, "Sum", "read throttles"),
				metric("AWS/DynamoDB", "WriteThrottleEvents", table, "Sum", "write throttles"),
			}
		}},
	}
	if len(cfg.Regions) > 1 {
		rows = append(rows, row{"DynamoDB replication latency to (ms)", func(region string) [][]any {
			var ms [][]any
			for _, to := range cfg.Regions {
				if to == region {
					continue
				}
				dims := append(append([]string{}, table...), "ReceivingRegion", to)
				ms = append(ms, metric("AWS/DynamoDB", "ReplicationLatency", dims, "Average", to))
			}
			return ms
		}})
	}

	width := dashboardWidth / len(cfg.Regions)
	var widgets []widget
	y := 0
	for _, r := range rows {
		for i, region := range cfg.Regions {
			widgets = append(widgets, widget{
				Type: "metric", X: i * width, Y: y, Width: width, Height: widgetHeight,
				Properties: widgetProperty{
					Title: r.title + " - " + region, Region: region,
					View: "timeSeries", Period: 300, Metrics: r.metrics(region),
				},
			})
		}
		y += widgetHeight
	}
	if len(in.HealthCheckIDs) > 0 {
		var ms [][]any
		for _, region := range cfg.Regions {
			id := in.HealthCheckIDs[region]
			if id == "" {
				return "", fmt.Errorf("components: dashboard: no health check ID for %s", region)
			}
			ms = append(ms, metric("AWS/Route53", "HealthCheckStatus", []string{"HealthCheckId", id}, "Minimum", region))
		}
		// Route 53 publishes health check metrics in us-east-1 only.
		widgets = append(widgets, widget{
			Type: "metric", X: 0, Y: y, Width: dashboardWidth, Height: widgetHeight,
			Properties: widgetProperty{
				Title: "Route 53 health checks (1 = healthy; DNS drops a region at 0)", Region: "us-east-1",
				View: "timeSeries", Period: 60, Metrics: ms,
			},
		})
	}
	body, err := json.Marshal(map[string]any{"widgets": widgets})
	if err != nil {
		return "", fmt.Errorf("components: dashboard: %w", err)
	}
	return string(body), nil
}

// newDashboard declares the stack's dashboard in the home region.
func (h *Hush) newDashboard(ctx *pulumi.Context) (*cloudwatch.Dashboard, error) {
	cfg := h.Config
	inputs := []any{h.Global.Table.Name}
	for _, region := range cfg.Regions {
		inputs = append(inputs, h.Regions[region].RestAPI.Name)
	}
	if h.Edge != nil {
		for _, region := range cfg.Regions {
			inputs = append(inputs, h.Edge.Regions[region].HealthCheck.ID().ToStringOutput())
		}
	}
	body := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		in := DashboardInputs{TableName: v[0].(string), APINames: map[string]string{}}
		n := len(cfg.Regions)
		for i, region := range cfg.Regions {
			in.APINames[region] = v[1+i].(string)
		}
		if len(v) > 1+n {
			in.HealthCheckIDs = map[string]string{}
			for i, region := range cfg.Regions {
				in.HealthCheckIDs[region] = v[1+n+i].(string)
			}
		}
		return DashboardBody(cfg, in)
	}).(pulumi.StringOutput)
	d, err := cloudwatch.NewDashboard(ctx, "dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(DashboardName(cfg)),
		DashboardBody: body,
	}, pulumi.Provider(h.Providers[cfg.HomeRegion()]))
	if err != nil {
		return nil, fmt.Errorf("components: dashboard: %w", err)
	}
	return d, nil
}
