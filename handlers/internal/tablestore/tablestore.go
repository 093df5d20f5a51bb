// Package tablestore wires the Lambda functions that use the table: it opens
// the DynamoDB store from the environment the Pulumi program gives them and
// starts the runtime. The hello function does not use it, so that its binary
// carries no AWS SDK.
package tablestore

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/wiring"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/writeregion"
)

// Environment variables the Pulumi program sets on the functions.
const (
	// EnvTable holds the table name.
	EnvTable = "TABLE_NAME"
	// EnvRegions lists every region of the stack, comma-separated. It
	// names no write region: that is data in the table (package
	// writeregion), read from the function's own replica, so a move at run
	// time needs no deploy.
	EnvRegions = "HUSH_REGIONS"
)

// Open returns the dependencies of fn from the environment: the stores of
// the table named by TABLE_NAME in the regions HUSH_REGIONS lists, as
// wiring.Decide plans them. The write function gets a client of every
// region's replica with the tighter bounds of dynamo.ConfigureWriteClient,
// for its stores and the fence's controls; the read function reads this
// region's replica and gets a probe of every other region's replica for
// /v1/health. The environment is read once, at init; credentials come from
// the Lambda runtime (lambdaConfig).
func Open(ctx context.Context, fn api.Function) (api.Deps, error) {
	table := os.Getenv(EnvTable)
	if table == "" {
		return api.Deps{}, fmt.Errorf("environment variable %s is not set: it must name the DynamoDB table", EnvTable)
	}
	cfg, err := lambdaConfig(ctx)
	if err != nil {
		return api.Deps{}, err
	}
	regions, err := Regions(os.Getenv(EnvRegions), cfg.Region)
	if err != nil {
		return api.Deps{}, err
	}
	return wiring.Deps(wiring.Config{Function: fn, Region: cfg.Region, Regions: regions}, &opener{cfg: cfg, table: table})
}

// Regions parses HUSH_REGIONS: a comma-separated list of regions, which
// must include the function's own region.
func Regions(v, region string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("environment variable %s is not set: it must list every region of the stack, comma-separated", EnvRegions)
	}
	var regions []string
	for _, r := range strings.Split(v, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			return nil, fmt.Errorf("environment variable %s = %q has an empty region", EnvRegions, v)
		}
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	if !slices.Contains(regions, region) {
		return nil, fmt.Errorf("environment variable %s = %q does not list this function's region %s", EnvRegions, v, region)
	}
	return regions, nil
}

// opener opens stores and controls with one client per region and kind.
type opener struct {
	cfg     aws.Config
	table   string
	clients map[string]*dynamodb.Client
}

func (o *opener) client(kind wiring.Kind, region string) *dynamodb.Client {
	key := kind.String() + ">" + region
	if c, ok := o.clients[key]; ok {
		return c
	}
	in := func(opts *dynamodb.Options) { opts.Region = region }
	var c *dynamodb.Client
	switch kind {
	case wiring.Write, wiring.Probe:
		c = dynamodb.NewFromConfig(o.cfg, dynamo.ConfigureWriteClient, in)
	default:
		c = dynamo.NewClient(o.cfg, in)
	}
	if o.clients == nil {
		o.clients = map[string]*dynamodb.Client{}
	}
	o.clients[key] = c
	return c
}

func (o *opener) Store(kind wiring.Kind, region string) (wiring.Store, error) {
	return dynamo.NewStore(o.client(kind, region), o.table), nil
}

func (o *opener) Control(kind wiring.Kind, region string) (writeregion.Control, error) {
	return dynamo.NewControl(o.client(kind, region), o.table, region), nil
}

// Start wires a function that uses the table from the Lambda environment
// (LOG_LEVEL, TABLE_NAME, HUSH_REGIONS, AWS_REGION) and starts the Lambda
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
