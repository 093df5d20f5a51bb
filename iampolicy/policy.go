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
var (
	readActions  = []string{"dynamodb:GetItem", "dynamodb:Query"}
	writeActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
	// indexActions is what a reader may do to the index.
	indexActions = []string{"dynamodb:Query"}
	// probeActions is what the read function may do to the write region's
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
// log group.
//
// Which replica the table actions name depends on the access: a reader
// reads this region's replica (table and index) and may GetItem on the
// write region's table, the probe behind /v1/health's write_path; a writer
// writes only the write region's replica, so a write can never land in
// another region by mistake. When this region is the write region the two
// are the same and the probe needs no grant of its own.
func FunctionPolicy(access api.Access, logGroupArn string, local, write TableARNs) Document {
	doc := Document{
		Version: Version,
		Statement: []Statement{{
			Sid:      "Logs",
			Effect:   Allow,
			Action:   append([]string(nil), logActions...),
			Resource: []string{logGroupArn + ":log-stream:*"},
		}},
	}
	switch access {
	case api.AccessRead:
		// Only Query reaches the index: GetItem names the table.
		doc.Statement = append(doc.Statement, Statement{
			Sid: "Table", Effect: Allow, Action: TableActions(access), Resource: []string{local.Table},
		}, Statement{
			Sid: "Index", Effect: Allow, Action: append([]string(nil), indexActions...), Resource: []string{local.Index},
		})
		if write.Table != local.Table {
			doc.Statement = append(doc.Statement, Statement{
				Sid: "WriteRegionProbe", Effect: Allow, Action: append([]string(nil), probeActions...), Resource: []string{write.Table},
			})
		}
	case api.AccessWrite:
		doc.Statement = append(doc.Statement, Statement{
			Sid: "Table", Effect: Allow, Action: TableActions(access), Resource: []string{write.Table},
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
