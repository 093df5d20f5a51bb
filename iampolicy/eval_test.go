package iampolicy

import (
	"strings"
	"testing"

	"github.com/hush-scores/hush/api"
)

const (
	table = "arn:aws:dynamodb:eu-central-1:123456789012:table/hush-prod"
	index = table + "/index/GSI1"
	other = "arn:aws:dynamodb:us-east-1:123456789012:table/hush-prod"
)

func TestEvaluate(t *testing.T) {
	allow := func(actions []string, resources ...string) Statement {
		return Statement{Effect: Allow, Action: actions, Resource: resources}
	}
	deny := func(actions []string, resources ...string) Statement {
		return Statement{Effect: Deny, Action: actions, Resource: resources}
	}
	for _, tt := range []struct {
		name     string
		stmts    []Statement
		action   string
		resource string
		want     Decision
	}{
		{"no statement", nil, "dynamodb:GetItem", table, ImplicitDeny},
		{"exact allow", []Statement{allow([]string{"dynamodb:GetItem"}, table)}, "dynamodb:GetItem", table, Allowed},
		{"other action", []Statement{allow([]string{"dynamodb:GetItem"}, table)}, "dynamodb:UpdateItem", table, ImplicitDeny},
		{"other region's table", []Statement{allow([]string{"dynamodb:GetItem"}, table)}, "dynamodb:GetItem", other, ImplicitDeny},
		{"table grant does not cover its index", []Statement{allow([]string{"dynamodb:Query"}, table)}, "dynamodb:Query", index, ImplicitDeny},
		{"index grant", []Statement{allow([]string{"dynamodb:Query"}, table, index)}, "dynamodb:Query", index, Allowed},
		{"action is case-insensitive", []Statement{allow([]string{"DynamoDB:getitem"}, table)}, "dynamodb:GetItem", table, Allowed},
		{"resource is case-sensitive", []Statement{allow([]string{"dynamodb:GetItem"}, strings.ToUpper(table))}, "dynamodb:GetItem", table, ImplicitDeny},
		{"action wildcard", []Statement{allow([]string{"dynamodb:*Item"}, table)}, "dynamodb:UpdateItem", table, Allowed},
		{"action wildcard misses", []Statement{allow([]string{"dynamodb:Get*"}, table)}, "dynamodb:Query", table, ImplicitDeny},
		{"single-character wildcard", []Statement{allow([]string{"dynamodb:?etItem"}, table)}, "dynamodb:GetItem", table, Allowed},
		{"resource wildcard across the index", []Statement{allow([]string{"dynamodb:Query"}, table+"*")}, "dynamodb:Query", index, Allowed},
		{"region wildcard", []Statement{allow([]string{"dynamodb:GetItem"}, "arn:aws:dynamodb:*:123456789012:table/hush-prod")}, "dynamodb:GetItem", other, Allowed},
		{"everything", []Statement{allow([]string{"*"}, "*")}, "logs:PutLogEvents", "arn:aws:logs:x", Allowed},
		{"explicit deny wins", []Statement{allow([]string{"dynamodb:*"}, "*"), deny([]string{"dynamodb:DeleteItem"}, table)}, "dynamodb:DeleteItem", table, ExplicitDeny},
		{"deny first, allow after", []Statement{deny([]string{"dynamodb:*"}, table), allow([]string{"dynamodb:GetItem"}, table)}, "dynamodb:GetItem", table, ExplicitDeny},
		{"deny elsewhere does not matter", []Statement{allow([]string{"dynamodb:GetItem"}, table), deny([]string{"dynamodb:GetItem"}, other)}, "dynamodb:GetItem", table, Allowed},
		{"allow with a condition is not trusted", []Statement{{Effect: Allow, Action: []string{"dynamodb:GetItem"}, Resource: []string{table}, Condition: map[string]any{"Bool": map[string]any{"aws:SecureTransport": "true"}}}}, "dynamodb:GetItem", table, ImplicitDeny},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate(tt.action, tt.resource, Document{Version: Version, Statement: tt.stmts}); got != tt.want {
				t.Errorf("Evaluate(%s, %s) = %v, want %v", tt.action, tt.resource, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"*", "", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*:log-stream:*", "arn:aws:logs:r:1:log-group:/aws/lambda/f:log-stream:2026/x", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXcYb", false},
	} {
		if got := Match(tt.p, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, doc, wantErr string
		wantStatements     int
	}{
		{"strings and lists", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":["a","b"]}]}`, "", 1},
		{"one statement without a list", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":["*"],"Resource":"*"}}`, "", 1},
		{"condition refused", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`, "conditions are not modelled", 0},
		{"NotAction refused", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, "NotAction", 0},
		{"unknown effect", `{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`, "neither Allow nor Deny", 0},
		{"not JSON", `{`, "parse policy", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(d.Statement) != tt.wantStatements {
				t.Errorf("%d statements, want %d", len(d.Statement), tt.wantStatements)
			}
		})
	}
}

// TestFunctionPolicyRoundTrip checks that what components deploys (the
// JSON) evaluates as the document it came from.
func TestFunctionPolicyRoundTrip(t *testing.T) {
	local := TableARNs{Table: other, Index: other + "/index/GSI1"}
	write := TableARNs{Table: table, Index: index}
	third := TableARN("eu-west-1", "123456789012", "hush-prod")
	stack := []TableARNs{local, write, {Table: third, Index: third + "/index/GSI1"}}
	doc := FunctionPolicy(api.AccessRead, LogGroupARN("us-east-1", "123456789012", "hush-prod-read"), local, stack)
	s, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(FunctionPolicy): %v", err)
	}
	for _, tt := range []struct {
		action, resource string
		want             Decision
	}{
		{"dynamodb:Query", local.Index, Allowed},
		{"dynamodb:GetItem", local.Table, Allowed},
		{"dynamodb:GetItem", write.Table, Allowed},
		{"dynamodb:GetItem", third, Allowed},
		{"dynamodb:Query", write.Table, ImplicitDeny},
		{"dynamodb:Query", write.Index, ImplicitDeny},
		{"dynamodb:PutItem", local.Table, ImplicitDeny},
		{"logs:PutLogEvents", LogGroupARN("us-east-1", "123456789012", "hush-prod-read") + ":log-stream:abc", Allowed},
		{"logs:PutLogEvents", LogGroupARN("us-east-1", "123456789012", "hush-prod-write") + ":log-stream:abc", ImplicitDeny},
	} {
		if got := Evaluate(tt.action, tt.resource, parsed); got != tt.want {
			t.Errorf("read policy: %s on %s = %v, want %v", tt.action, tt.resource, got, tt.want)
		}
	}
}

// TestWritePolicyReachesEveryReplica checks the writer's grants: its
// actions on every region's table, since the write region moves at run
// time and the lease is renewed through every replica, and its belief's
// Query on its own replica only.
func TestWritePolicyReachesEveryReplica(t *testing.T) {
	arns := func(region string) TableARNs {
		t := TableARN(region, "123456789012", "hush-prod")
		return TableARNs{Table: t, Index: IndexARN(t, "GSI1")}
	}
	here, central, east := arns("eu-west-1"), arns("eu-central-1"), arns("us-east-1")
	doc := FunctionPolicy(api.AccessWrite, LogGroupARN("eu-west-1", "123456789012", "hush-prod-write"), here, []TableARNs{central, here, east})
	s, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(FunctionPolicy): %v", err)
	}
	tests := []struct {
		action, resource string
		want             Decision
	}{
		{"dynamodb:UpdateItem", central.Table, Allowed},
		{"dynamodb:PutItem", east.Table, Allowed},
		{"dynamodb:DeleteItem", here.Table, Allowed},
		{"dynamodb:GetItem", east.Table, Allowed},
		{"dynamodb:Query", here.Table, Allowed},
		{"dynamodb:Query", central.Table, ImplicitDeny},
		{"dynamodb:Query", here.Index, ImplicitDeny},
		{"dynamodb:Scan", here.Table, ImplicitDeny},
		{"dynamodb:PutItem", TableARN("ap-south-1", "123456789012", "hush-prod"), ImplicitDeny},
	}
	for _, tt := range tests {
		if got := Evaluate(tt.action, tt.resource, parsed); got != tt.want {
			t.Errorf("write policy: %s on %s = %v, want %v", tt.action, tt.resource, got, tt.want)
		}
	}
}
