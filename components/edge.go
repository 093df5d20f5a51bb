package components

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/stackconfig"
)

// HealthPath is the API's public health route, for people and scripts; it
// reads the region's table replica, so it fails when the region cannot
// serve. Route 53 no longer probes it (healthalarm.go): a region leaves
// DNS after three minutes of 5xx answers, then the alias record's 60 s TTL
// in resolvers.
const HealthPath = "/v1/health"

// EdgeArgs are the inputs of the custom-domain edge of a stack.
type EdgeArgs struct {
	Stack stackconfig.Stack
	// Providers holds every region's provider. Route 53 is a global service,
	// so its records and health checks use the home region's provider.
	Providers map[string]*aws.Provider
	// Regions are the deployed regions whose stages the domain serves.
	Regions map[string]*RegionalHush
}

// Edge serves a stack's API under one domain: per region a certificate,
// a regional custom domain mapped to the stage, a health check and a latency
// record, so that DNS answers with the closest healthy region. It also owns
// the one DNS record that validates every region's certificate.
type Edge struct {
	pulumi.ResourceState

	// ValidationRecord is the CNAME ACM checks for the domain. ACM asks for
	// the same record in every region, so it is created once; see newEdgeValidation.
	ValidationRecord *route53.Record
	// Regions holds one RegionalEdge per region, keyed by region name.
	Regions map[string]*RegionalEdge
	// URL is https://<domain>, the base URL clients use (paths under /v1).
	URL pulumi.StringOutput
}

// RegionalEdge is the custom domain in one region.
type RegionalEdge struct {
	pulumi.ResourceState

	Certificate *acm.Certificate
	Validation  *acm.CertificateValidation
	DomainName  *apigateway.DomainName
	Mapping     *apigateway.BasePathMapping
	HealthCheck *route53.HealthCheck
	Record      *route53.Record
}

// NewEdge declares the edge of a stack whose config names a domain.
func NewEdge(ctx *pulumi.Context, name string, args EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	cfg := args.Stack
	if cfg.Domain == nil {
		return nil, fmt.Errorf("components: %s: the stack names no domain", name)
	}
	home := cfg.HomeRegion()
	dns := args.Providers[home]
	if dns == nil {
		return nil, fmt.Errorf("components: %s: no provider for the home region %s", name, home)
	}
	e := &Edge{Regions: map[string]*RegionalEdge{}}
	opts = append(opts, pulumi.Provider(dns))
	if err := ctx.RegisterComponentResource("hush:index:Edge", name, e, opts...); err != nil {
		return nil, fmt.Errorf("components: register %s: %w", name, err)
	}

	// Certificates first: the validation record is read from the home one.
	for _, region := range cfg.Regions {
		p, r := args.Providers[region], args.Regions[region]
		if p == nil || r == nil {
			return nil, fmt.Errorf("components: %s: region %s has no provider or deployment", name, region)
		}
		re := &RegionalEdge{}
		if err := ctx.RegisterComponentResource("hush:index:RegionalEdge", region, re, pulumi.Parent(e), pulumi.Provider(p)); err != nil {
			return nil, fmt.Errorf("components: register %s edge: %w", region, err)
		}
		cert, err := acm.NewCertificate(ctx, region+"-edge-cert", &acm.CertificateArgs{
			DomainName:       pulumi.String(cfg.Domain.Name),
			ValidationMethod: pulumi.String("DNS"),
		}, pulumi.Parent(re), pulumi.Provider(p))
		if err != nil {
			return nil, fmt.Errorf("components: %s certificate: %w", region, err)
		}
		re.Certificate = cert
		e.Regions[region] = re
	}

	homeName, homeValue := validationCNAME(e.Regions[home].Certificate, cfg.Domain.Name)
	record, err := route53.NewRecord(ctx, name+"-cert-validation", &route53.RecordArgs{
		ZoneId:  pulumi.String(cfg.Domain.HostedZoneID),
		Name:    homeName,
		Type:    pulumi.String("CNAME"),
		Records: pulumi.StringArray{homeValue},
		Ttl:     pulumi.Int(300),
		// A record left by an earlier deployment or a manual validation of
		// the same domain is taken over rather than failing the create.
		AllowOverwrite: pulumi.Bool(true),
		// Retained on delete: ACM asks every certificate of this domain in
		// the account for the same record, so another stack's certificate
		// may renew with it after this stack is destroyed.
	}, pulumi.Parent(e), pulumi.Provider(dns), pulumi.RetainOnDelete(true))
	if err != nil {
		return nil, fmt.Errorf("components: %s validation record: %w", name, err)
	}
	e.ValidationRecord = record

	for _, region := range cfg.Regions {
		if err := e.Regions[region].finish(ctx, region, cfg, args.Regions[region], args.Providers[region], dns, record, homeName, homeValue); err != nil {
			return nil, err
		}
	}

	e.URL = pulumi.String("https://" + cfg.Domain.Name).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(e, pulumi.Map{
		"url":              e.URL,
		"validationRecord": record.Fqdn,
	}); err != nil {
		return nil, fmt.Errorf("components: register %s outputs: %w", name, err)
	}
	return e, nil
}

// finish declares the region's certificate validation, custom domain, base
// path mapping, health check and latency record.
func (re *RegionalEdge) finish(ctx *pulumi.Context, region string, cfg stackconfig.Stack, r *RegionalHush, p, dns *aws.Provider,
	record *route53.Record, homeName, homeValue pulumi.StringOutput) error {
	domain := cfg.Domain
	on := []pulumi.ResourceOption{pulumi.Parent(re), pulumi.Provider(p)}
	onDNS := []pulumi.ResourceOption{pulumi.Parent(re), pulumi.Provider(dns)}

	// ACM has always asked for the same CNAME for one domain in every
	// region of an account; should it ever differ, stop with the reason
	// rather than wait out the validation timeout.
	name, value := validationCNAME(re.Certificate, domain.Name)
	fqdn := pulumi.All(name, value, homeName, homeValue, record.Fqdn).ApplyT(func(v []any) (string, error) {
		n, val, hn, hv := v[0].(string), v[1].(string), v[2].(string), v[3].(string)
		if !sameDNSName(n, hn) || !sameDNSName(val, hv) {
			return "", fmt.Errorf("components: ACM in %s asks to validate %s with CNAME %s -> %s, but the home region's record is %s -> %s; "+
				"create a validation record per region", region, domain.Name, n, val, hn, hv)
		}
		return v[4].(string), nil
	}).(pulumi.StringOutput)
	validation, err := acm.NewCertificateValidation(ctx, region+"-edge-cert-validation", &acm.CertificateValidationArgs{
		CertificateArn:        re.Certificate.Arn,
		ValidationRecordFqdns: pulumi.StringArray{fqdn},
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s certificate validation: %w", region, err)
	}
	re.Validation = validation

	dn, err := apigateway.NewDomainName(ctx, region+"-edge-domain", &apigateway.DomainNameArgs{
		DomainName: pulumi.String(domain.Name),
		// The validation's ARN, not the certificate's, so the domain waits
		// until the certificate is issued.
		RegionalCertificateArn: validation.CertificateArn,
		EndpointConfiguration: apigateway.DomainNameEndpointConfigurationArgs{
			Types: pulumi.String("REGIONAL"),
		},
		SecurityPolicy: pulumi.String("TLS_1_2"),
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s custom domain: %w", region, err)
	}
	re.DomainName = dn

	// An empty base path maps the domain's root to the stage, so
	// https://<domain>/v1/... is the stage's /v1/....
	mapping, err := apigateway.NewBasePathMapping(ctx, region+"-edge-mapping", &apigateway.BasePathMappingArgs{
		RestApi:    r.RestAPI.ID(),
		StageName:  r.Stage.StageName,
		DomainName: dn.DomainName,
	}, on...)
	if err != nil {
		return fmt.Errorf("components: %s base path mapping: %w", region, err)
	}
	re.Mapping = mapping

	// The check follows a CloudWatch alarm of the region (healthalarm.go),
	// not an HTTP probe, which any client could throttle away.
	alarm, err := newEdgeHealthAlarm(ctx, region, cfg, on)
	if err != nil {
		return err
	}
	hc, err := route53.NewHealthCheck(ctx, region+"-edge-health", &route53.HealthCheckArgs{
		Type:                         pulumi.String("CLOUDWATCH_METRIC"),
		CloudwatchAlarmName:          alarm.Name,
		CloudwatchAlarmRegion:        pulumi.String(region),
		InsufficientDataHealthStatus: pulumi.String("LastKnownStatus"),
		// A failover drill inverts the check: a healthy region then counts
		// as failed, without touching the region itself.
		InvertHealthcheck: pulumi.Bool(slices.Contains(cfg.FailoverDrill, region)),
		Tags: pulumi.StringMap{
			"Name": pulumi.Sprintf("hush-%s-%s", cfg.Name, region),
		},
	}, onDNS...)
	if err != nil {
		return fmt.Errorf("components: %s health check: %w", region, err)
	}
	re.HealthCheck = hc

	rec, err := route53.NewRecord(ctx, region+"-edge-latency", &route53.RecordArgs{
		ZoneId:        pulumi.String(domain.HostedZoneID),
		Name:          pulumi.String(domain.Name),
		Type:          pulumi.String("A"),
		SetIdentifier: pulumi.String(region),
		LatencyRoutingPolicies: route53.RecordLatencyRoutingPolicyArray{
			route53.RecordLatencyRoutingPolicyArgs{Region: pulumi.String(region)},
		},
		HealthCheckId: hc.ID(),
		Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
			Name:   dn.RegionalDomainName,
			ZoneId: dn.RegionalZoneId,
			// The health check decides; API Gateway reports no health of
			// its own for Route 53 to inherit.
			EvaluateTargetHealth: pulumi.Bool(true),
		}},
		// Publish the region only once its domain routes to the stage and
		// its replica of the table exists (a new health check counts as
		// healthy until it has data, so it cannot hold traffic back).
	}, append(onDNS, pulumi.DependsOn(liveBefore(mapping, r)))...)
	if err != nil {
		return fmt.Errorf("components: %s latency record: %w", region, err)
	}
	re.Record = rec

	if err := ctx.RegisterResourceOutputs(re, pulumi.Map{
		"regionalDomainName": dn.RegionalDomainName,
		"healthCheckId":      hc.ID(),
	}); err != nil {
		return fmt.Errorf("components: register %s edge outputs: %w", region, err)
	}
	return nil
}

// liveBefore returns what a region's latency record waits for: its base
// path mapping and, outside the home region, its table replica.
func liveBefore(mapping *apigateway.BasePathMapping, r *RegionalHush) []pulumi.Resource {
	deps := []pulumi.Resource{mapping}
	if r.Replica != nil {
		deps = append(deps, r.Replica)
	}
	return deps
}

// validationCNAME returns the name and value of the CNAME that ACM asks for
// to validate domain on cert.
func validationCNAME(cert *acm.Certificate, domain string) (name, value pulumi.StringOutput) {
	find := func(opts []acm.CertificateDomainValidationOption) (acm.CertificateDomainValidationOption, error) {
		for _, o := range opts {
			if o.DomainName != nil && *o.DomainName == domain && o.ResourceRecordName != nil && o.ResourceRecordValue != nil {
				return o, nil
			}
		}
		return acm.CertificateDomainValidationOption{}, fmt.Errorf("components: certificate has no DNS validation record for %s", domain)
	}
	name = cert.DomainValidationOptions.ApplyT(func(opts []acm.CertificateDomainValidationOption) (string, error) {
		o, err := find(opts)
		if err != nil {
			return "", err
		}
		return *o.ResourceRecordName, nil
	}).(pulumi.StringOutput)
	value = cert.DomainValidationOptions.ApplyT(func(opts []acm.CertificateDomainValidationOption) (string, error) {
		o, err := find(opts)
		if err != nil {
			return "", err
		}
		return *o.ResourceRecordValue, nil
	}).(pulumi.StringOutput)
	return name, value
}

// sameDNSName compares DNS names the way DNS does: without case and
// without the root's trailing dot.
func sameDNSName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}
