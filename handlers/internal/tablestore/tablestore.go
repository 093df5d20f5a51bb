// Package tablestore opens the DynamoDB store for the Lambda functions that
// use the table, from the environment the Pulumi program gives them.
package tablestore

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

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
