package components

import (
	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/iampolicy"
)

// The policy documents themselves are built by package iampolicy, which has
// no Pulumi in it, so that the local cloud enforces exactly what is deployed
// here. These names keep the Pulumi side short.

// TableActions returns the DynamoDB actions a function with access a may
// call; none for AccessNone.
func TableActions(a api.Access) []string { return iampolicy.TableActions(a) }

// assumeRolePolicy lets one AWS service assume a role.
func assumeRolePolicy(service string) string { return iampolicy.AssumeRolePolicy(service) }

// tableARNs are the ARNs of one region's replica of the table and its index.
type tableARNs = iampolicy.TableARNs

// functionPolicy returns the policy of a function with the given access as
// JSON (see iampolicy.FunctionPolicy).
func functionPolicy(access api.Access, logGroupArn string, local tableARNs, stack []tableARNs) (string, error) {
	return iampolicy.FunctionPolicy(access, logGroupArn, local, stack).JSON()
}
