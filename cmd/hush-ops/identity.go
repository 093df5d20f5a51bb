package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// replicaAPI is what the identity commands call of Cognito's API: the two
// operations of multi-Region replication that read and set a replica's
// status. ListUserPoolReplicas "lists all replicas for a user pool,
// including both primary and secondary replicas"; UpdateUserPoolReplica
// sets a replica's Status to ACTIVE or INACTIVE and "can be made in both
// primary and secondary regions of the user pool" (Cognito API
// reference), so both are called in the replica's region, which answers
// while the home region is lost. The SDK has no DescribeUserPoolReplica.
type replicaAPI interface {
	ListUserPoolReplicas(ctx context.Context, in *cip.ListUserPoolReplicasInput, optFns ...func(*cip.Options)) (*cip.ListUserPoolReplicasOutput, error)
	UpdateUserPoolReplica(ctx context.Context, in *cip.UpdateUserPoolReplicaInput, optFns ...func(*cip.Options)) (*cip.UpdateUserPoolReplicaOutput, error)
}

// cognitoDialer returns a Cognito client of region for t.
type cognitoDialer func(ctx context.Context, t target, region string) (replicaAPI, error)

// dialCognito returns a Cognito client in region: at t's Cognito endpoint
// of the region signed with t's secret (a local stack), else at AWS's
// endpoint with the default credentials. Nothing is called yet.
func dialCognito(ctx context.Context, t target, region string) (replicaAPI, error) {
	endpoint := t.CognitoEndpoints[region]
	if endpoint != "" && t.Secret != "" {
		return cip.New(cip.Options{
			Region: region, BaseEndpoint: aws.String(endpoint),
			Credentials: credentials.NewStaticCredentialsProvider("local", t.Secret, ""),
		}), nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return cip.NewFromConfig(cfg, func(o *cip.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// identityVerbs are the identity commands.
var identityVerbs = []string{"status", "activate", "deactivate"}

// defaultIdentityWait bounds how long activate and deactivate wait for
// the secondary to report the status they set.
const defaultIdentityWait = 60 * time.Second

// identityPoll is the pause between two reads while waiting.
const identityPoll = time.Second

func (c *cli) identity(ctx context.Context, args []string) int {
	if len(args) == 0 || !slices.Contains(identityVerbs, args[0]) {
		got := "nothing"
		if len(args) > 0 {
			got = fmt.Sprintf("%q", args[0])
		}
		return c.fail(usageErr("identity wants one of %s; got %s", strings.Join(identityVerbs, ", "), got))
	}
	verb := args[0]
	fs := flag.NewFlagSet("hush-ops identity "+verb, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	c.flags.register(fs)
	wait := defaultIdentityWait
	if verb != "status" {
		fs.DurationVar(&wait, "wait", wait, "how long to wait for the secondary to report the status set")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return c.parseFailed(fs, err)
	}
	if fs.NArg() > 0 {
		return c.fail(usageErr("identity %s: unexpected arguments %q", verb, fs.Args()))
	}
	if wait <= 0 {
		return c.fail(usageErr("-wait must be positive"))
	}
	t, err := c.flags.resolve(c.env)
	if err != nil {
		return c.fail(err)
	}
	if err := t.checkIdentity(); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "%s: user pool %s, primary in %s, secondary in %s (called in %s)\n",
		describeIdentity(verb), t.UserPool, t.HomeRegion, t.ReplicaRegion, t.ReplicaRegion)
	if verb == "status" {
		return c.identityStatus(ctx, t)
	}
	status := types.UpdateReplicaStatusTypeActive
	if verb == "deactivate" {
		status = types.UpdateReplicaStatusTypeInactive
	}
	return c.setReplicaStatus(ctx, t, verb, status, wait)
}

// checkIdentity refuses a target without what the identity commands need.
func (t target) checkIdentity() error {
	switch {
	case t.UserPool == "":
		return usageErr("the outputs name no user pool (%q): give -outputs FILE of a Hush stack, or -local", outputUserPool)
	case t.ReplicaRegion == "":
		return usageErr("the stack has no user pool replica (no %q in its outputs): set hush:identityReplicaRegion and run pulumi up, or start hush-local with a replica region", outputReplicaRegion)
	}
	return nil
}

// describeIdentity says what an identity command is about to do.
func describeIdentity(verb string) string {
	switch verb {
	case "activate":
		return "Activate the user pool's secondary replica, so that it serves sign-in"
	case "deactivate":
		return "Deactivate the user pool's secondary replica, so that it serves no sign-in"
	default:
		return "User pool replicas"
	}
}

// listReplicas returns every replica of pool as region's endpoint answers.
func listReplicas(ctx context.Context, api replicaAPI, pool string) ([]types.UserPoolReplicaType, error) {
	var out []types.UserPoolReplicaType
	var next *string
	for {
		page, err := api.ListUserPoolReplicas(ctx, &cip.ListUserPoolReplicasInput{UserPoolId: aws.String(pool), NextToken: next})
		if err != nil {
			return out, err
		}
		out = append(out, page.UserPoolReplicas...)
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		next = page.NextToken
	}
}

// secondaryStatus returns the status of region's replica in replicas, or
// "" when the list lacks it.
func secondaryStatus(replicas []types.UserPoolReplicaType, region string) types.ReplicaStatusType {
	for _, r := range replicas {
		if aws.ToString(r.RegionName) == region {
			return r.Status
		}
	}
	return ""
}

// readReplicas lists the replicas in region with a call bounded by t's
// call timeout.
func (c *cli) readReplicas(ctx context.Context, t target, region string) ([]types.UserPoolReplicaType, error) {
	api, err := c.cognito(ctx, t, region)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, t.CallTimeout)
	defer cancel()
	return listReplicas(cctx, api, t.UserPool)
}

// identityStatus prints the replicas as the secondary's region lists
// them, else as the home region does, and returns exitUnreachable unless
// the secondary's region answered.
func (c *cli) identityStatus(ctx context.Context, t target) int {
	start := c.now()
	replicas, err := c.readReplicas(ctx, t, t.ReplicaRegion)
	if err == nil {
		fmt.Fprintf(c.stdout, "  ListUserPoolReplicas in %s (%s)\n\n", t.ReplicaRegion, round(c.now().Sub(start)))
		printReplicas(c.stdout, t, replicas, c.continueCommand())
		return exitOK
	}
	fmt.Fprintf(c.stdout, "  %s did not answer: %v (%s)\n", t.ReplicaRegion, err, round(c.now().Sub(start)))
	start = c.now()
	replicas, homeErr := c.readReplicas(ctx, t, t.HomeRegion)
	if homeErr != nil {
		fmt.Fprintf(c.stderr, "hush-ops: identity status: neither region answered:\n  %s: %v\n  %s: %v\n", t.ReplicaRegion, err, t.HomeRegion, homeErr)
		return exitUnreachable
	}
	fmt.Fprintf(c.stdout, "  ListUserPoolReplicas in %s, the home region (%s)\n\n", t.HomeRegion, round(c.now().Sub(start)))
	printReplicas(c.stdout, t, replicas, c.continueCommand())
	fmt.Fprintf(c.stdout, "As %s lists them: %s, where the secondary serves, did not answer.\n", t.HomeRegion, t.ReplicaRegion)
	return exitUnreachable
}

// printReplicas prints each replica and what the secondary's status means.
func printReplicas(w io.Writer, t target, replicas []types.UserPoolReplicaType, command string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tROLE\tSTATUS\tARN")
	for _, r := range replicas {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", aws.ToString(r.RegionName), r.Role, r.Status, aws.ToString(r.UserPoolArn))
	}
	tw.Flush()
	fmt.Fprintln(w)
	switch st := secondaryStatus(replicas, t.ReplicaRegion); st {
	case types.ReplicaStatusTypeActive:
		fmt.Fprintf(w, "The secondary in %s is ACTIVE: it serves sign-in.\n", t.ReplicaRegion)
	case types.ReplicaStatusTypeInactive:
		fmt.Fprintf(w, "The secondary in %s is INACTIVE: it serves no sign-in. To make it serve:\n  %s identity activate\n", t.ReplicaRegion, command)
	case "":
		fmt.Fprintf(w, "No replica in %s is listed: the stack's outputs name a replica the pool does not have (pulumi up creates it).\n", t.ReplicaRegion)
	default:
		fmt.Fprintf(w, "The secondary in %s is %s: wait, then look again.\n", t.ReplicaRegion, st)
	}
}

// setReplicaStatus runs activate or deactivate: UpdateUserPoolReplica in
// the secondary's region, then ListUserPoolReplicas there until the
// secondary reports status, within wait.
func (c *cli) setReplicaStatus(ctx context.Context, t target, verb string, status types.UpdateReplicaStatusType, wait time.Duration) int {
	begin := c.now()
	again := c.continueCommand() + " identity " + verb
	fail := func(step string, err error, left string) int {
		fmt.Fprintf(c.stderr, "hush-ops: identity %s failed at step %q: %v\n", verb, step, err)
		fmt.Fprintf(c.stderr, "The user pool is left: %s\nTo continue:\n  %s\n", left, again)
		return exitFailed
	}
	api, err := c.cognito(ctx, t, t.ReplicaRegion)
	if err != nil {
		return fail("client", err, "unchanged (nothing was called)")
	}

	start := c.now()
	cctx, cancel := context.WithTimeout(ctx, t.CallTimeout)
	out, err := api.UpdateUserPoolReplica(cctx, &cip.UpdateUserPoolReplicaInput{
		UserPoolId: aws.String(t.UserPool), RegionName: aws.String(t.ReplicaRegion), Status: status,
	})
	cancel()
	if err != nil {
		return fail("update", err, fmt.Sprintf("as it was: the secondary in %s was not set %s (if the call reached Cognito before it failed, it may be); see it with %s identity status", t.ReplicaRegion, status, c.continueCommand()))
	}
	answered := "no replica in its answer"
	if out.UserPoolReplica != nil {
		answered = string(out.UserPoolReplica.Status)
	}
	printIdentityStep(c.stdout, "update", fmt.Sprintf("UpdateUserPoolReplica %s in %s answered %s", status, t.ReplicaRegion, answered), c.now().Sub(start))

	start = c.now()
	deadline := start.Add(wait)
	var seen types.ReplicaStatusType
	var lastErr error
	for {
		replicas, err := c.readReplicas(ctx, t, t.ReplicaRegion)
		if err == nil {
			seen, lastErr = secondaryStatus(replicas, t.ReplicaRegion), nil
			if string(seen) == string(status) {
				break
			}
		} else {
			lastErr = err
		}
		if !c.now().Before(deadline) {
			left := fmt.Sprintf("set %s by the update, but the secondary in %s reported %s within %s", status, t.ReplicaRegion, orUnknown(seen), wait)
			if lastErr == nil {
				lastErr = fmt.Errorf("the secondary is %s, want %s", orUnknown(seen), status)
			}
			return fail("confirm", lastErr, left)
		}
		if err := c.pause(ctx, identityPoll); err != nil {
			return fail("confirm", err, fmt.Sprintf("set %s by the update, not yet confirmed", status))
		}
	}
	printIdentityStep(c.stdout, "confirm", fmt.Sprintf("ListUserPoolReplicas in %s: the secondary is %s", t.ReplicaRegion, seen), c.now().Sub(start))
	fmt.Fprintf(c.stdout, "done in %s\n", round(c.now().Sub(begin)))
	if status == types.UpdateReplicaStatusTypeActive {
		fmt.Fprintf(c.stdout, "Sign-in is served in %s. Clients try the home region's endpoint first and then %s's.\n", t.ReplicaRegion, t.ReplicaRegion)
	}
	return exitOK
}

func orUnknown(s types.ReplicaStatusType) string {
	if s == "" {
		return "nothing"
	}
	return string(s)
}

// printIdentityStep prints one step of an identity command as it
// finishes, as printStep does for the write region's.
func printIdentityStep(w io.Writer, name, detail string, took time.Duration) {
	fmt.Fprintf(w, "  %s: %s (%s)\n", name, detail, round(took))
}

// pause waits d, or until ctx ends.
func (c *cli) pause(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
