package localcloud

import (
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hush-scores/hush/localcloud/regionnet"
)

// TestStackOutputFile writes the outputs of a stack whose regions are
// listed out of order, reads them back as hush-ops would, and checks that
// Close removes them. It needs no emulator: the links of regionnet listen
// without DynamoDB Local behind them.
func TestStackOutputFile(t *testing.T) {
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	n, err := regionnet.Start(regionnet.Options{Regions: regions, Target: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	dir := t.TempDir()
	s := &Stack{table: &globalTable{net: n}, info: Info{
		Stack: "test", HomeRegion: "us-east-1", Table: "hush-test", DataDir: dir, UserPoolID: "pool", UserPoolClientID: "client",
		FrontDoorURL: "http://127.0.0.1:1", CognitoEndpoint: "http://127.0.0.1:2", IdentityReplicaRegion: "eu-west-1", IdentityReplicaEndpoint: "http://127.0.0.1:3",
		Regions: []Region{{Name: "us-east-1", URL: "http://u"}, {Name: "eu-west-1", URL: "http://e"}, {Name: "ap-southeast-2", URL: "http://a"}},
	}}
	if err := s.writeStackOutput(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, StackOutputFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v (%v), want 0600 like the rest of the data dir", path, fi.Mode().Perm(), err)
	}
	var got StackOutput
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	if want := []string{"us-east-1", "ap-southeast-2", "eu-west-1"}; !slices.Equal(got.Regions, want) {
		t.Errorf("regions = %v, want the home region first, the others sorted: %v", got.Regions, want)
	}
	if got.TableName != "hush-test" || got.HomeRegion != "us-east-1" || got.APIURL != "http://u" || got.APIURLs["eu-west-1"] != "http://e" || got.DomainURL != "http://127.0.0.1:1" {
		t.Errorf("outputs = %+v, want the stack's table, home region, URLs and front door", got)
	}
	for _, r := range regions {
		if want := n.Endpoint(r, r); want == "" || got.ReplicaEndpoints[r] != want {
			t.Errorf("replicaEndpoints[%s] = %q, want its link from within the region %q", r, got.ReplicaEndpoints[r], want)
		}
	}
	if got.IdentityReplicaRegion != "eu-west-1" {
		t.Errorf("identityReplicaRegion = %q, want eu-west-1", got.IdentityReplicaRegion)
	}
	if want := map[string]string{"us-east-1": "http://127.0.0.1:2", "eu-west-1": "http://127.0.0.1:3"}; !maps.Equal(got.CognitoEndpoints, want) {
		t.Errorf("cognitoEndpoints = %v, want the primary's in the home region and the secondary's in its region: %v", got.CognitoEndpoints, want)
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is still there after the stack closed (%v): a stopped stack must not leave endpoints behind", path, err)
	}
}
