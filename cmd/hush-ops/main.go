// Command hush-ops operates a running Hush stack through the data plane
// only: DynamoDB's API in each region, with AWS's default credentials
// (AWS_PROFILE, SSO, ...), never Pulumi or another control plane, so it
// works while a region, or the stack's state backend, is lost. It moves,
// pauses and resumes the write region, which lives in the table as one
// view per replica (package writeregion). It also makes the user pool's
// secondary replica serve sign-in, or stop, through Cognito's API in the
// secondary's region (UpdateUserPoolReplica, ListUserPoolReplicas), as
// the Cognito runbook does when the home region is lost:
//
//	hush-ops -outputs prod-outputs.json write-region status
//	hush-ops -outputs prod-outputs.json write-region move -to eu-west-1
//	hush-ops -outputs prod-outputs.json write-region move -to eu-west-1 -force
//	hush-ops -outputs prod-outputs.json identity status
//	hush-ops -outputs prod-outputs.json identity activate
//	hush-ops -local write-region status
//
// It finds the table and the regions in a saved copy of `pulumi stack
// output --json` (-outputs; keep it outside the stack's regions), in a
// running local stack's data dir (-local), or in flags (-table, -regions,
// -endpoint region=URL). The identity commands read the user pool, the
// home region and the replica region from the outputs (userPoolId,
// homeRegion, identityReplicaRegion; a local stack's also gives its
// Cognito endpoints). Each step prints what it did and how long it took;
// a failure prints what state the stack is left in and the command that
// continues.
//
// Exit status:
//
//	0  done; for status, every replica answered with its view (identity
//	   status: the secondary's region answered)
//	1  the operation failed or was refused: the state it left and the
//	   command that continues are printed
//	2  the command line or the outputs file is wrong: nothing was done
//	3  status only: printed, but some replica did not answer or holds no
//	   view (identity status: the secondary's region did not answer)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hush-scores/hush/writeregion"
)

// Exit statuses (see the package comment).
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitUnreachable = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, osEnv(), dialReplicas)
	stop()
	os.Exit(code)
}

// dialer builds the Control of every region's replica of t.
type dialer func(ctx context.Context, t target) (map[string]writeregion.Control, error)

// cli is one run of the command.
type cli struct {
	stdout, stderr io.Writer
	env            env
	dial           dialer
	cognito        cognitoDialer
	flags          *targetFlags
	now            func() time.Time
	// sleep stands in for the operator's waits in tests; nil waits.
	sleep func(context.Context, time.Duration) error
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, e env, dial dialer) int {
	c := &cli{stdout: stdout, stderr: stderr, env: e, dial: dial, cognito: dialCognito, flags: newTargetFlags(), now: time.Now}
	return c.run(ctx, args)
}

func (c *cli) run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("hush-ops", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	c.flags.register(fs)
	fs.Usage = func() {
		fmt.Fprint(c.stderr, usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c.parseFailed(fs, err)
	}
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "identity" {
		return c.identity(ctx, rest[1:])
	}
	if len(rest) == 0 || rest[0] != "write-region" {
		fs.Usage()
		if len(rest) == 0 {
			return c.fail(usageErr("no command: want write-region status | pause | resume | move -to REGION [-force], or identity status | activate | deactivate"))
		}
		return c.fail(usageErr("unknown command %q: want write-region or identity", rest[0]))
	}
	return c.writeRegion(ctx, rest[1:])
}

const usageText = `Usage: hush-ops [flags] write-region status
       hush-ops [flags] write-region pause
       hush-ops [flags] write-region resume
       hush-ops [flags] write-region move -to REGION [-force]
       hush-ops [flags] identity status
       hush-ops [flags] identity activate [-wait DURATION]
       hush-ops [flags] identity deactivate [-wait DURATION]

status   prints each replica's view of the write region and which replicas did not answer
pause    refuses writes everywhere (503), at the current epoch
resume   admits writes again in the current write region
move     pauses, waits for replication from the old write region to drain,
         moves the write region to REGION with a new epoch and opens it
move -force  when the old write region is unreachable: moves on the replicas that answer
         (a majority of them, REGION's included), after the leases they granted ran out

identity status      the user pool's replicas and their status, as the secondary's region
                     lists them (ListUserPoolReplicas), else as the home region does
identity activate    makes the secondary serve sign-in (UpdateUserPoolReplica ACTIVE, called
                     in the secondary's region, so it works with the home region lost), then
                     waits until the secondary reports ACTIVE
identity deactivate  takes it back to INACTIVE the same way

Exit status: 0 done (status: every replica answered); 1 failed or refused (the state
left and the command that continues are printed); 2 bad command line or outputs file
(nothing done); 3 status printed but some replica did not answer or holds no view
(identity status: the secondary's region did not answer).

Flags (before or after the command):
`

// verbs are the write-region commands.
var verbs = []string{"status", "pause", "resume", "move"}

func (c *cli) writeRegion(ctx context.Context, args []string) int {
	if len(args) == 0 || !slices.Contains(verbs, args[0]) {
		got := "nothing"
		if len(args) > 0 {
			got = fmt.Sprintf("%q", args[0])
		}
		return c.fail(usageErr("write-region wants one of %s; got %s", strings.Join(verbs, ", "), got))
	}
	verb := args[0]
	fs := flag.NewFlagSet("hush-ops write-region "+verb, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	c.flags.register(fs)
	var to string
	var force bool
	if verb == "move" {
		fs.StringVar(&to, "to", "", "the region to move the write region to (required)")
		fs.BoolVar(&force, "force", false, "the old write region is unreachable: move on the replicas that answer")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return c.parseFailed(fs, err)
	}
	if fs.NArg() > 0 {
		return c.fail(usageErr("write-region %s: unexpected arguments %q", verb, fs.Args()))
	}
	t, err := c.flags.resolve(c.env)
	if err != nil {
		return c.fail(err)
	}
	if verb == "move" {
		if to == "" {
			return c.fail(usageErr("write-region move needs -to REGION (one of %s)", strings.Join(t.Regions, ", ")))
		}
		if !slices.Contains(t.Regions, to) {
			msg := fmt.Sprintf("-to %q is not one of the stack's regions %s", to, strings.Join(t.Regions, ", "))
			if near := nearest(to, t.Regions); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return c.fail(usageErr("%s", msg))
		}
	}
	replicas, err := c.dial(ctx, t)
	if err != nil {
		fmt.Fprintf(c.stderr, "hush-ops: %v\nNothing was changed.\n", err)
		return exitFailed
	}
	op := &writeregion.Operator{
		Regions: t.Regions, Replicas: replicas, CallTimeout: t.CallTimeout, DrainTimeout: t.DrainTimeout,
		Now: c.now, Sleep: c.sleep, Progress: func(s writeregion.Step) { printStep(c.stdout, s) },
	}
	fmt.Fprintf(c.stdout, "%s of table %s, regions %s\n", describe(verb, to, force), t.Table, strings.Join(t.Regions, ", "))
	if verb == "status" {
		return c.status(ctx, op, t)
	}
	start := c.now()
	switch verb {
	case "pause":
		err = op.Pause(ctx)
	case "resume":
		err = op.Resume(ctx)
	case "move":
		err = op.Move(ctx, to, force)
	}
	if err != nil {
		printFailure(c.stderr, "write-region "+verb, err, c.continueCommand())
		return exitFailed
	}
	fmt.Fprintf(c.stdout, "done in %s\n\n", round(c.now().Sub(start)))
	// What the stack says now; the operation's exit status stands whatever
	// this finds (a forced move leaves the lost replica unanswering).
	if st, err := op.Status(ctx); err != nil {
		fmt.Fprintf(c.stdout, "status after it: %v\n", err)
	} else {
		printStatus(c.stdout, t.Regions, st, c.now())
	}
	return exitOK
}

// status prints the status and returns exitUnreachable when a replica
// did not answer with its view.
func (c *cli) status(ctx context.Context, op *writeregion.Operator, t target) int {
	st, err := op.Status(ctx)
	if err != nil && len(st.Views) == 0 {
		if len(st.Unreachable) == 0 {
			fmt.Fprintf(c.stderr, "hush-ops: write-region status: %v\n", err)
			return exitUnreachable
		}
		fmt.Fprintln(c.stderr, "hush-ops: write-region status: no replica answered with a view of the write region:")
		printUnreachable(c.stderr, t.Regions, st)
		return exitUnreachable
	}
	printStatus(c.stdout, t.Regions, st, c.now())
	if len(st.Views) < len(t.Regions) {
		return exitUnreachable
	}
	return exitOK
}

// continueCommand is the command line that names the same stack, without
// the command, to which a failure's Next is appended.
func (c *cli) continueCommand() string {
	return strings.Join(append([]string{"hush-ops"}, quoteAll(c.flags.args())...), " ")
}

// describe says what the command is about to do.
func describe(verb, to string, force bool) string {
	switch {
	case verb == "move" && force:
		return "Forced move of the write region to " + to
	case verb == "move":
		return "Planned move of the write region to " + to
	case verb == "status":
		return "Write region"
	default:
		return strings.ToUpper(verb[:1]) + verb[1:] + " writes"
	}
}

// parseFailed answers a flag set's parse error, which it has printed
// with the usage: -h is no failure, and a flag that is not defined gets
// the nearest one that is.
func (c *cli) parseFailed(fs *flag.FlagSet, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if near := nearest(strings.TrimLeft(name, "-"), names); near != "" {
			fmt.Fprintf(c.stderr, "hush-ops: -%s is no flag of hush-ops; did you mean -%s?\n", name, near)
		}
	}
	return exitUsage
}

// fail prints err and returns its exit status.
func (c *cli) fail(err error) int {
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	fmt.Fprintln(c.stderr, "hush-ops:", msg)
	if errors.Is(err, errUsage) {
		fmt.Fprintln(c.stderr, "Nothing was changed; hush-ops -h says more.")
		return exitUsage
	}
	return exitFailed
}
