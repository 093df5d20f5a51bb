package localcloud

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/localcloud/iamguard"
	"github.com/hush-scores/hush/localcloud/replicator"
	"github.com/hush-scores/hush/localcloud/txconflict"
)

// clients hands out DynamoDB clients by the region they run in and the
// replica they reach, so each pair is built once. endpoint says where the
// replica of to is reached from from.
type clients struct {
	endpoint func(from, to string) string
	// extra configure the functions' clients after the defaults
	// (Options.DynamoDBOptions).
	extra []func(*dynamodb.Options)
	// secret signs for the emulator's guard (datalock.Secret).
	secret string
	// iam enforces each function's IAM policy on its clients (package
	// iamguard); nil enforces nothing.
	iam *iamguard.Policies
	// conflicts cancels conflicting transactions of the write clients as
	// DynamoDB does (package txconflict); nil leaves DynamoDB Local's queue.
	conflicts *txconflict.Model
	mu        sync.Mutex
	byKey     map[string]*dynamodb.Client
	// streams are the replicator's DynamoDB Streams clients, by link.
	streams sync.Map
}

// The kinds of client: what the read and write functions use, with the
// bounds of the Lambda functions, and one for setting the stack up.
const (
	clientRead        = "read"
	clientWrite       = "write"
	clientProbe       = "probe" // the read function's probe of another region's replica
	clientSetup       = "setup"
	clientReplication = "replication"
)

// configureSetup gives table creation and warm-up the time a cold DynamoDB
// Local on a busy machine needs; the functions' bounds are AWS's.
func configureSetup(o *dynamodb.Options) {
	dynamo.ConfigureClient(o)
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(30 * time.Second)
}

// configureReplication makes one attempt per call, bounded: the
// replicator retries by itself, and a call into a partition must give up.
func configureReplication(o *dynamodb.Options) {
	dynamo.ConfigureClient(o)
	o.RetryMaxAttempts = 1
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(replicationCallTimeout)
}

// configureWrite is dynamo.ConfigureWriteClient with the local stack's
// bound on one attempt.
func configureWrite(timeout time.Duration) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		dynamo.ConfigureWriteClient(o)
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout).
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = dynamo.WriteDialTimeout })
	}
}

// get returns a client in region from of the replica of region to, of the
// given kind; writes are bounded by writeTimeout.
func (c *clients) get(ctx context.Context, from, to, kind string, writeTimeout ...time.Duration) (*dynamodb.Client, error) {
	key := fmt.Sprintf("%s>%s/%s%v", from, to, kind, writeTimeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byKey[key]; ok {
		return cl, nil
	}
	configure := map[string]func(*dynamodb.Options){
		clientRead: dynamo.ConfigureClient, clientWrite: dynamo.ConfigureWriteClient, clientSetup: configureSetup,
		clientReplication: configureReplication, clientProbe: dynamo.ConfigureWriteClient,
	}[kind]
	if kind == clientWrite && len(writeTimeout) > 0 {
		configure = configureWrite(writeTimeout[0])
	}
	// The client signs for the replica's region: DynamoDB Local keeps a
	// database per signing region. The functions' clients take the extra
	// options too (hush-load meters their requests).
	fns := []func(*dynamodb.Options){dynamoclient.Secret(c.secret), configure}
	if kind == clientRead || kind == clientWrite || kind == clientProbe {
		fns = append(fns, c.extra...)
	}
	// Each function's clients are its identity: its own policy is checked
	// on every call, as IAM checks its role's.
	if fn := map[string]api.Function{clientRead: api.FunctionRead, clientProbe: api.FunctionRead, clientWrite: api.FunctionWrite}[kind]; fn != "" && c.iam != nil {
		fns = append(fns, c.iam.Options(fn, from))
	}
	if kind == clientWrite && c.conflicts != nil {
		fns = append(fns, c.conflicts.Install)
	}
	cl, err := dynamoclient.ForEndpoint(c.endpoint(from, to), to, fns...)
	if err != nil {
		return nil, fmt.Errorf("localcloud: dynamodb client of %s from %s: %w", to, from, err)
	}
	if c.byKey == nil {
		c.byKey = map[string]*dynamodb.Client{}
	}
	c.byKey[key] = cl
	return cl, nil
}

// replicationClients are the clients of the link from->to, for the
// replicator: one attempt each, since the replicator retries by itself.
func (c *clients) replication(from, to string) (replicator.Clients, error) {
	db, err := c.get(context.Background(), from, to, clientReplication)
	if err != nil {
		return replicator.Clients{}, err
	}
	cfg := aws.Config{
		Region:           to,
		Credentials:      credentials.NewStaticCredentialsProvider("local", c.secret, ""),
		HTTPClient:       awshttp.NewBuildableClient().WithTimeout(replicationCallTimeout),
		RetryMaxAttempts: 1,
	}
	key := from + ">" + to
	if c, ok := c.streams.Load(key); ok {
		return replicator.Clients{DB: db, Streams: c.(*dynamodbstreams.Client)}, nil
	}
	endpoint := c.endpoint(from, to)
	streams := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(endpoint) })
	c.streams.Store(key, streams)
	return replicator.Clients{DB: db, Streams: streams}, nil
}

// warmUpTable is a scratch table in each region's replica that the
// warm-up writes to: it has no stream the replicator reads, so nothing the
// warm-up does reaches another region or the API's data.
const warmUpTable = "hush-warmup"

// warmUp runs a few transactions of the kinds the write function runs (a
// Put with an Update, then Deletes) against a scratch table of region's
// replica, and a condition check against the table itself, and ignores
// how they end. DynamoDB Local answers its first transactions after a
// start slowly (class loading and JIT, seconds on a busy machine), and the
// write path's bounds, which are AWS's, would turn the first writes into
// 503s.
func (c *clients) warmUp(ctx context.Context, region, table string) {
	cl, err := c.get(ctx, region, region, clientSetup)
	if err != nil {
		return
	}
	key := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			dynamo.AttrPK: &types.AttributeValueMemberS{Value: pk},
			dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk},
		}
	}
	// A condition check on a key no item has is cancelled without
	// writing, so nothing reaches the table's stream.
	_, _ = cl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{
		ConditionCheck: &types.ConditionCheck{
			TableName: aws.String(table), Key: key("HUSH#WARMUP", "HUSH#WARMUP"), ConditionExpression: aws.String("attribute_exists(PK)"),
		},
	}}})
	if err := dynamo.CreateTable(ctx, cl, warmUpTable); err != nil {
		return
	}
	for i := range 3 {
		item := key("WARMUP", fmt.Sprintf("match#%d", i))
		item["n"] = &types.AttributeValueMemberN{Value: "1"}
		_, _ = cl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(warmUpTable), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Update: &types.Update{
				TableName: aws.String(warmUpTable), Key: key("WARMUP", "standing"), UpdateExpression: aws.String("ADD n :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
			}},
		}})
		_, _ = cl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: aws.String(warmUpTable), Key: key("WARMUP", fmt.Sprintf("match#%d", i))}},
			{Delete: &types.Delete{TableName: aws.String(warmUpTable), Key: key("WARMUP", "standing")}},
		}})
	}
}
