// Package awscall tells which IAM authorisations an AWS SDK call needs:
// the action and the resource of each check IAM makes before the service
// runs the call. It serves the local cloud, which enforces each function's
// policy on its SDK clients, and dynamo.Meter, which counts what the store
// really calls so that the Pulumi mock test can compare the grants with it.
package awscall

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/iampolicy"
)

// Auth is one authorisation: an action on a resource. For DynamoDB the
// resource is a table or one of its indexes in a region; Table "" means a
// call on no table, whose resource is "*".
type Auth struct {
	Action string
	Region string
	Table  string
	Index  string
}

// Resource returns the ARN IAM checks for a in account.
func (a Auth) Resource(account string) string {
	if a.Table == "" {
		return "*"
	}
	if strings.HasPrefix(a.Table, "arn:") {
		// A table named by its ARN carries its own region and account.
		if a.Index != "" {
			return iampolicy.IndexARN(a.Table, a.Index)
		}
		return a.Table
	}
	table := iampolicy.TableARN(a.Region, account, a.Table)
	if a.Index != "" {
		return iampolicy.IndexARN(table, a.Index)
	}
	return table
}

// Of returns the authorisations of the call a middleware sees: the service
// and operation come from ctx (as the SDK sets them before the Initialize
// step runs), params is the operation's input. A service other than
// DynamoDB is checked by "<service>:<Operation>" on "*", which is what IAM
// does for calls without a resource-level permission; none of Hush's
// functions calls one today, so the local cloud still refuses it unless a
// policy grants it.
func Of(ctx context.Context, params any) []Auth {
	service := awsmiddleware.GetServiceID(ctx)
	op := awsmiddleware.GetOperationName(ctx)
	region := awsmiddleware.GetRegion(ctx)
	if service == dynamodb.ServiceID {
		return DynamoDB(op, region, params)
	}
	return []Auth{{Action: Prefix(service) + ":" + op, Region: region}}
}

// iamPrefixes maps the SDK's service IDs whose IAM prefix is not simply
// the ID in lower case without spaces.
var iamPrefixes = map[string]string{
	"CloudWatch Logs":           "logs",
	"Cognito Identity Provider": "cognito-idp",
	"EventBridge":               "events",
	"SFN":                       "states",
	"XRay":                      "xray",
}

// Prefix returns the IAM action prefix of an AWS SDK service ID: "logs"
// for "CloudWatch Logs", "dynamodb" for "DynamoDB".
func Prefix(serviceID string) string {
	if p, ok := iamPrefixes[serviceID]; ok {
		return p
	}
	return strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
}

// DynamoDB returns the authorisations of DynamoDB operation op with input
// params, called in region. Per the DynamoDB developer guide: each item of
// TransactWriteItems is authorised by its own action (Put by PutItem,
// Update by UpdateItem, Delete by DeleteItem, ConditionCheck by
// ConditionCheckItem), each Get of TransactGetItems by GetItem, a Query or
// Scan of an index on the index's ARN, a batch by its own action on each
// table it names, and every other operation by its own name on the table
// of its TableName (or "*" without one, as for ListTables).
func DynamoDB(op, region string, params any) []Auth {
	auth := func(action, table, index string) Auth {
		return Auth{Action: "dynamodb:" + action, Region: region, Table: table, Index: index}
	}
	switch in := params.(type) {
	case *dynamodb.TransactWriteItemsInput:
		var out []Auth
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, auth("PutItem", deref(it.Put.TableName), ""))
			case it.Update != nil:
				out = append(out, auth("UpdateItem", deref(it.Update.TableName), ""))
			case it.Delete != nil:
				out = append(out, auth("DeleteItem", deref(it.Delete.TableName), ""))
			case it.ConditionCheck != nil:
				out = append(out, auth("ConditionCheckItem", deref(it.ConditionCheck.TableName), ""))
			}
		}
		return out
	case *dynamodb.TransactGetItemsInput:
		var out []Auth
		for _, it := range in.TransactItems {
			if it.Get != nil {
				out = append(out, auth("GetItem", deref(it.Get.TableName), ""))
			}
		}
		return out
	case *dynamodb.QueryInput:
		return []Auth{auth(op, deref(in.TableName), deref(in.IndexName))}
	case *dynamodb.ScanInput:
		return []Auth{auth(op, deref(in.TableName), deref(in.IndexName))}
	case *dynamodb.BatchWriteItemInput:
		var out []Auth
		for _, table := range sortedKeys(in.RequestItems) {
			out = append(out, auth(op, table, ""))
		}
		return out
	case *dynamodb.BatchGetItemInput:
		var out []Auth
		for _, table := range sortedKeys(in.RequestItems) {
			out = append(out, auth(op, table, ""))
		}
		return out
	}
	return []Auth{auth(op, tableOf(params), "")}
}

// tableOf returns the TableName (or ResourceArn) field of an input, "" when
// it has none.
func tableOf(params any) string {
	v := reflect.ValueOf(params)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	for _, name := range []string{"TableName", "ResourceArn"} {
		if f := v.FieldByName(name); f.IsValid() {
			if s, ok := f.Interface().(*string); ok {
				return deref(s)
			}
		}
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sortedKeys returns a map's keys in order, so that the first denied table
// named in a message is stable.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
