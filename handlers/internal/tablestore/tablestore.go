// Package tablestore wires the Lambda functions that use the table: it opens
// the DynamoDB store from the environment the Pulumi program gives them and
// starts the runtime. The hello function does not use it, so that its binary
// carries no AWS SDK.
package tablestore

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/wiring"
	"github.com/hush-scores/hush/dynamo"
)

// Environment variables the Pulumi program sets on the functions.
const (
	// EnvTable holds the table name.
	EnvTable = "TABLE_NAME"
	// EnvWriteRegion names the region whose replica takes every write.
	EnvWriteRegion = "WRITE_REGION"
)

// Open returns the dependencies of fn from the environment: the store of
// the table named by TABLE_NAME, and the write region. wiring.Decide says
// which replica each store reaches: the write function's store talks to the
// write region's replica, whichever region it runs in, with the tighter
// bounds of dynamo.ConfigureWriteClient; the read function's store reads
// this region's replica, and outside the write region it also gets a probe
// of the write region for /v1/health. The environment is read once, at
// init; credentials come from the Lambda runtime (lambdaConfig).
func Open(ctx context.Context, fn api.Function) (api.Deps, error) {
	table := os.Getenv(EnvTable)
	if table == "" {
		return api.Deps{}, fmt.Errorf("environment variable %s is not set: it must name the DynamoDB table", EnvTable)
	}
	cfg, err := lambdaConfig(ctx)
	if err != nil {
		return api.Deps{}, err
	}
	writeRegion := os.Getenv(EnvWriteRegion)
	if writeRegion == "" {
		return api.Deps{}, fmt.Errorf("environment variable %s is not set: it must name the write region", EnvWriteRegion)
	}
	return wiring.Deps(fn, cfg.Region, writeRegion, func(r wiring.Replica) (wiring.Store, error) {
		if r == wiring.WriteRegion {
			inWriteRegion := func(o *dynamodb.Options) { o.Region = writeRegion }
			return dynamo.NewStore(dynamodb.NewFromConfig(cfg, dynamo.ConfigureWriteClient, inWriteRegion), table), nil
		}
		return dynamo.NewStore(dynamo.NewClient(cfg), table), nil
	})
}

// Start wires a function that uses the table from the Lambda environment
// (LOG_LEVEL, TABLE_NAME, WRITE_REGION, AWS_REGION) and starts the Lambda
// runtime; it does not return. A bad environment stops the function at
// init, where the log says why, rather than failing every request.
func Start(fn api.Function) {
	logger, err := api.NewLogger(os.Stderr, os.Getenv("LOG_LEVEL"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: LOG_LEVEL: %v\n", fn, err)
		os.Exit(1)
	}
	deps, err := Open(context.Background(), fn)
	if err != nil {
		logger.Error(string(fn)+": init failed", "error", err)
		os.Exit(1)
	}
	deps.Logger, deps.Now = logger, time.Now
	lambda.Start(api.NewLambdaHandler(fn, deps))
}

// Environment variables the Lambda runtime sets for every function.
const (
	envRegion       = "AWS_REGION"
	envAccessKeyID  = "AWS_ACCESS_KEY_ID"
	envSecretKey    = "AWS_SECRET_ACCESS_KEY" //nolint:gosec // the name of a variable, not a secret
	envSessionToken = "AWS_SESSION_TOKEN"     //nolint:gosec // the name of a variable, not a secret
)

// lambdaConfig builds the AWS configuration from the variables the Lambda
// runtime sets: the region and the execution role's credentials. Inside
// Lambda that is exactly what config.LoadDefaultConfig resolves to (its
// environment provider comes first and yields the same static credentials),
// but LoadDefaultConfig also links the SSO, SSO OIDC and STS clients for
// shared profiles that a function never has: about 1.9 MB of every
// bootstrap, which kept the read and write functions over the project's
// 10 MiB target. A missing variable fails init with its name rather than
// every request with a signing error.
func lambdaConfig(ctx context.Context) (aws.Config, error) {
	vars := map[string]string{}
	for _, name := range []string{envRegion, envAccessKeyID, envSecretKey} {
		v := os.Getenv(name)
		if v == "" {
			return aws.Config{}, fmt.Errorf("environment variable %s is not set: the Lambda runtime sets it for every function", name)
		}
		vars[name] = v
	}
	creds := credentials.NewStaticCredentialsProvider(vars[envAccessKeyID], vars[envSecretKey], os.Getenv(envSessionToken))
	if _, err := creds.Retrieve(ctx); err != nil {
		return aws.Config{}, fmt.Errorf("read the execution role's credentials: %w", err)
	}
	return aws.Config{Region: vars[envRegion], Credentials: aws.NewCredentialsCache(creds)}, nil
}
