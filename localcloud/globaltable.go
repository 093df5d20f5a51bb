package localcloud

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/localcloud/distance"
	"github.com/hush-scores/hush/localcloud/iamguard"
	"github.com/hush-scores/hush/localcloud/regionnet"
	"github.com/hush-scores/hush/localcloud/replicator"
	"github.com/hush-scores/hush/localcloud/txconflict"
)

// Defaults of the emulated global table.
const (
	// DefaultReplicationDelay is close to what AWS documents as typical for
	// global tables (within a second).
	DefaultReplicationDelay = replicator.DefaultDelay
	// DefaultWriteTimeout bounds a write in the local stack: the Lambda
	// functions' bound, api.DefaultWriteTimeout, defined once there.
	// Contention no longer queues past it: package txconflict makes
	// DynamoDB Local cancel conflicting transactions as DynamoDB does, and
	// the store's retries fit the bound (429 when they cannot). A test that
	// needs more on a busy machine sets Options.WriteTimeout and says so.
	DefaultWriteTimeout = api.DefaultWriteTimeout
	// replicationCallTimeout bounds one call of the replicator, so a call
	// into a partition gives up and is tried again later.
	replicationCallTimeout = 2 * time.Second
)

// LinkStats is the state of one replication link: its backlog and lag.
type LinkStats = replicator.LinkStats

// NetworkState is what is wrong with one region's network, if anything.
type NetworkState = regionnet.State

// Distances is how far apart the regions are (Options.CrossRegionRTT): the
// zero value takes each pair's round trip from the table of package
// distance, the one the front door ranks regions by; it also reads the
// -cross-region-rtt flag (0.5x scales the table, 20ms sets every pair,
// 0 none).
type Distances = distance.Model

// globalTable is the table as a global table: the links between the
// regions (regionnet) in front of DynamoDB Local's replicas, the table in
// every replica, and the replicator copying each change to the others.
// It also hands out the clients every other part reaches a replica with.
type globalTable struct {
	net        *regionnet.Network
	replicator *replicator.Replicator
	clients    *clients
}

// globalTableOptions are what openGlobalTable needs.
type globalTableOptions struct {
	regions []string
	table   string
	// target is DynamoDB Local's endpoint.
	target string
	// rtt and delay are Options.CrossRegionRTT and ReplicationDelay.
	rtt   Distances
	delay time.Duration
	// extra configure the functions' clients (Options.DynamoDBOptions).
	extra []func(*dynamodb.Options)
	// secret signs every request for the emulator's guard.
	secret string
	// stack names the stack, whose functions' policies are enforced;
	// logger receives the denials.
	stack  string
	logger *slog.Logger
	// dir keeps the replicator's state; log receives its log.
	dir string
	log io.Writer
}

// openGlobalTable links the regions, creates the table in every region's
// replica and starts the replicator.
func openGlobalTable(ctx context.Context, o globalTableOptions) (_ *globalTable, err error) {
	rtts, err := roundTrips(o.rtt, o.regions)
	if err != nil {
		return nil, err
	}
	rtt := func(from, to string) time.Duration { return rtts[[2]string{from, to}] }
	n, err := regionnet.Start(regionnet.Options{Regions: o.regions, Target: o.target, RTT: rtt}) //nolint:contextcheck // the links live until Close, not the start-up context
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	g := &globalTable{net: n, clients: &clients{
		endpoint: n.Endpoint, extra: o.extra, secret: o.secret,
		conflicts: &txconflict.Model{KeyAttrs: []string{dynamo.AttrPK, dynamo.AttrSK}},
		iam:       &iamguard.Policies{Stack: o.stack, Table: o.table, Index: dynamo.IndexGSI1, Regions: o.regions, Logger: o.logger},
	}}
	//nolint:contextcheck // stopping must not depend on the start-up context, which may be what ended
	defer func() {
		if err != nil {
			g.close()
		}
	}()
	for _, r := range o.regions {
		c, err := g.clients.get(ctx, r, r, clientSetup)
		if err != nil {
			return nil, err
		}
		if err := dynamo.CreateTable(ctx, c, o.table); err != nil {
			return nil, fmt.Errorf("localcloud: %s: %w", r, err)
		}
	}
	g.replicator, err = replicator.Start(replicator.Options{
		Regions: o.regions, Table: o.table, Delay: o.delay, Dir: o.dir,
		Clients: g.clients.replication, Logger: jsonLogger(o.log),
	})
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	return g, nil
}

// roundTrips returns the round trip of every pair of regions under m, or
// an error naming a pair that m cannot tell, so a stack of regions the
// table lacks fails at start rather than running without distances.
func roundTrips(m Distances, regions []string) (map[[2]string]time.Duration, error) {
	out := map[[2]string]time.Duration{}
	for _, a := range regions {
		for _, b := range regions {
			d, err := m.RTT(a, b)
			if err != nil {
				return nil, fmt.Errorf("localcloud: cross-region round trips: %w", err)
			}
			out[[2]string{a, b}] = d
		}
	}
	return out, nil
}

// close stops the replicator, which saves its place, and then the links.
func (g *globalTable) close() error {
	var err error
	if g.replicator != nil {
		err = g.replicator.Close()
	}
	g.net.Close()
	return err
}

// NetworkStates returns, for every region, whether it is cut off and
// whether its replica is down.
func (s *Stack) NetworkStates() []NetworkState { return s.table.net.States() }

// ReplicationLinks returns the backlog and lag of every replication link,
// one per ordered pair of regions.
func (s *Stack) ReplicationLinks() []LinkStats { return s.table.replicator.Links() }

// ReplicationDelay returns how long the replicator waits before it applies
// a change in the other regions.
func (s *Stack) ReplicationDelay() time.Duration { return s.table.replicator.Delay() }
