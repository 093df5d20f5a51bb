package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/scores"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// TestRepair runs the command on a tournament whose standings were kept on
// write (nothing to rewrite, exact) and on an empty one, and refuses bad
// arguments. What a repair rewrites is dynamo.TestRepairStandings' part.
func TestRepair(t *testing.T) {
	client := dynamotest.Start(t, dynamo.ConfigureEmulator)
	table := dynamotest.NewTable(t, client, dynamo.CreateTable)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	store := dynamo.NewStore(client, table)
	caller := scores.Caller{Sub: "sub-a", Username: "a"}
	for i, p := range [][2]string{{"Ann", "Bo"}, {"Bo", "Cy"}, {"Cy", "Ann"}} {
		m, err := scores.NewMatch(scores.MatchInput{TournamentID: "t1", MatchID: "m" + string(rune('0'+i)), Player1: p[0], Player2: p[1], Score: "5,4,9"}, caller, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CreateMatch(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// The test's DynamoDB Local takes any signature; a data dir's secret
	// is what the command signs with.
	dataDir := t.TempDir()
	if _, err := datalock.Secret(dataDir); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(dataDir, datalock.SecretFile)
	var out, errOut bytes.Buffer
	args := []string{"-endpoint", dynamotest.Endpoint(t), "-secret-file", secretFile, "-table", table, "-region", dynamotest.Region, "t1", "empty"}
	if err := run(ctx, args, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"t1: 3 matches; 0 player links rewritten, 0 removed; 0 matches now of one player twice", "t1: 3 matches, 3 players; 0 lines rewritten, 0 removed; exact: true", "empty: 0 matches"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
	for _, bad := range [][]string{{"t1"}, {"-endpoint", dynamotest.Endpoint(t), "-secret-file", filepath.Join(t.TempDir(), "missing"), "-table", table, "-region", "x", "t1"}, {"-table", table, "-region", "x"}, {"-table", table, "-region", "x", "a#b"}} {
		if err := run(ctx, bad, &out, &errOut); err == nil {
			t.Errorf("run(%q) succeeded, want an error", bad)
		}
	}
}

// TestLocalNames holds the names hush-repair writes out, so as to import
// nothing of the emulation, to the local stack's own.
func TestLocalNames(t *testing.T) {
	if secretFileName != datalock.SecretFile {
		t.Errorf("secretFileName = %q, want datalock.SecretFile %q", secretFileName, datalock.SecretFile)
	}
	if dataDirEnv != datalock.DataDirEnv {
		t.Errorf("dataDirEnv = %q, want datalock.DataDirEnv %q", dataDirEnv, datalock.DataDirEnv)
	}
	env := map[string]string{datalock.DataDirEnv: "/data"}
	if got, want := defaultSecretFile(func(k string) string { return env[k] }), filepath.Join("/data", datalock.SecretFile); got != want {
		t.Errorf("defaultSecretFile = %q, want %q", got, want)
	}
	if got := defaultSecretFile(func(string) string { return "" }); got != "" {
		t.Errorf("defaultSecretFile without %s = %q, want none", datalock.DataDirEnv, got)
	}
}
