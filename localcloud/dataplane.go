package localcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/localcloud/drill"
	"github.com/hush-scores/hush/localcloud/replicator"
	"github.com/hush-scores/hush/scores"
	"github.com/hush-scores/hush/writeregion"
)

// DataPlane is a running local stack as an operator reaches it: a client
// of each region's replica through that region's own link (a lost region's
// refuses), the write region's operator over them, and the stack's table.
// The lose drill's e2e test and `hush-local drill lose` both drive a stack
// through it.
type DataPlane struct {
	Out      StackOutput
	Clients  map[string]*dynamodb.Client
	Controls map[string]writeregion.Control
	Operator *writeregion.Operator
}

// NewDataPlane returns the data plane of the stack whose outputs are out,
// signing with the data dir's secret; progress receives the operator's
// steps (nil drops them).
func NewDataPlane(out StackOutput, secret string, progress func(writeregion.Step)) (*DataPlane, error) {
	p := &DataPlane{Out: out, Clients: map[string]*dynamodb.Client{}, Controls: map[string]writeregion.Control{}}
	for _, region := range out.Regions {
		endpoint := out.ReplicaEndpoints[region]
		if endpoint == "" {
			return nil, fmt.Errorf("localcloud: the stack's outputs name no replica endpoint for %s", region)
		}
		c, err := dynamoclient.ForEndpoint(endpoint, region, dynamoclient.Secret(secret), dynamo.ConfigureEmulator)
		if err != nil {
			return nil, fmt.Errorf("localcloud: the replica of %s: %w", region, err)
		}
		p.Clients[region] = c
		p.Controls[region] = dynamo.NewControl(c, out.TableName, region)
	}
	p.Operator = &writeregion.Operator{Regions: out.Regions, Replicas: p.Controls, Progress: progress}
	return p, nil
}

// RunningDataPlane returns the data plane of the stack running on dataDir,
// from the outputs and the secret it keeps there.
func RunningDataPlane(dataDir string, progress func(writeregion.Step)) (*DataPlane, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, StackOutputFile))
	if err != nil {
		return nil, fmt.Errorf("localcloud: read the running stack's outputs: %w", err)
	}
	var out StackOutput
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("localcloud: %s: %w", StackOutputFile, err)
	}
	secret, err := datalock.ReadSecret(dataDir)
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	return NewDataPlane(out, secret, progress)
}

// LoseHooks returns the lose drill's hooks over the data plane: the forced
// move with the operator, a write function of old's write region pinned to
// old (the belief before the move), wired as the stack wires its write
// function, and hush-repair's standings repair in a region's replica.
// pending lists what replication has not delivered (Stack.PendingReplication,
// drill.Client.Pending).
func (p *DataPlane) LoseHooks(old writeregion.Belief, writeBound time.Duration, pending func(ctx context.Context, from, to string) ([]replicator.Pending, error)) drill.LoseHooks {
	return drill.LoseHooks{
		Pending: pending,
		Move:    func(ctx context.Context, to string) error { return p.Operator.Move(ctx, to, true) },
		StaleWrite: func(ctx context.Context) (bool, string) {
			f, err := writeregion.NewFence(writeregion.FenceConfig{
				Region: old.WriteRegion, Regions: p.Out.Regions, Local: p.Controls[old.WriteRegion], Replicas: p.Controls,
				WriteBound: writeBound, By: fmt.Sprintf("write@%s pinned to epoch %d", old.WriteRegion, old.Epoch),
				Pinned: &old,
			})
			if err != nil {
				return false, "the pinned fence: " + err.Error()
			}
			region, err := f.Admit(ctx)
			switch {
			case err == nil:
				return false, "admitted in " + region
			case scores.ErrorCode(err) != scores.CodeUnavailable:
				return false, fmt.Sprintf("failed with code %q, not a refusal (%q, 503): %v", scores.ErrorCode(err), scores.CodeUnavailable, err)
			}
			return true, err.Error()
		},
		Repair: func(ctx context.Context, region, tournament string) (string, error) {
			rep, err := dynamo.NewStore(p.Clients[region], p.Out.TableName).RepairStandings(ctx, tournament)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%d matches, %d players; %d lines rewritten, %d removed; exact: %v",
				rep.Matches, rep.Players, rep.Rewritten, rep.Removed, rep.Exact), nil
		},
	}
}
