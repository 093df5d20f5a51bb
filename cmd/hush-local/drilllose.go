package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/writeregion"
)

// drillPassword is the password of the users the lose drill makes: they
// live only in the local stack's pool.
const drillPassword = "Drill-Passw0rd"

// runLoseDrill is `hush-local drill lose`: it loses the write region of
// the stack running on dataDir under steady traffic and narrates the
// recovery, with the library the e2e drill runs (drill.LoseRegion over
// localcloud.DataPlane): the failover, the refused writes, the forced move
// and the first write after it, what the lost region had not replicated,
// the restore, a write through the returned region, a write of the old
// epoch, the standings repaired. When the stack's user pool has a replica,
// the drill also makes a user before the loss, activates the replica as
// the runbook does, signs the user in through it during the loss, has the
// user record a match once the write region has moved, and tries a
// newcomer's sign-up, which the replica refuses. Then it moves the write
// region home with a planned move, as the runbook's last step does (the
// replica stays ACTIVE: the runbook undoes nothing there).
func runLoseDrill(ctx context.Context, dataDir, region string, timeout time.Duration, out io.Writer) (err error) {
	st, err := datalock.Running(dataDir)
	if errors.Is(err, datalock.ErrNotRunning) {
		return fmt.Errorf("drill: %w: start it first (make local STACK=prod), or pass the -stack or -data-dir it runs with", err)
	}
	if err != nil {
		return fmt.Errorf("drill: %w", err)
	}
	if err := checkLoopback(st.CognitoEndpoint); err != nil {
		return fmt.Errorf("drill: the lock file of %s names %w; it is not sent a password", dataDir, err)
	}
	plane, err := localcloud.RunningDataPlane(dataDir, func(s writeregion.Step) {
		fmt.Fprintf(out, "             operator: %s: %s (%s)\n", s.Name, s.Detail, s.Took.Round(time.Millisecond))
	})
	if err != nil {
		return fmt.Errorf("drill: %w (started by an older hush-local?)", err)
	}
	status, err := plane.Operator.Status(ctx)
	if err != nil {
		return fmt.Errorf("drill: the write region of the running stack: %w", err)
	}
	old := status.Belief
	if region == "" {
		region = old.WriteRegion
	}
	if region != old.WriteRegion {
		return fmt.Errorf("drill: the lose drill loses the write region, %s; -region %s is not it", old.WriteRegion, region)
	}
	// The token is taken before the loss: the user pool lives in the home
	// region and goes dark with it.
	demo := cognitolocal.DemoUsers[0]
	token, err := cognitolocal.IDToken(ctx, cognitolocal.NewClient(st.CognitoEndpoint, st.HomeRegion),
		cognitolocal.Pool{ID: st.UserPoolID, ClientID: st.UserPoolClientID}, demo.Name, demo.Password)
	if err != nil {
		return fmt.Errorf("drill: sign %s in: %w", demo.Name, err)
	}
	client := &drill.Client{BaseURL: st.StatusURL}
	hooks := plane.LoseHooks(old, localcloud.DefaultWriteTimeout, client.Pending)
	stamp := time.Now().UTC().Format("20060102-150405")
	if st.IdentityReplicaRegion != "" {
		secret, err := datalock.ReadSecret(dataDir)
		if err != nil {
			return fmt.Errorf("drill: %w", err)
		}
		veteran, newcomer := "drill-veteran-"+stamp, "drill-newcomer-"+stamp
		hooks.Identity = localcloud.LoseIdentity(st, secret, localcloud.LoseUser{
			Name: veteran, Password: drillPassword, Email: veteran + "@example.com",
			Newcomer: newcomer, NewcomerEmail: newcomer + "@example.com",
		})
	}
	res, err := drill.LoseRegion(ctx, client, hooks, drill.LosePlan{
		Region: region, Token: token, Tournament: "drill-lose-" + stamp,
		WriteBound: localcloud.DefaultWriteTimeout, Timeout: timeout,
	}, out)
	if res.To != "" {
		fmt.Fprint(out, res.Figures())
		fmt.Fprintf(out, "drill: moving the write region home to %s (planned: pause, drain, move, open)\n", old.WriteRegion)
		if merr := plane.Operator.Move(context.WithoutCancel(ctx), old.WriteRegion, false); merr != nil {
			err = errors.Join(err, fmt.Errorf("drill: move the write region home: %w", merr))
		}
	}
	return err
}
