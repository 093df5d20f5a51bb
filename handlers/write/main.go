// Command write is the Lambda function serving the routes of api.FunctionWrite.
// It only wires dependencies and starts the runtime.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/handlers/internal/tablestore"
)

func main() {
	logger, err := api.NewLogger(os.Stderr, os.Getenv("LOG_LEVEL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "write: LOG_LEVEL:", err)
		os.Exit(1)
	}
	store, err := tablestore.Open(context.Background())
	if err != nil {
		logger.Error("write: init failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(api.NewLambdaHandler(api.FunctionWrite, api.Deps{
		Store:  store,
		Region: os.Getenv("AWS_REGION"),
		Logger: logger,
		Now:    time.Now,
	}))
}
