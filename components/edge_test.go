package components_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/components"
	"github.com/hush-scores/hush/stackconfig"
)

const (
	testZone   = "Z0123456789ABCDEFGHIJ"
	testDomain = "api.example.com"
)

// withDomain returns a stack's real config plus a custom domain: the stack
// files name none, so the edge is tested on a copy.
func withDomain(t *testing.T, stack string) map[string]string {
	t.Helper()
	config := projectConfig(t, stack)
	config["hush:"+stackconfig.KeyDomain] = fmt.Sprintf(`{"hostedZoneId":%q,"name":%q}`, testZone, testDomain)
	return config
}

// edgeTypes are the resources only a stack with a domain has.
var edgeTypes = []string{
	"aws:acm/certificate:Certificate",
	"aws:acm/certificateValidation:CertificateValidation",
	"aws:apigateway/domainName:DomainName",
	"aws:apigateway/basePathMapping:BasePathMapping",
	"aws:route53/healthCheck:HealthCheck",
	"aws:route53/record:Record",
}

func TestEdgeWithDomain(t *testing.T) {
	for _, stack := range []string{"stage", "prod"} {
		t.Run(stack, func(t *testing.T) {
			want := stacks[stack]
			home := want.regions[0]
			resources, outputs, err := run(t, stack, withDomain(t, stack))
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			s := newSnapshot(resources)

			// One validation CNAME for every region, plus one latency
			// record per region.
			validation := s.named("aws:route53/record:Record", "edge-cert-validation")
			if validation == nil {
				t.Fatal("no validation record edge-cert-validation")
			}
			if !validation.RegisterRPC.GetRetainOnDelete() {
				t.Error("validation record is deleted with the stack; another stack's certificate of the same domain renews with it")
			}
			if got := validation.Inputs["type"].StringValue(); got != "CNAME" {
				t.Errorf("validation record type = %q, want CNAME", got)
			}
			if got, wantV := validation.Inputs["records"].ArrayValue()[0].StringValue(), "_f00d.abcdefgh.acm-validations.aws."; got != wantV {
				t.Errorf("validation record value = %q, want ACM's %q", got, wantV)
			}
			if got := validation.Inputs["zoneId"].StringValue(); got != testZone {
				t.Errorf("validation record zone = %q, want %q", got, testZone)
			}
			validationFqdn := "_c0ffee." + testDomain
			for _, typ := range edgeTypes {
				wantN := len(want.regions)
				if typ == "aws:route53/record:Record" {
					wantN++ // the shared validation record
				}
				if got := len(s.ofType(typ)); got != wantN {
					t.Errorf("%d resources of type %s, want %d", got, typ, wantN)
				}
			}

			for _, region := range want.regions {
				t.Run(region, func(t *testing.T) {
					cert := edgeChild(t, s, "aws:acm/certificate:Certificate", region)
					if got := cert.Inputs["domainName"].StringValue(); got != testDomain {
						t.Errorf("certificate domain = %q, want %q", got, testDomain)
					}
					if got := cert.Inputs["validationMethod"].StringValue(); got != "DNS" {
						t.Errorf("certificate validation = %q, want DNS", got)
					}
					certArn := fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s-edge-cert", region, account, region)

					v := edgeChild(t, s, "aws:acm/certificateValidation:CertificateValidation", region)
					if got := v.Inputs["certificateArn"].StringValue(); got != certArn {
						t.Errorf("validation certificate = %q, want this region's %q", got, certArn)
					}
					if got := v.Inputs["validationRecordFqdns"].ArrayValue(); len(got) != 1 || got[0].StringValue() != validationFqdn {
						t.Errorf("validation record FQDNs = %v, want [%s]", got, validationFqdn)
					}

					dn := edgeChild(t, s, "aws:apigateway/domainName:DomainName", region)
					checks := []struct {
						name      string
						got, want any
					}{
						{"domain name", dn.Inputs["domainName"].StringValue(), testDomain},
						{"security policy", dn.Inputs["securityPolicy"].StringValue(), "TLS_1_2"},
						{"endpoint type", dn.Inputs["endpointConfiguration"].ObjectValue()["types"].StringValue(), "REGIONAL"},
						{"regional certificate", dn.Inputs["regionalCertificateArn"].StringValue(), certArn},
					}
					mapping := edgeChild(t, s, "aws:apigateway/basePathMapping:BasePathMapping", region)
					checks = append(checks, []struct {
						name      string
						got, want any
					}{
						{"mapping API", mapping.Inputs["restApi"].StringValue(), region + "-api-id"},
						{"mapping stage", mapping.Inputs["stageName"].StringValue(), stack},
						{"mapping domain", mapping.Inputs["domainName"].StringValue(), testDomain},
						{"mapping base path", mapping.Inputs["basePath"].IsNull() || mapping.Inputs["basePath"].StringValue() == "", true},
					}...)

					hc := edgeChild(t, s, "aws:route53/healthCheck:HealthCheck", region)
					checks = append(checks, []struct {
						name      string
						got, want any
					}{
						// issue 23: an alarm, which no client can throttle away, not an HTTP probe.
						{"health check type", hc.Inputs["type"].StringValue(), "CLOUDWATCH_METRIC"},
						{"health check alarm", stringInput(hc.Inputs["cloudwatchAlarmName"]), fmt.Sprintf("hush-%s-%s-edge-health", stack, region)},
						{"health check alarm region", stringInput(hc.Inputs["cloudwatchAlarmRegion"]), region},
						{"health check without data", stringInput(hc.Inputs["insufficientDataHealthStatus"]), "LastKnownStatus"},
						{"health check probes nothing", hc.Inputs["resourcePath"].IsNull() && hc.Inputs["fqdn"].IsNull(), true},
						{"health check inverted", hc.Inputs["invertHealthcheck"].BoolValue(), false},
						{"health check provider", providerRegion(hc.Provider), home},
					}...)

					rec := edgeChild(t, s, "aws:route53/record:Record", region)
					alias := rec.Inputs["aliases"].ArrayValue()[0].ObjectValue()
					checks = append(checks, []struct {
						name      string
						got, want any
					}{
						{"record name", rec.Inputs["name"].StringValue(), testDomain},
						{"record zone", rec.Inputs["zoneId"].StringValue(), testZone},
						{"record type", rec.Inputs["type"].StringValue(), "A"},
						{"record set identifier", rec.Inputs["setIdentifier"].StringValue(), region},
						{"record latency region", rec.Inputs["latencyRoutingPolicies"].ArrayValue()[0].ObjectValue()["region"].StringValue(), region},
						{"record health check (its own)", rec.Inputs["healthCheckId"].StringValue(), region + "-edge-health-id"},
						{"record alias target (its own domain)", alias["name"].StringValue(), fmt.Sprintf("d-%s.execute-api.%s.amazonaws.com", region, region)},
						{"record alias zone", alias["zoneId"].StringValue(), "ZAPIGW-" + region},
						{"record evaluates target health", alias["evaluateTargetHealth"].BoolValue(), true},
						{"record provider", providerRegion(rec.Provider), home},
					}...)
					for _, c := range checks {
						if c.got != c.want {
							t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
						}
					}
					if deps := rec.RegisterRPC.GetDependencies(); !slices.ContainsFunc(deps, func(urn string) bool { return strings.HasSuffix(urn, "::"+region+"-edge-mapping") }) {
						t.Errorf("latency record does not wait for the base path mapping (depends on %v)", deps)
					}
				})
			}

			t.Run("regional resources on their region, Route 53 on the home provider", func(t *testing.T) {
				for _, r := range s.all {
					parent := s.parentComponent(r)
					if !r.Custom || parent.TypeToken != "hush:index:RegionalEdge" {
						continue
					}
					wantRegion := parent.Name
					if strings.HasPrefix(r.TypeToken, "aws:route53/") {
						wantRegion = home
					}
					if got := providerRegion(r.Provider); got != wantRegion {
						t.Errorf("%s %s is on provider %q, want %s", r.TypeToken, r.Name, got, wantRegion)
					}
				}
			})

			if got := outputs[components.OutputDomainURL]; got != "https://"+testDomain {
				t.Errorf("output %s = %v, want https://%s", components.OutputDomainURL, got, testDomain)
			}
		})
	}
}

// edgeChild returns the one resource of typ in region's RegionalEdge.
func edgeChild(t *testing.T, s snapshot, typ, region string) pulumi.MockResourceArgs {
	t.Helper()
	var found []pulumi.MockResourceArgs
	for _, r := range s.ofType(typ) {
		if p := s.parentComponent(r); p.TypeToken == "hush:index:RegionalEdge" && p.Name == region {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s in the %s edge, want 1", len(found), typ, region)
	}
	return found[0]
}

func TestNoEdgeWithoutDomain(t *testing.T) {
	for _, stack := range []string{"dev", "stage", "prod"} {
		t.Run(stack, func(t *testing.T) {
			resources, outputs, err := run(t, stack, projectConfig(t, stack))
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			s := newSnapshot(resources)
			for _, typ := range append(edgeTypes, "hush:index:Edge", "hush:index:RegionalEdge") {
				if got := len(s.ofType(typ)); got != 0 {
					t.Errorf("%d resources of type %s in a stack without a domain, want none", got, typ)
				}
			}
			if got, ok := outputs[components.OutputDomainURL]; ok {
				t.Errorf("output %s = %v in a stack without a domain, want none", components.OutputDomainURL, got)
			}
		})
	}
}

func TestFailoverDrillInvertsOnlyTheDrilledRegion(t *testing.T) {
	config := withDomain(t, "prod")
	config["hush:"+stackconfig.KeyFailoverDrill] = `["eu-west-1"]`
	resources, _, err := run(t, "prod", config)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	s := newSnapshot(resources)
	for _, region := range stacks["prod"].regions {
		hc := edgeChild(t, s, "aws:route53/healthCheck:HealthCheck", region)
		if got, want := hc.Inputs["invertHealthcheck"].BoolValue(), region == "eu-west-1"; got != want {
			t.Errorf("%s health check inverted = %v, want %v", region, got, want)
		}
	}
}

func TestDifferentValidationRecordsStopTheProgram(t *testing.T) {
	m := &mocks{validationValue: func(region string) string {
		return "_" + region + ".acm-validations.aws."
	}}
	_, _, err := runWith(t, m, "stage", withDomain(t, "stage"))
	if err == nil || !strings.Contains(err.Error(), "ACM in eu-west-1 asks to validate api.example.com with CNAME") {
		t.Fatalf("program error = %v, want it to name the region whose validation record differs", err)
	}
}

func TestDashboard(t *testing.T) {
	type variant struct {
		stack  string
		domain bool
	}
	for _, v := range []variant{{"dev", false}, {"stage", false}, {"prod", false}, {"prod", true}} {
		t.Run(fmt.Sprintf("%s domain=%v", v.stack, v.domain), func(t *testing.T) {
			want := stacks[v.stack]
			config := projectConfig(t, v.stack)
			if v.domain {
				config = withDomain(t, v.stack)
			}
			resources, outputs, err := run(t, v.stack, config)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			s := newSnapshot(resources)
			d := s.only(t, "aws:cloudwatch/dashboard:Dashboard")
			if got := providerRegion(d.Provider); got != want.regions[0] {
				t.Errorf("dashboard on provider %q, want the home region %s", got, want.regions[0])
			}
			if got := d.Inputs["dashboardName"].StringValue(); got != "hush-"+v.stack {
				t.Errorf("dashboard name = %q, want hush-%s", got, v.stack)
			}
			if got := fmt.Sprint(outputs[components.OutputDashboardURL]); !strings.HasSuffix(got, "#dashboards/dashboard/hush-"+v.stack) {
				t.Errorf("output %s = %s", components.OutputDashboardURL, got)
			}
			body := parseDashboard(t, d.Inputs["dashboardBody"].StringValue())

			regionsSeen := map[string]int{}
			metricsIn := map[string][]string{} // region -> namespace/metric/dimension values
			for _, w := range body.Widgets {
				regionsSeen[w.Properties.Region]++
				for _, m := range w.Properties.Metrics {
					var parts []string
					for _, p := range m {
						if str, ok := p.(string); ok {
							parts = append(parts, str)
						}
					}
					metricsIn[w.Properties.Region] = append(metricsIn[w.Properties.Region], strings.Join(parts, "/"))
				}
			}
			for _, region := range want.regions {
				if regionsSeen[region] == 0 {
					t.Errorf("no widget for %s", region)
				}
				has := func(wantMetric string) {
					t.Helper()
					if !slices.Contains(metricsIn[region], wantMetric) {
						t.Errorf("%s has no %s graph", region, wantMetric)
					}
				}
				api := fmt.Sprintf("ApiName/hush-%s/Stage/%s", v.stack, v.stack)
				has("AWS/ApiGateway/Count/" + api)
				has("AWS/ApiGateway/4XXError/" + api)
				has("AWS/ApiGateway/5XXError/" + api)
				has("AWS/ApiGateway/Latency/" + api)
				has(fmt.Sprintf("AWS/DynamoDB/WriteThrottleEvents/TableName/hush-%s", v.stack))
				for _, spec := range apiFunctions() {
					fn := fmt.Sprintf("FunctionName/hush-%s-%s", v.stack, spec)
					has("AWS/Lambda/Errors/" + fn)
					has("AWS/Lambda/Duration/" + fn)
					has(fmt.Sprintf("Hush/%s/InitDuration-%s", v.stack, spec))
				}
				for _, to := range want.regions {
					if to != region {
						has(fmt.Sprintf("AWS/DynamoDB/ReplicationLatency/TableName/hush-%s/ReceivingRegion/%s", v.stack, to))
					}
				}
			}
			var healthChecks []string
			for _, m := range metricsIn["us-east-1"] {
				if strings.HasPrefix(m, "AWS/Route53/HealthCheckStatus/") {
					healthChecks = append(healthChecks, m)
				}
			}
			var wantChecks []string
			if v.domain {
				for _, region := range want.regions {
					wantChecks = append(wantChecks, "AWS/Route53/HealthCheckStatus/HealthCheckId/"+region+"-edge-health-id")
				}
			}
			if !slices.Equal(healthChecks, wantChecks) {
				t.Errorf("health check graphs = %v, want %v", healthChecks, wantChecks)
			}
			checkLayout(t, body)

			// The body is built from resolved names only, so the same stack
			// always gives the same bytes.
			resources2, _, err := run(t, v.stack, config)
			if err != nil {
				t.Fatal(err)
			}
			d2 := newSnapshot(resources2).only(t, "aws:cloudwatch/dashboard:Dashboard")
			if d.Inputs["dashboardBody"].StringValue() != d2.Inputs["dashboardBody"].StringValue() {
				t.Error("two runs of the same stack gave different dashboard bodies")
			}
		})
	}
}

type dashboardBody struct {
	Widgets []struct {
		X, Y, Width, Height int
		Properties          struct {
			Title   string
			Region  string
			Metrics [][]any
		}
	}
}

func parseDashboard(t *testing.T, raw string) dashboardBody {
	t.Helper()
	var b dashboardBody
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatalf("dashboard body is not JSON: %v\n%s", err, raw)
	}
	if len(b.Widgets) == 0 {
		t.Fatal("dashboard has no widgets")
	}
	return b
}

// checkLayout fails when widgets overlap or leave CloudWatch's 24-column grid.
func checkLayout(t *testing.T, b dashboardBody) {
	t.Helper()
	type cell struct{ x, y int }
	used := map[cell]string{}
	for _, w := range b.Widgets {
		if w.X < 0 || w.Width <= 0 || w.X+w.Width > 24 {
			t.Errorf("widget %q at x=%d width=%d leaves the grid", w.Properties.Title, w.X, w.Width)
		}
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				if other, taken := used[cell{x, y}]; taken {
					t.Fatalf("widgets %q and %q overlap at (%d,%d)", other, w.Properties.Title, x, y)
				}
				used[cell{x, y}] = w.Properties.Title
			}
		}
	}
}

func TestDashboardBodyErrors(t *testing.T) {
	cfg := stackconfig.Stack{Name: "stage", Regions: []string{"eu-central-1", "eu-west-1"}}
	tests := []struct {
		name string
		in   components.DashboardInputs
		want string
	}{
		{"missing API name", components.DashboardInputs{TableName: "t", APINames: map[string]string{"eu-central-1": "a"}}, "no API name for eu-west-1"},
		{"missing health check", components.DashboardInputs{TableName: "t",
			APINames:       map[string]string{"eu-central-1": "a", "eu-west-1": "b"},
			HealthCheckIDs: map[string]string{"eu-central-1": "h"}}, "no health check ID for eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := components.DashboardBody(cfg, tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DashboardBody error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestColdStartFiltersAndReplicationAlarms(t *testing.T) {
	want := stacks["prod"]
	resources, _, err := run(t, "prod", projectConfig(t, "prod"))
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	s := newSnapshot(resources)
	for _, region := range want.regions {
		filters := s.childrenOf("aws:cloudwatch/logMetricFilter:LogMetricFilter", region)
		if len(filters) != len(apiFunctions()) {
			t.Errorf("%s has %d cold start filters, want one per function", region, len(filters))
		}
		for _, spec := range apiFunctions() {
			f := s.named("aws:cloudwatch/logMetricFilter:LogMetricFilter", fmt.Sprintf("%s-%s-cold-starts", region, spec))
			if f == nil {
				t.Errorf("no cold start filter for %s in %s", spec, region)
				continue
			}
			if got, wantGroup := f.Inputs["logGroupName"].StringValue(), "/aws/lambda/hush-prod-"+spec; got != wantGroup {
				t.Errorf("%s filter reads %s, want %s", f.Name, got, wantGroup)
			}
			pattern := f.Inputs["pattern"].StringValue()
			for _, part := range []string{`$.type = "platform.report"`, "$.record.metrics.initDurationMs > 0"} {
				if !strings.Contains(pattern, part) {
					t.Errorf("%s pattern %s lacks %s", f.Name, pattern, part)
				}
			}
			mt := f.Inputs["metricTransformation"].ObjectValue()
			if got := mt["namespace"].StringValue() + "/" + mt["name"].StringValue(); got != "Hush/prod/InitDuration-"+spec {
				t.Errorf("%s metric = %s, want the one the dashboard graphs", f.Name, got)
			}
			if got := mt["value"].StringValue(); got != "$.record.metrics.initDurationMs" {
				t.Errorf("%s value = %s", f.Name, got)
			}
		}

		var receiving []string
		for _, a := range s.childrenOf("aws:cloudwatch/metricAlarm:MetricAlarm", region) {
			if a.Inputs["metricName"].StringValue() != "ReplicationLatency" {
				continue
			}
			dims := a.Inputs["dimensions"].ObjectValue()
			receiving = append(receiving, dims[resource.PropertyKey("ReceivingRegion")].StringValue())
		}
		var wantReceiving []string
		for _, to := range want.regions {
			if to != region {
				wantReceiving = append(wantReceiving, to)
			}
		}
		slices.Sort(receiving)
		slices.Sort(wantReceiving)
		if !slices.Equal(receiving, wantReceiving) {
			t.Errorf("%s replication alarms for %v, want %v", region, receiving, wantReceiving)
		}
	}
}

func apiFunctions() []string {
	var out []string
	for _, spec := range api.Functions() {
		out = append(out, string(spec.Name))
	}
	return out
}
