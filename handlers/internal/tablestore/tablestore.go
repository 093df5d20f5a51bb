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

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/scores"
)

// EnvTable names the environment variable that holds the table name.
const EnvTable = "TABLE_NAME"

// Open returns the store of the table named by TABLE_NAME, through a
// DynamoDB client whose retries and timeouts are bounded. It reads the
// environment once, at init; the region and credentials come from the
// Lambda runtime through the default AWS configuration.
func Open(ctx context.Context) (scores.Store, error) {
	table := os.Getenv(EnvTable)
	if table == "" {
		return nil, fmt.Errorf("environment variable %s is not set: it must name the DynamoDB table", EnvTable)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return dynamo.NewStore(dynamo.NewClient(cfg), table), nil
}

// Start wires a function that uses the table from the Lambda environment
// (LOG_LEVEL, TABLE_NAME, AWS_REGION) and starts the Lambda runtime; it does
// not return. A bad environment stops the function at init, where the log
// says why, rather than failing every request.
func Start(fn api.Function) {
	logger, err := api.NewLogger(os.Stderr, os.Getenv("LOG_LEVEL"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: LOG_LEVEL: %v\n", fn, err)
		os.Exit(1)
	}
	store, err := Open(context.Background())
	if err != nil {
		logger.Error(string(fn)+": init failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(api.NewLambdaHandler(fn, api.Deps{
		Store:  store,
		Region: os.Getenv("AWS_REGION"),
		Logger: logger,
		Now:    time.Now,
	}))
}
