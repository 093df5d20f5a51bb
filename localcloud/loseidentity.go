package localcloud

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/userpool/signin"
)

// LockState returns what the data dir's lock file records about the
// stack (the user pool's endpoints among it), for a caller holding the
// stack itself rather than its lock file.
func (i Info) LockState() datalock.State { return i.lockState() }

// LoseUser is the existing user of the lose drill's sign-in part, and
// the address a newcomer's sign-up is tried with.
type LoseUser struct {
	Name, Password, Email string
	// Newcomer and NewcomerEmail are the user whose sign-up during the
	// loss must be refused.
	Newcomer, NewcomerEmail string
}

// replicaWait bounds the waits on the user pool's replica: the directory
// reaching it, and the activation being reported.
const replicaWait = time.Minute

// LoseIdentity returns the lose drill's sign-in part for the stack whose
// lock state is st, or nil when its user pool has no replica. The user is
// made and the replica activated with administrator calls signed with the
// data dir's secret, as an operator's are (the activation as `hush-ops
// identity activate` does it: UpdateUserPoolReplica ACTIVE at the
// replica's endpoint, then ListUserPoolReplicas there until it reports
// ACTIVE); sign-in and sign-up go through package signin, the home
// region's endpoint and then the replica's, as every client's do.
func LoseIdentity(st datalock.State, secret string, u LoseUser) *drill.LoseIdentity {
	if st.IdentityReplicaRegion == "" || st.IdentityReplicaEndpoint == "" {
		return nil
	}
	home := cognitolocal.NewSignedClient(st.CognitoEndpoint, st.HomeRegion, secret)
	replica := cognitolocal.NewSignedClient(st.IdentityReplicaEndpoint, st.IdentityReplicaRegion, secret)
	pool := signin.Pool{ClientID: st.UserPoolClientID, TryTimeout: 3 * time.Second, Endpoints: []signin.Endpoint{
		{Region: st.HomeRegion, Client: cognitolocal.NewClient(st.CognitoEndpoint, st.HomeRegion)},
		{Region: st.IdentityReplicaRegion, Client: cognitolocal.NewClient(st.IdentityReplicaEndpoint, st.IdentityReplicaRegion)},
	}}
	poolID := aws.String(st.UserPoolID)
	return &drill.LoseIdentity{
		Replica: st.IdentityReplicaRegion, User: u.Name,
		Prepare: func(ctx context.Context) error {
			if _, err := home.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
				UserPoolId: poolID, Username: aws.String(u.Name), MessageAction: types.MessageActionTypeSuppress,
				UserAttributes: []types.AttributeType{
					{Name: aws.String("email"), Value: aws.String(u.Email)},
					{Name: aws.String("email_verified"), Value: aws.String("true")},
				},
			}); err != nil {
				return fmt.Errorf("localcloud: create %s: %w", u.Name, err)
			}
			// A permanent password confirms the user.
			if _, err := home.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
				UserPoolId: poolID, Username: aws.String(u.Name), Password: aws.String(u.Password), Permanent: true,
			}); err != nil {
				return fmt.Errorf("localcloud: set the password of %s: %w", u.Name, err)
			}
			// The directory reaches the replica after a delay; AdminGetUser
			// is a read a secondary serves.
			return poll(ctx, "the user pool's replica in "+st.IdentityReplicaRegion+" to know "+u.Name, func(ctx context.Context) (bool, error) {
				_, err := replica.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: poolID, Username: aws.String(u.Name)})
				return err == nil, err
			})
		},
		Activate: func(ctx context.Context) error {
			if _, err := replica.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{
				UserPoolId: poolID, RegionName: aws.String(st.IdentityReplicaRegion), Status: types.UpdateReplicaStatusTypeActive,
			}); err != nil {
				return fmt.Errorf("localcloud: UpdateUserPoolReplica ACTIVE in %s: %w", st.IdentityReplicaRegion, err)
			}
			return poll(ctx, "the replica in "+st.IdentityReplicaRegion+" to report ACTIVE", func(ctx context.Context) (bool, error) {
				out, err := replica.ListUserPoolReplicas(ctx, &cip.ListUserPoolReplicasInput{UserPoolId: poolID})
				if err != nil {
					return false, err
				}
				for _, r := range out.UserPoolReplicas {
					if aws.ToString(r.RegionName) == st.IdentityReplicaRegion {
						return r.Status == types.ReplicaStatusTypeActive, fmt.Errorf("it reports %s", r.Status)
					}
				}
				return false, fmt.Errorf("ListUserPoolReplicas lists no replica in %s", st.IdentityReplicaRegion)
			})
		},
		SignIn: func(ctx context.Context) (string, string, error) {
			return pool.IDToken(ctx, u.Name, u.Password)
		},
		SignUp: func(ctx context.Context) error {
			_, _, err := pool.SignUp(ctx, cip.SignUpInput{
				Username: aws.String(u.Newcomer), Password: aws.String(u.Password),
				UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(u.NewcomerEmail)}},
			})
			return err
		},
	}
}

// poll calls ok every 100 ms until it holds, within replicaWait; the
// error names what was awaited and ok's last error.
func poll(ctx context.Context, what string, ok func(context.Context) (bool, error)) error {
	deadline := time.Now().Add(replicaWait)
	for {
		done, err := ok(ctx)
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("localcloud: waited %s for %s: %w", replicaWait, what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("localcloud: waiting for %s: %w", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
