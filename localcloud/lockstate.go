package localcloud

import "github.com/hush-scores/hush/localcloud/datalock"

// lockState is what the data dir's lock file records about the stack:
// enough for a second stack to name this one, and for `hush-local token`
// to find its user pool.
func (i Info) lockState() datalock.State {
	st := datalock.State{
		Stack: i.Stack, HomeRegion: i.HomeRegion, Gateways: map[string]string{},
		CognitoEndpoint: i.CognitoEndpoint, DynamoDBEndpoint: i.DynamoDBEndpoint,
		UserPoolID: i.UserPoolID, UserPoolClientID: i.UserPoolClientID,
		StatusURL: i.StatusURL, IdentityReplicaRegion: i.IdentityReplicaRegion,
		IdentityReplicaEndpoint: i.IdentityReplicaEndpoint,
	}
	for _, r := range i.Regions {
		st.Gateways[r.Name] = r.URL
	}
	return st
}
