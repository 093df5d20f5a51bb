package localcloud

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/hush-scores/hush/localcloud/regionnet"
	"github.com/hush-scores/hush/localcloud/replicator"
)

// Defaults of the emulated global table.
const (
	// DefaultReplicationDelay is close to what AWS documents as typical for
	// global tables (within a second).
	DefaultReplicationDelay = replicator.DefaultDelay
	// DefaultCrossRegionRTT is a round trip between two European regions;
	// US to Europe is nearer 90 ms.
	DefaultCrossRegionRTT = 20 * time.Millisecond
	// DefaultWriteTimeout bounds a write in the local stack. It is looser
	// than the Lambda functions' bound (api.DefaultWriteTimeout, 1.8 s)
	// because one DynamoDB Local runs every transaction of every region
	// one after another, and a burst of them on a busy laptop queues for
	// seconds; SetWriteTimeout sets AWS's bound for a drill.
	DefaultWriteTimeout = 10 * time.Second
	// replicationCallTimeout bounds one call of the replicator, so a call
	// into a partition gives up and is tried again later.
	replicationCallTimeout = 2 * time.Second
)

// LinkStats is the state of one replication link: its backlog and lag.
type LinkStats = replicator.LinkStats

// NetworkState is what is wrong with one region's network, if anything.
type NetworkState = regionnet.State

// startGlobalTable puts the links between the regions in front of
// DynamoDB Local, creates the table in every region's replica and starts
// the replicator.
func (s *Stack) startGlobalTable(ctx context.Context, opts Options, regions []string, dirs layout, table string) error {
	rtt := opts.CrossRegionRTT
	if rtt == 0 {
		rtt = DefaultCrossRegionRTT
	}
	netOpts := regionnet.Options{Regions: regions, Target: s.dynamo.Endpoint(), RTT: max(rtt, 0)}
	n, err := regionnet.Start(netOpts) //nolint:contextcheck // the links live until Close, not the start-up context
	if err != nil {
		return fmt.Errorf("localcloud: %w", err)
	}
	s.net = n
	s.clients.endpoint, s.clients.extra, s.clients.secret = n.Endpoint, s.dynamoExtra, s.secret
	if err := s.createTables(ctx, regions, table); err != nil {
		return err
	}
	log, err := s.openLog(dirs, "replicator.log")
	if err != nil {
		return err
	}
	s.replicator, err = replicator.Start(replicator.Options{
		Regions: regions, Table: table, Delay: opts.ReplicationDelay, Dir: dirs.replicator(),
		Clients: s.replicationClients, Logger: jsonLogger(log),
	})
	if err != nil {
		return fmt.Errorf("localcloud: %w", err)
	}
	return nil
}

// replicationClients are the clients of the link from->to, for the
// replicator: one attempt each, since the replicator retries by itself.
func (s *Stack) replicationClients(from, to string) (replicator.Clients, error) {
	db, err := s.clients.get(context.Background(), from, to, clientReplication)
	if err != nil {
		return replicator.Clients{}, err
	}
	cfg := aws.Config{
		Region:           to,
		Credentials:      credentials.NewStaticCredentialsProvider("local", s.secret, ""),
		HTTPClient:       awshttp.NewBuildableClient().WithTimeout(replicationCallTimeout),
		RetryMaxAttempts: 1,
	}
	key := from + ">" + to
	if c, ok := s.streamClients.Load(key); ok {
		return replicator.Clients{DB: db, Streams: c.(*dynamodbstreams.Client)}, nil
	}
	endpoint := s.clients.endpoint(from, to)
	streams := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(endpoint) })
	s.streamClients.Store(key, streams)
	return replicator.Clients{DB: db, Streams: streams}, nil
}

// CutOff partitions region from the others, as a network partition would:
// every cross-region call into or out of it hangs until the caller gives
// up, writes forwarded to it as the write region included, and replication
// into and out of it stops. Its own gateway and functions keep serving it
// from its replica.
func (s *Stack) CutOff(region string) error { return s.net.CutOff(region) }

// Reconnect ends the partition of region; replication catches up by itself.
func (s *Stack) Reconnect(region string) error { return s.net.Reconnect(region) }

// TakeReplicaDown makes region's replica refuse every call, its own
// region's included, as if it were down.
func (s *Stack) TakeReplicaDown(region string) error { return s.net.TakeDown(region) }

// BringReplicaUp makes region's replica answer again.
func (s *Stack) BringReplicaUp(region string) error { return s.net.BringUp(region) }

// NetworkStates returns, for every region, whether it is cut off and
// whether its replica is down.
func (s *Stack) NetworkStates() []NetworkState { return s.net.States() }

// ReplicationLinks returns the backlog and lag of every replication link,
// one per ordered pair of regions.
func (s *Stack) ReplicationLinks() []LinkStats { return s.replicator.Links() }

// ReplicationDelay returns how long the replicator waits before it applies
// a change in the other regions.
func (s *Stack) ReplicationDelay() time.Duration { return s.replicator.Delay() }
