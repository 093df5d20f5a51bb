// Command hush-idcheck checks, and with -apply sets, what the user pool's
// replica needs of the pool that Pulumi cannot set (docs/deploying.md,
// "The user pool's replica"): the multi-Region KMS key the pool is
// encrypted with and its issuer; and it checks the feature plan and that
// the secondary replica exists and is ACTIVE. It reads the stack's outputs
// saved by `pulumi stack output --json > prod-outputs.json`:
//
//	go run ./cmd/hush-idcheck -outputs prod-outputs.json
//	go run ./cmd/hush-idcheck -outputs prod-outputs.json -apply
//
// It calls Cognito in the home region (AWS credentials from the usual
// chain; cognito-idp:DescribeUserPool, ListUserPoolReplicas and, with
// -apply, UpdateUserPool). It exits 1 when something does not hold, so the
// deploy pipeline runs it after every `pulumi up`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/userpool/poolcheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, func(ctx context.Context, region string) (poolcheck.API, error) {
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
		if err != nil {
			return nil, fmt.Errorf("AWS config: %w", err)
		}
		return cip.NewFromConfig(cfg), nil
	})
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "hush-idcheck:", err)
		os.Exit(1)
	}
}

// outputs are the stack outputs the command reads.
type outputs struct {
	HomeRegion    string `json:"homeRegion"`
	UserPoolID    string `json:"userPoolId"`
	ReplicaRegion string `json:"identityReplicaRegion"`
	KeyArn        string `json:"identityKeyArn"`
	Issuer        string `json:"identityIssuer"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, client func(context.Context, string) (poolcheck.API, error)) error {
	fs := flag.NewFlagSet("hush-idcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("outputs", "", "the stack's outputs, saved with `pulumi stack output --json` (required)")
	apply := fs.Bool("apply", false, "set the pool's key and issuer (one UpdateUserPool repeating every other setting), then check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-outputs is required and takes no arguments")
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var out outputs
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("read %s: %w", *file, err)
	}
	if out.HomeRegion == "" || out.UserPoolID == "" {
		return fmt.Errorf("%s has no homeRegion or userPoolId: is it `pulumi stack output --json` of a Hush stack?", *file)
	}
	if out.ReplicaRegion == "" || out.KeyArn == "" {
		return fmt.Errorf("%s has no identityReplicaRegion or identityKeyArn: the stack has no user pool replica (hush:identityReplicaRegion)", *file)
	}
	want := poolcheck.Want{PoolID: out.UserPoolID, KeyArn: out.KeyArn, ReplicaRegion: out.ReplicaRegion, Issuer: types.IssuerTypeOriginal}
	if out.Issuer == "multiRegion" {
		want.Issuer = types.IssuerTypeUpdated
	}
	api, err := client(ctx, out.HomeRegion)
	if err != nil {
		return err
	}
	if *apply {
		if err := poolcheck.Apply(ctx, api, want); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "set pool %s: key %s, issuer %s\n", want.PoolID, want.KeyArn, want.Issuer)
	}
	problems, err := poolcheck.Check(ctx, api, want)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(stdout, "NOT OK  %s\n        fix: %s\n", p.What, p.Fix)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d requirement(s) of the replica do not hold", len(problems))
	}
	fmt.Fprintf(stdout, "OK  pool %s: plan, key %s, issuer %s, replica in %s ACTIVE\n", want.PoolID, want.KeyArn, want.Issuer, want.ReplicaRegion)
	return nil
}
