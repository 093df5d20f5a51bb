// Package dynamoclient builds DynamoDB clients of a given endpoint, such as
// DynamoDB Local, for the tools and tests that talk to one. It holds no
// emulation: a production tool may point it at any endpoint.
package dynamoclient

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// ForEndpoint returns a client of the DynamoDB at endpoint (DynamoDB
// Local) that signs for region with static dummy credentials. It is built
// without reading the environment or shared config files, so a developer's
// AWS profile can never point it at a real account. optFns run after the
// defaults, for example dynamo.ConfigureEmulator. DynamoDB Local keeps a database
// per signing region when it runs without -sharedDb, so region picks the
// replica.
func ForEndpoint(endpoint, region string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	if endpoint == "" {
		return nil, errors.New("dynamoclient: empty endpoint")
	}
	if region == "" {
		return nil, errors.New("dynamoclient: empty region")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	fns := append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	}}, optFns...)
	return dynamodb.NewFromConfig(cfg, fns...), nil
}

// Secret signs with the access key "local" and secret: the local stack's
// emulator guards refuse requests not signed with its data dir's secret.
func Secret(secret string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider("local", secret, "")
	}
}
