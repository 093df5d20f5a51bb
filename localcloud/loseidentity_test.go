package localcloud

import (
	"testing"

	"github.com/hush-scores/hush/localcloud/datalock"
)

func TestLoseIdentityOnlyWithAReplica(t *testing.T) {
	base := datalock.State{HomeRegion: "eu-central-1", CognitoEndpoint: "http://127.0.0.1:1", UserPoolID: "local_x", UserPoolClientID: "c"}
	withReplica := base
	withReplica.IdentityReplicaRegion, withReplica.IdentityReplicaEndpoint = "eu-west-1", "http://127.0.0.1:2"
	noEndpoint := base
	noEndpoint.IdentityReplicaRegion = "eu-west-1"
	u := LoseUser{Name: "vet", Password: "Drill-Passw0rd", Email: "vet@example.com", Newcomer: "new", NewcomerEmail: "new@example.com"}
	cases := []struct {
		name string
		st   datalock.State
		want bool
	}{
		{"no replica", base, false},
		{"a replica region without an endpoint", noEndpoint, false},
		{"a replica", withReplica, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := LoseIdentity(c.st, "secret", u)
			if got := id != nil; got != c.want {
				t.Fatalf("LoseIdentity: a sign-in part: %v, want %v", got, c.want)
			}
			if id == nil {
				return
			}
			if id.Replica != "eu-west-1" || id.User != "vet" || id.Prepare == nil || id.Activate == nil || id.SignIn == nil || id.SignUp == nil {
				t.Errorf("LoseIdentity = %+v, want the replica eu-west-1, the user vet and every hook", *id)
			}
		})
	}
}
