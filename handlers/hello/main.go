// Command hello is the Lambda function serving the routes of
// api.FunctionHello. It needs no table, so it imports no AWS SDK and stays
// small. It only wires dependencies and starts the runtime.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hush-scores/hush/api"
)

func main() {
	logger, err := api.NewLogger(os.Stderr, os.Getenv("LOG_LEVEL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello: LOG_LEVEL:", err)
		os.Exit(1)
	}
	lambda.Start(api.NewLambdaHandler(api.FunctionHello, api.Deps{
		Region: os.Getenv("AWS_REGION"),
		Logger: logger,
		Now:    time.Now,
	}))
}
