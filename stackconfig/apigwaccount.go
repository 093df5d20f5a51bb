package stackconfig

import (
	"fmt"
	"slices"
	"strings"
)

// KeyAPIGatewayAccount lists the regions where this stack owns API Gateway's
// account-level CloudWatch Logs role (optional; default none).
const KeyAPIGatewayAccount = "apiGatewayAccount"

// apiGatewayAccount reads hush:apiGatewayAccount: a subset of the stack's
// regions, in the stack's order. API Gateway keeps one CloudWatch role per
// account and region, shared by every API there, so exactly one stack per
// account and region must own it; two owners overwrite each other.
func (p *parser) apiGatewayAccount(stackRegions []string) []string {
	key := full(KeyAPIGatewayAccount)
	raw, ok := p.values[key]
	if !ok {
		return nil
	}
	var list []string
	if err := strictJSON(raw, &list); err != nil {
		p.fail(key, fmt.Sprintf("must be a list of the stack's regions, e.g. [eu-central-1]: %v", err))
		return nil
	}
	if stackRegions == nil {
		return nil // the regions are already reported
	}
	seen := map[string]bool{}
	for _, r := range list {
		if !slices.Contains(stackRegions, r) {
			p.fail(key, fmt.Sprintf("region %q is not one of the stack's regions %s", r, strings.Join(stackRegions, ", ")))
			return nil
		}
		if seen[r] {
			p.fail(key, fmt.Sprintf("region %q is listed twice", r))
			return nil
		}
		seen[r] = true
	}
	var out []string
	for _, r := range stackRegions {
		if seen[r] {
			out = append(out, r)
		}
	}
	return out
}
