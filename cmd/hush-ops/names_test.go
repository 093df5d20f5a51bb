package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hush-scores/hush/components"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/datalock"
)

// TestNames holds the names hush-ops writes out, so as to import neither
// Pulumi nor the emulation, to the stack's and the local stack's own.
func TestNames(t *testing.T) {
	for _, c := range []struct{ name, got, want string }{
		{"outputTable", outputTable, components.OutputTableName},
		{"outputRegions", outputRegions, components.OutputRegions},
		{"outputUserPool", outputUserPool, components.OutputUserPoolID},
		{"outputHomeRegion", outputHomeRegion, components.OutputHomeRegion},
		{"outputReplicaRegion", outputReplicaRegion, components.OutputIdentityReplicaRegion},
		{"dataDirEnv", dataDirEnv, datalock.DataDirEnv},
		{"secretFileName", secretFileName, datalock.SecretFile},
		{"outputsFileName", outputsFileName, localcloud.StackOutputFile},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestLocalStackOutputShape holds the local stack's outputs file to the
// cloud stack's output names (plus the replica and Cognito endpoints only
// it has), so a file of either shape reads the same.
func TestLocalStackOutputShape(t *testing.T) {
	b, err := json.Marshal(localcloud.StackOutput{DomainURL: "http://127.0.0.1:1", IdentityReplicaRegion: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	cloud := []string{
		components.OutputAPIURLs, components.OutputAPIURL, components.OutputUserPoolID, components.OutputUserPoolClientID,
		components.OutputTableName, components.OutputHomeRegion, components.OutputRegions, components.OutputDashboardURL,
		components.OutputDomainURL, components.OutputSelfSignUp, components.OutputIdentityReplicaRegion,
		components.OutputIdentityKeyArn, components.OutputIdentityIssuer,
	}
	localOnly := []string{outputEndpoints, outputCognito}
	for name := range fields {
		if !slices.Contains(localOnly, name) && !slices.Contains(cloud, name) {
			t.Errorf("localcloud.StackOutput has %q, which is no output of the cloud stack (%s) nor one of %s", name, strings.Join(cloud, ", "), strings.Join(localOnly, ", "))
		}
	}
	for _, name := range []string{outputTable, outputRegions, outputEndpoints, outputUserPool, outputHomeRegion, outputReplicaRegion, outputCognito} {
		if _, ok := fields[name]; !ok {
			t.Errorf("localcloud.StackOutput lacks %q, which hush-ops reads", name)
		}
	}
	// No output of the cloud stack is taken for a typo of one hush-ops
	// reads.
	read := []string{outputTable, outputRegions, outputEndpoints, outputUserPool, outputHomeRegion, outputReplicaRegion, outputCognito}
	for _, name := range cloud {
		if slices.Contains(read, name) {
			continue
		}
		if near := nearest(name, read); near != "" {
			t.Errorf("output %q is taken for a typo of %q", name, near)
		}
	}
}
