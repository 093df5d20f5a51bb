package components_test

import (
	"fmt"
	"testing"

	"github.com/hush-scores/hush/components"
)

// TestPerClientLimits: every region's stage sits behind a web ACL whose
// rate-based rule blocks one IP address above its rate, so one client
// cannot spend the stage's shared method buckets for everyone.
func TestPerClientLimits(t *testing.T) {
	for stack, want := range stacks {
		t.Run(stack, func(t *testing.T) {
			resources, _, err := run(t, stack, projectConfig(t, stack))
			if err != nil {
				t.Fatal(err)
			}
			s := newSnapshot(resources)
			for _, region := range want.regions {
				acls := s.childrenOf("aws:wafv2/webAcl:WebAcl", region)
				if len(acls) != 1 {
					t.Fatalf("%s: %d web ACLs, want 1", region, len(acls))
				}
				acl := acls[0]
				if got := stringInput(acl.Inputs["scope"]); got != "REGIONAL" {
					t.Errorf("%s: web ACL scope %q, want REGIONAL (API Gateway stages)", region, got)
				}
				rules := arrayOf(acl.Inputs["rules"])
				if len(rules) != 1 {
					t.Fatalf("%s: %d rules, want the per-IP rate rule", region, len(rules))
				}
				rule := rules[0].ObjectValue()
				rate := rule["statement"].ObjectValue()["rateBasedStatement"].ObjectValue()
				if got := stringInput(rate["aggregateKeyType"]); got != "IP" {
					t.Errorf("%s: rate rule keyed by %q, want IP", region, got)
				}
				if got := rate["limit"].NumberValue(); got != components.RateLimitPerIP {
					t.Errorf("%s: rate limit %v, want %d", region, got, components.RateLimitPerIP)
				}
				if got := rate["evaluationWindowSec"].NumberValue(); got != components.RateLimitWindowSeconds {
					t.Errorf("%s: window %v s, want %d", region, got, components.RateLimitWindowSeconds)
				}
				if !rule["action"].ObjectValue()["block"].IsObject() {
					t.Errorf("%s: rule action %v, want block", region, rule["action"])
				}
				assoc := s.childrenOf("aws:wafv2/webAclAssociation:WebAclAssociation", region)
				if len(assoc) != 1 {
					t.Fatalf("%s: %d web ACL associations, want 1 (the stage)", region, len(assoc))
				}
				stage := s.named("aws:apigateway/stage:Stage", region+"-stage")
				if stage == nil {
					t.Fatalf("%s: no stage", region)
				}
				wantARN := fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s-api-id/stages/%s", region, region, stack)
				if got := stringInput(assoc[0].Inputs["resourceArn"]); got != wantARN {
					t.Errorf("%s: web ACL on %q, want the stage %q", region, got, wantARN)
				}
			}
		})
	}
}
