package awscall

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestDynamoDB(t *testing.T) {
	const r = "eu-central-1"
	tbl := aws.String("hush-prod")
	a := func(action, table, index string) Auth {
		return Auth{Action: "dynamodb:" + action, Region: r, Table: table, Index: index}
	}
	for _, tt := range []struct {
		name   string
		op     string
		params any
		want   []Auth
	}{
		{"get", "GetItem", &dynamodb.GetItemInput{TableName: tbl}, []Auth{a("GetItem", "hush-prod", "")}},
		{"query of the table", "Query", &dynamodb.QueryInput{TableName: tbl}, []Auth{a("Query", "hush-prod", "")}},
		{"query of an index", "Query", &dynamodb.QueryInput{TableName: tbl, IndexName: aws.String("GSI1")}, []Auth{a("Query", "hush-prod", "GSI1")}},
		{"transaction: each item by its own action", "TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: tbl}},
			{Update: &types.Update{TableName: tbl}},
			{Delete: &types.Delete{TableName: tbl}},
			{ConditionCheck: &types.ConditionCheck{TableName: tbl}},
		}}, []Auth{a("PutItem", "hush-prod", ""), a("UpdateItem", "hush-prod", ""), a("DeleteItem", "hush-prod", ""), a("ConditionCheckItem", "hush-prod", "")}},
		{"transactional get", "TransactGetItems", &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{{Get: &types.Get{TableName: tbl}}}}, []Auth{a("GetItem", "hush-prod", "")}},
		{"batch write per table", "BatchWriteItem", &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"b": nil, "a": nil}}, []Auth{a("BatchWriteItem", "a", ""), a("BatchWriteItem", "b", "")}},
		{"control call on a table", "DescribeTable", &dynamodb.DescribeTableInput{TableName: tbl}, []Auth{a("DescribeTable", "hush-prod", "")}},
		{"control call on no table", "ListTables", &dynamodb.ListTablesInput{}, []Auth{a("ListTables", "", "")}},
		{"tagging names the ARN", "ListTagsOfResource", &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String("arn:aws:dynamodb:us-east-1:1:table/x")}, []Auth{a("ListTagsOfResource", "arn:aws:dynamodb:us-east-1:1:table/x", "")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := DynamoDB(tt.op, r, tt.params); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DynamoDB(%s) =\n%v\nwant\n%v", tt.op, got, tt.want)
			}
		})
	}
}

func TestResource(t *testing.T) {
	for _, tt := range []struct {
		a    Auth
		want string
	}{
		{Auth{Region: "us-east-1", Table: "t"}, "arn:aws:dynamodb:us-east-1:42:table/t"},
		{Auth{Region: "us-east-1", Table: "t", Index: "GSI1"}, "arn:aws:dynamodb:us-east-1:42:table/t/index/GSI1"},
		{Auth{Region: "us-east-1"}, "*"},
		{Auth{Region: "us-east-1", Table: "arn:aws:dynamodb:eu-west-1:7:table/x"}, "arn:aws:dynamodb:eu-west-1:7:table/x"},
	} {
		if got := tt.a.Resource("42"); got != tt.want {
			t.Errorf("%+v.Resource = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestPrefix(t *testing.T) {
	for id, want := range map[string]string{
		"DynamoDB": "dynamodb", "CloudWatch Logs": "logs", "Cognito Identity Provider": "cognito-idp",
		"SSM": "ssm", "Secrets Manager": "secretsmanager", "STS": "sts",
	} {
		if got := Prefix(id); got != want {
			t.Errorf("Prefix(%q) = %q, want %q", id, got, want)
		}
	}
}
