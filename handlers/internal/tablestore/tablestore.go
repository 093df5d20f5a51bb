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
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/api"
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
// the table named by TABLE_NAME, and the write region. The write function's
// store talks to the write region's replica, whichever region it runs in,
// with the tighter bounds of dynamo.ConfigureWriteClient; the read
// function's store reads this region's replica, and outside the write
// region it also gets a probe of the write region for /v1/health. The
// environment is read once, at init; credentials come from the Lambda
// runtime through the default AWS configuration.
func Open(ctx context.Context, fn api.Function) (api.Deps, error) {
	table := os.Getenv(EnvTable)
	if table == "" {
		return api.Deps{}, fmt.Errorf("environment variable %s is not set: it must name the DynamoDB table", EnvTable)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return api.Deps{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	writeRegion := os.Getenv(EnvWriteRegion)
	if writeRegion == "" {
		return api.Deps{}, fmt.Errorf("environment variable %s is not set: it must name the write region", EnvWriteRegion)
	}
	deps := api.Deps{Region: cfg.Region, WriteRegion: writeRegion}
	inWriteRegion := func(o *dynamodb.Options) { o.Region = writeRegion }
	switch {
	case fn == api.FunctionWrite:
		deps.Store = dynamo.NewStore(dynamodb.NewFromConfig(cfg, dynamo.ConfigureWriteClient, inWriteRegion), table)
	default:
		deps.Store = dynamo.NewStore(dynamo.NewClient(cfg), table)
		if writeRegion != cfg.Region {
			deps.WriteProbe = dynamo.NewStore(dynamodb.NewFromConfig(cfg, dynamo.ConfigureWriteClient, inWriteRegion), table)
		}
	}
	return deps, nil
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
