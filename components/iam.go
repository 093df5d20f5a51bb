package components

import (
	"encoding/json"
	"fmt"

	"github.com/hush-scores/hush/api"
)

// The DynamoDB actions each kind of access needs, matching what the store in
// package dynamo calls. Transactions need no action of their own: AWS
// authorises each item of a TransactWriteItems by its PutItem, UpdateItem,
// DeleteItem or ConditionCheckItem permission. The store's transactions hold
// Puts and Deletes of matches and links (conditions ride on them) and an
// Update of every standing line they change, so the writer needs UpdateItem:
// without it every create, replace and delete is refused with
// AccessDeniedException. The write function reads a match back with GetItem;
// the health check is a GetItem too.
var (
	readActions  = []string{"dynamodb:GetItem", "dynamodb:Query"}
	writeActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
	// probeActions is what the read function may do to the write region's
	// replica: one GetItem of a fixed key, to report the write path.
	probeActions = []string{"dynamodb:GetItem"}
)

// TableActions returns the DynamoDB actions a function with access a may
// call; none for AccessNone.
func TableActions(a api.Access) []string {
	switch a {
	case api.AccessRead:
		return readActions
	case api.AccessWrite:
		return writeActions
	}
	return nil
}

// policyDocument is an IAM policy, written out rather than built from
// strings so that no statement can end up with a wildcard by accident.
type policyDocument struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string            `json:"Sid,omitempty"`
	Effect    string            `json:"Effect"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
	Principal map[string]string `json:"Principal,omitempty"`
	Condition map[string]any    `json:"Condition,omitempty"`
}

func (d policyDocument) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("components: encode IAM policy: %w", err)
	}
	return string(b), nil
}

// assumeRolePolicy lets one AWS service assume a role.
func assumeRolePolicy(service string) string {
	doc := policyDocument{
		Version: "2012-10-17",
		Statement: []statement{{
			Effect:    "Allow",
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

// tableARNs are the ARNs of one region's replica of the table and its index.
type tableARNs struct {
	Table, Index string
}

// functionPolicy is the whole of what one function may do: write its own log
// streams and call its table actions. Log streams are named by Lambda at run
// time, so the log stream part is the one wildcard, inside one named log
// group.
//
// Which replica the table actions name depends on the access: a reader
// reads this region's replica (table and index) and may GetItem on the
// write region's table, the probe behind /v1/health's write_path; a writer
// writes only the write region's replica, so a write can never land in
// another region by mistake. When this region is the write region the two
// are the same and the probe needs no grant of its own.
func functionPolicy(access api.Access, logGroupArn string, local, write tableARNs) (string, error) {
	doc := policyDocument{
		Version: "2012-10-17",
		Statement: []statement{{
			Sid:      "Logs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{logGroupArn + ":log-stream:*"},
		}},
	}
	switch access {
	case api.AccessRead:
		// Only Query reaches the index.
		doc.Statement = append(doc.Statement, statement{
			Sid: "Table", Effect: "Allow", Action: readActions, Resource: []string{local.Table, local.Index},
		})
		if write.Table != local.Table {
			doc.Statement = append(doc.Statement, statement{
				Sid: "WriteRegionProbe", Effect: "Allow", Action: probeActions, Resource: []string{write.Table},
			})
		}
	case api.AccessWrite:
		doc.Statement = append(doc.Statement, statement{
			Sid: "Table", Effect: "Allow", Action: writeActions, Resource: []string{write.Table},
		})
	}
	return doc.JSON()
}
