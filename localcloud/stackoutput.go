package localcloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// StackOutputFile is the file in the data dir that holds StackOutput as
// JSON while the stack runs: what `hush-ops -local` (or -outputs) reads to
// find the table, the regions and each region's replica.
const StackOutputFile = "stack-output.json"

// StackOutput is the local stack's outputs in the shape `pulumi stack
// output --json` prints for a cloud stack (the names of package
// components' Output constants, which cmd/hush-ops's tests hold these
// to), plus ReplicaEndpoints and CognitoEndpoints, which only a local
// stack has.
type StackOutput struct {
	APIURL           string            `json:"apiUrl"`
	APIURLs          map[string]string `json:"apiUrls"`
	UserPoolID       string            `json:"userPoolId"`
	UserPoolClientID string            `json:"userPoolClientId"`
	TableName        string            `json:"tableName"`
	HomeRegion       string            `json:"homeRegion"`
	// Regions lists every region, the home region first and the others
	// sorted, as the cloud stack's output does.
	Regions    []string `json:"regions"`
	SelfSignUp bool     `json:"selfSignUp"`
	// DomainURL is the front door, which stands in for the custom domain.
	DomainURL string `json:"domainUrl,omitempty"`
	// ReplicaEndpoints maps each region to the URL that reaches its
	// replica from within the region (its regionnet link to itself): an
	// operator's client reaches a region's DynamoDB endpoint directly, and
	// a replica taken down refuses it as it refuses everyone.
	ReplicaEndpoints map[string]string `json:"replicaEndpoints"`
	// IdentityReplicaRegion is the region of the user pool's secondary
	// replica, absent without one, as the cloud stack's output.
	IdentityReplicaRegion string `json:"identityReplicaRegion,omitempty"`
	// CognitoEndpoints maps the home region to the primary's Cognito
	// endpoint and the replica region to the secondary's: where `hush-ops
	// identity` calls Cognito's API.
	CognitoEndpoints map[string]string `json:"cognitoEndpoints"`
}

// StackOutput returns the stack's outputs.
func (s *Stack) StackOutput() StackOutput {
	i := s.info
	out := StackOutput{
		APIURLs: map[string]string{}, UserPoolID: i.UserPoolID, UserPoolClientID: i.UserPoolClientID,
		TableName: i.Table, HomeRegion: i.HomeRegion, SelfSignUp: i.SelfSignUp, DomainURL: i.FrontDoorURL,
		APIURL: i.URL(i.HomeRegion), ReplicaEndpoints: map[string]string{},
		IdentityReplicaRegion: i.IdentityReplicaRegion, CognitoEndpoints: map[string]string{i.HomeRegion: i.CognitoEndpoint},
	}
	if i.IdentityReplicaRegion != "" {
		out.CognitoEndpoints[i.IdentityReplicaRegion] = i.IdentityReplicaEndpoint
	}
	var others []string
	for _, r := range i.Regions {
		out.APIURLs[r.Name] = r.URL
		out.ReplicaEndpoints[r.Name] = s.table.net.Endpoint(r.Name, r.Name)
		if r.Name != i.HomeRegion {
			others = append(others, r.Name)
		}
	}
	slices.Sort(others)
	out.Regions = append([]string{i.HomeRegion}, others...)
	return out
}

// writeStackOutput writes StackOutput into the data dir, readable by its
// owner only like the rest of it, and removes it when the stack closes,
// so that no stopped stack leaves endpoints behind that some other
// program may listen on next.
func (s *Stack) writeStackOutput() error {
	b, err := json.MarshalIndent(s.StackOutput(), "", "  ")
	if err != nil {
		return fmt.Errorf("localcloud: stack output: %w", err)
	}
	path := filepath.Join(s.info.DataDir, StackOutputFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("localcloud: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("localcloud: write %s: %w", path, err)
	}
	s.onClose(func() error {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("localcloud: remove %s: %w", path, err)
		}
		return nil
	})
	return nil
}
