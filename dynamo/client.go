package dynamo

import (
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Bounds of one DynamoDB call made through ConfigureClient. A healthy table
// answers in milliseconds, so a call that needs longer is better failed
// (503) than left to hang until the Lambda or gateway times out. Worst case
// per call: MaxAttempts x RequestTimeout plus the backoffs, about 6.5 s; a
// refused connection fails in well under a second.
const (
	MaxAttempts    = 3
	MaxBackoff     = 200 * time.Millisecond
	RequestTimeout = 2 * time.Second
	DialTimeout    = time.Second
)

// Bounds of a call to the write region's replica, which may be in another
// region and may be cut off. The handler bounds the whole write to the same
// time (api.DefaultWriteTimeout), so a hanging write region answers 503
// within 2 s; the second attempt only runs after a fast failure (refused,
// reset, throttled), within what is left of the budget. The retry is safe:
// the SDK gives every TransactWriteItems a ClientRequestToken, so a
// transaction that committed but whose answer was lost is not applied
// twice. The standard retryer's retry quota stops retries once many calls
// have failed, so an outage does not become a retry storm.
const (
	WriteMaxAttempts    = 2
	WriteRequestTimeout = 1800 * time.Millisecond
	WriteDialTimeout    = 500 * time.Millisecond
)

// ConfigureWriteClient bounds a client of the write region's replica more
// tightly than ConfigureClient does, since every write waits on it.
func ConfigureWriteClient(o *dynamodb.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = WriteMaxAttempts
		so.MaxBackoff = MaxBackoff
	})
	o.HTTPClient = awshttp.NewBuildableClient().
		WithTimeout(WriteRequestTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = WriteDialTimeout })
}

// ConfigureClient bounds the retries and HTTP timeouts of a DynamoDB client.
// The Lambda mains and the local gateway pass it to dynamodb.NewFromConfig
// (or use NewClient), so a dead table fails fast instead of hanging.
func ConfigureClient(o *dynamodb.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = MaxAttempts
		so.MaxBackoff = MaxBackoff
	})
	o.HTTPClient = awshttp.NewBuildableClient().
		WithTimeout(RequestTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = DialTimeout })
}

// NewClient returns a DynamoDB client for cfg configured by ConfigureClient;
// optFns run afterwards, for example to set BaseEndpoint.
func NewClient(cfg aws.Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){ConfigureClient}, optFns...)...)
}

// EmulatorRequestTimeout bounds one request to DynamoDB Local in the local
// stack (ConfigureEmulator).
const EmulatorRequestTimeout = 10 * time.Second

// ConfigureEmulator is ConfigureClient for DynamoDB Local, with room for one
// of its habits: it makes a transaction wait for the items another
// transaction holds, where DynamoDB cancels it at once (TransactionConflict)
// and the store retries with backoff. With many writers on one tournament's
// standing items that wait can pass RequestTimeout, which would turn
// contention into 503s that DynamoDB would never answer. A stopped Local
// still fails at once: the connection is refused.
func ConfigureEmulator(o *dynamodb.Options) {
	ConfigureClient(o)
	o.HTTPClient = awshttp.NewBuildableClient().
		WithTimeout(EmulatorRequestTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = DialTimeout })
}
