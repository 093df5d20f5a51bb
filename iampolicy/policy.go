// Package iampolicy builds the IAM policy of each Lambda function of Hush
// and evaluates requests against a policy as IAM does. The Pulumi program
// (package components) deploys the documents FunctionPolicy returns, and the
// local cloud enforces the very same documents on each function's AWS
// clients, so a grant missing in the cloud is missing locally too. The
// package knows nothing of Pulumi or of the AWS SDK.
package iampolicy

import (
	"encoding/json"
	"fmt"

	"github.com/hush-scores/hush/api"
)

// Version is the IAM policy language version of every document here.
const Version = "2012-10-17"

// The effects of a statement.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// The DynamoDB actions each kind of access needs, matching what the store in
// package dynamo calls (the mock test of package components derives them
// from the store's requests and compares). Transactions need no action of
// their own: AWS authorises each item of a TransactWriteItems by its
// PutItem, UpdateItem, DeleteItem or ConditionCheckItem permission. The
// store's transactions hold Puts and Deletes of matches and links
// (conditions ride on them) and an Update of every standing line they
// change, so the writer needs UpdateItem: without it every create, replace
// and delete is refused with AccessDeniedException. The write function
// reads a match back with GetItem; the health check is a GetItem too.
//
// The write region is data in the table (package writeregion): both
// functions read their belief from their own replica with a Query of the
// write region's views, which readActions already holds and viewActions
// gives the writer; the writer renews its lease with an UpdateItem of
// every replica's view, which writeActions holds.
var (
	readActions  = []string{"dynamodb:GetItem", "dynamodb:Query"}
	writeActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
	// viewActions is what the writer may do in its own replica besides
	// writing: read the write region's views, its belief.
	viewActions = []string{"dynamodb:Query"}
	// indexActions is what a reader may do to the index.
	indexActions = []string{"dynamodb:Query"}
	// probeActions is what the read function may do to another region's
	// replica: one GetItem of a fixed key, to report the write path.
	probeActions = []string{"dynamodb:GetItem"}
	logActions   = []string{"logs:CreateLogStream", "logs:PutLogEvents"}
)

// TableActions returns the DynamoDB actions a function with access a may
// call on its table; none for AccessNone.
func TableActions(a api.Access) []string {
	switch a {
	case api.AccessRead:
		return append([]string(nil), readActions...)
	case api.AccessWrite:
		return append([]string(nil), writeActions...)
	}
	return nil
}

// Document is an IAM policy, written out as a struct rather than built from
// strings so that no statement can end up with a wildcard by accident.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document. Condition is kept so that a
// document that uses one is refused by the evaluator rather than evaluated
// as if it had none.
type Statement struct {
	Sid       string            `json:"Sid,omitempty"`
	Effect    string            `json:"Effect"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
	Principal map[string]string `json:"Principal,omitempty"`
	Condition map[string]any    `json:"Condition,omitempty"`
}

// JSON returns the document as IAM takes it.
func (d Document) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("iampolicy: encode policy: %w", err)
	}
	return string(b), nil
}

// AssumeRolePolicy returns the trust policy that lets one AWS service (for
// example lambda.amazonaws.com) assume a role.
func AssumeRolePolicy(service string) string {
	doc := Document{
		Version: Version,
		Statement: []Statement{{
			Effect:    Allow,
			Action:    []string{"sts:AssumeRole"},
			Principal: map[string]string{"Service": service},
		}},
	}
	s, err := doc.JSON()
	if err != nil {
		panic(err) // a constant document always encodes
	}
	return s
}

// TableARNs are the ARNs of one region's replica of the table and its index.
type TableARNs struct {
	Table, Index string
}

// FunctionPolicy is the whole of what one function may do: write its own
// log streams and call its table actions. Log streams are named by Lambda
// at run time, so the log stream part is the one wildcard, inside one named
// log group. local is the replica of the function's own region, stack
// every region's replica (local's included).
//
// Which replicas the table actions name depends on the access. A reader
// reads its own replica (table and index, the write region's views
// included) and may GetItem on every other region's table: the probe
// behind /v1/health's write_path, of whichever region its replica says is
// the write region. A writer may write every region's replica and Query
// its own. That grant is wider than when the write region was
// configuration (then the writer could reach the write region's replica
// only), for two reasons: the write region moves at run time, by a data
// write and without a deploy (package writeregion), so the function that
// must write there next cannot wait for a new policy, least of all while a
// region is lost and its control plane unreachable; and the writer renews
// its lease through every replica's view, an UpdateItem in each. What
// keeps a write from landing in a replica that is not the write region is
// now the fence (a lease granted by a majority of the views), not IAM.
func FunctionPolicy(access api.Access, logGroupArn string, local TableARNs, stack []TableARNs) Document {
	doc := Document{
		Version: Version,
		Statement: []Statement{{
			Sid:      "Logs",
			Effect:   Allow,
			Action:   append([]string(nil), logActions...),
			Resource: []string{logGroupArn + ":log-stream:*"},
		}},
	}
	var others, all []string
	for _, r := range stack {
		all = append(all, r.Table)
		if r.Table != local.Table {
			others = append(others, r.Table)
		}
	}
	if len(all) == 0 {
		all = []string{local.Table}
	}
	switch access {
	case api.AccessRead:
		// Only Query reaches the index: GetItem names the table.
		doc.Statement = append(doc.Statement, Statement{
			Sid: "Table", Effect: Allow, Action: TableActions(access), Resource: []string{local.Table},
		}, Statement{
			Sid: "Index", Effect: Allow, Action: append([]string(nil), indexActions...), Resource: []string{local.Index},
		})
		if len(others) > 0 {
			doc.Statement = append(doc.Statement, Statement{
				Sid: "WriteRegionProbe", Effect: Allow, Action: append([]string(nil), probeActions...), Resource: others,
			})
		}
	case api.AccessWrite:
		doc.Statement = append(doc.Statement, Statement{
			Sid: "Table", Effect: Allow, Action: TableActions(access), Resource: all,
		}, Statement{
			Sid: "WriteRegionViews", Effect: Allow, Action: append([]string(nil), viewActions...), Resource: []string{local.Table},
		})
	}
	return doc
}

// TableARN returns the ARN of the replica of table in region of account.
func TableARN(region, account, table string) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, account, table)
}

// IndexARN returns the ARN of an index of a table, given the table's ARN.
func IndexARN(tableARN, index string) string {
	return tableARN + "/index/" + index
}

// LogGroupARN returns the ARN of a Lambda function's log group, as
// CloudWatch Logs names it (without the trailing ":*").
func LogGroupARN(region, account, functionName string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/%s", region, account, functionName)
}
