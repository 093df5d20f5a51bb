package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/userpool/poolcheck"
)

type fake struct {
	pool    types.UserPoolType
	updated bool
}

func (f *fake) DescribeUserPool(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	p := f.pool
	return &cip.DescribeUserPoolOutput{UserPool: &p}, nil
}

func (f *fake) UpdateUserPool(_ context.Context, in *cip.UpdateUserPoolInput, _ ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error) {
	f.updated = true
	f.pool.KeyConfiguration, f.pool.IssuerConfiguration = in.KeyConfiguration, in.IssuerConfiguration
	return &cip.UpdateUserPoolOutput{}, nil
}

func (f *fake) ListUserPoolReplicas(context.Context, *cip.ListUserPoolReplicasInput, ...func(*cip.Options)) (*cip.ListUserPoolReplicasOutput, error) {
	return &cip.ListUserPoolReplicasOutput{UserPoolReplicas: []types.UserPoolReplicaType{
		{RegionName: aws.String("eu-west-1"), Role: types.ReplicaRoleTypeSecondary, Status: types.ReplicaStatusTypeActive},
	}}, nil
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	outputs := filepath.Join(dir, "prod.json")
	if err := os.WriteFile(outputs, []byte(`{"homeRegion":"eu-central-1","userPoolId":"eu-central-1_p","identityReplicaRegion":"eu-west-1",
		"identityKeyArn":"arn:aws:kms:eu-central-1:123456789012:key/mrk-1","identityIssuer":"original","apiUrls":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	noReplica := filepath.Join(dir, "dev.json")
	if err := os.WriteFile(noReplica, []byte(`{"homeRegion":"eu-central-1","userPoolId":"eu-central-1_p"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fake{pool: types.UserPoolType{Id: aws.String("eu-central-1_p"), UserPoolTier: types.UserPoolTierTypeEssentials}}
	var region string
	client := func(_ context.Context, r string) (poolcheck.API, error) { region = r; return f, nil }

	var out bytes.Buffer
	err := run(context.Background(), []string{"-outputs", outputs}, &out, &out, client)
	if err == nil || !strings.Contains(out.String(), "NOT OK  pool is encrypted with AWS owned key") {
		t.Errorf("check before the step: %v\n%s", err, out.String())
	}
	if region != "eu-central-1" {
		t.Errorf("called Cognito in %q, want the home region", region)
	}
	out.Reset()
	if err := run(context.Background(), []string{"-outputs", outputs, "-apply"}, &out, &out, client); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
	if !f.updated || !strings.Contains(out.String(), "OK  pool eu-central-1_p") {
		t.Errorf("apply did not update and pass:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"-outputs", noReplica}, &out, &out, client); err == nil || !strings.Contains(err.Error(), "no user pool replica") {
		t.Errorf("a stack without a replica: %v", err)
	}
	if err := run(context.Background(), nil, &out, &out, client); err == nil {
		t.Error("no -outputs: no error")
	}
}
