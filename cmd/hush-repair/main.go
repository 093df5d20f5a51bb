// Command hush-repair recomputes the standings of tournaments from their
// matches and rewrites the standing items that differ: for matches written
// before standings were kept on write, or after a bug. It works on the
// write region's replica, as every write does (docs/architecture.md, "One write region"):
//
//	go run ./cmd/hush-repair -table hush-prod -region eu-central-1 spring-open
//	go run ./cmd/hush-repair -endpoint http://127.0.0.1:7470 -secret-file .hush/local/dev/local-secret -table hush-dev -region eu-central-1 ttt2024
//
// AWS credentials come from the usual chain (AWS_PROFILE, SSO, ...) and
// need dynamodb:Query and dynamodb:TransactWriteItems (with PutItem and
// DeleteItem) on the table; -endpoint points it at DynamoDB Local instead.
// It reads every match of each tournament, so run it when no scorekeeper
// is writing that tournament; it first moves player links keyed the old
// way (names with invisible characters, now the player they look like,
// see scores.PlayerKey) to their keys, and names the matches whose two
// names became one player (kept, counted for nobody: correct or delete
// them); then it reports whether the standings it left
// match the matches, and running it again is harmless.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/scores"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "hush-repair:", err)
		os.Exit(1)
	}
}

// run parses args and repairs each tournament named, printing a line per
// tournament; it fails when one could not be repaired or was left inexact.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hush-repair", flag.ContinueOnError)
	fs.SetOutput(stderr)
	table := fs.String("table", "", "the table, hush-<stack> (required)")
	region := fs.String("region", os.Getenv("AWS_REGION"), "the stack's write region (default AWS_REGION)")
	endpoint := fs.String("endpoint", "", "DynamoDB Local's URL instead of AWS, e.g. http://127.0.0.1:7470")
	secretFile := fs.String("secret-file", defaultSecretFile(os.Getenv), "with -endpoint: the file holding the secret key the local stack's emulator guard checks, <data dir>/"+secretFileName+" (default from $"+dataDirEnv+", which `make local` prints)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hush-repair -table hush-<stack> -region <write region> [-endpoint URL] tournament...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *table == "" || *region == "" || fs.NArg() == 0 {
		fs.Usage()
		return errors.New("want -table, -region and at least one tournament ID")
	}
	for _, id := range fs.Args() {
		if !scores.ValidID(id) {
			return fmt.Errorf("tournament ID %q: want 1-64 letters, digits, '.', '_' or '-'", id)
		}
	}
	client, err := newClient(ctx, *endpoint, *secretFile, *region)
	if err != nil {
		return err
	}
	store := dynamo.NewStore(client, *table)
	var errs []error
	for _, id := range fs.Args() {
		if err := repairLinks(ctx, store, id, stdout); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		rep, err := store.RepairStandings(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		fmt.Fprintf(stdout, "%s: %d matches, %d players; %d lines rewritten, %d removed; exact: %v\n",
			id, rep.Matches, rep.Players, rep.Rewritten, rep.Removed, rep.Exact)
		if !rep.Exact {
			errs = append(errs, fmt.Errorf("%s: the standings changed while repairing (a write ran meanwhile): run it again", id))
		}
	}
	return errors.Join(errs...)
}

// The local stack keeps the secret its emulator guards check in
// <data dir>/local-secret and prints the data dir as HUSH_LOCAL_DATA_DIR.
// They are written here rather than imported, since a production tool
// imports nothing of the emulation; a test holds them to the local
// stack's own names.
const (
	secretFileName = "local-secret"
	dataDirEnv     = "HUSH_LOCAL_DATA_DIR"
)

// defaultSecretFile is the secret file of the data dir in the environment,
// or "" when none is set.
func defaultSecretFile(getenv func(string) string) string {
	if dir := getenv(dataDirEnv); dir != "" {
		return filepath.Join(dir, secretFileName)
	}
	return ""
}

func newClient(ctx context.Context, endpoint, secretFile, region string) (*dynamodb.Client, error) {
	if endpoint != "" {
		if secretFile == "" {
			return nil, fmt.Errorf("-endpoint needs -secret-file (or $%s): the local stack's DynamoDB guard wants requests signed with its data dir's secret", dataDirEnv)
		}
		b, err := os.ReadFile(secretFile) //nolint:gosec // the operator names the file
		if err != nil {
			return nil, fmt.Errorf("read the local stack's secret: %w", err)
		}
		secret := strings.TrimSpace(string(b))
		return dynamoclient.ForEndpoint(endpoint, region, dynamoclient.Secret(secret), dynamo.ConfigureEmulator)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return dynamo.NewClient(cfg), nil
}

// repairLinks rewrites the player links of a tournament keyed the old way
// and says what it did, and which matches and names need a person.
func repairLinks(ctx context.Context, store *dynamo.Store, id string, stdout io.Writer) error {
	rep, err := store.RepairPlayerLinks(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", id, rep)
	for name, why := range rep.Refused {
		fmt.Fprintf(stdout, "%s: stored name %+q is refused for new matches (%s); it stays as stored\n", id, name, why)
	}
	return nil
}
