// Command authorizer is the Lambda TOKEN authorizer of hush:authorizer
// lambda: it verifies a Cognito ID token against the keys of the issuers in
// TOKEN_ISSUERS (the user pool and its replica) for the app client
// CLIENT_ID, and answers API Gateway with an Allow for the stage and the
// token's claims. It only wires dependencies and starts the runtime.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hush-scores/hush/userpool/tokencheck"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	issuers := strings.Split(os.Getenv("TOKEN_ISSUERS"), ",")
	v, err := tokencheck.New(context.Background(), tokencheck.Options{Issuers: issuers, ClientID: os.Getenv("CLIENT_ID")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "authorizer: TOKEN_ISSUERS, CLIENT_ID:", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		resp, err := v.Authorize(ctx, req)
		if err != nil {
			logger.InfoContext(ctx, "token refused", "reason", err.Error())
			return resp, tokencheck.ErrUnauthorized
		}
		return resp, nil
	})
}
