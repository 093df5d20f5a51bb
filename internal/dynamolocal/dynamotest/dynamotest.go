// Package dynamotest gives tests a DynamoDB Local to talk to: one in-memory
// instance per test binary, shared by every test, and a fresh table per test.
// It lives apart from dynamolocal so that production binaries never import
// the testing package.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/internal/testtier"
)

// Region is the region the test clients claim; DynamoDB Local runs with
// -sharedDb, so any region sees the same tables.
const Region = "us-east-1"

// EnvEndpoint is the variable that points the tests at a running DynamoDB
// Local instead of starting one.
const EnvEndpoint = "HUSH_TEST_DYNAMODB_ENDPOINT"

var (
	once     sync.Once
	instance *dynamolocal.Instance
	startErr error
)

// Instance returns the shared DynamoDB Local of this test binary, starting it
// on first use. A failure to start fails the test with a message that says
// what to install. Under -short (make unit) the test is skipped instead:
// the fast tier runs no emulator.
func Instance(t testing.TB) *dynamolocal.Instance {
	t.Helper()
	testtier.Needs(t, testtier.DynamoDBLocal)
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*dynamolocal.ReadyTimeout)
		defer cancel()
		instance, startErr = dynamolocal.Start(ctx, dynamolocal.Options{})
	})
	if startErr != nil {
		t.Fatalf("start DynamoDB Local: %v", startErr)
	}
	select {
	case <-instance.Done():
		t.Fatalf("DynamoDB Local exited (%v); its output:\n%s", instance.Err(), instance.Output())
	default:
	}
	return instance
}

// Start returns a client of the shared instance. optFns run after the
// defaults, for example dynamo.ConfigureClient or middleware that counts
// requests.
//
// HUSH_TEST_DYNAMODB_ENDPOINT names a DynamoDB Local already running (with
// -sharedDb) to use instead: on a machine so busy that a fresh JVM misses
// the start-up timeout, start one by hand and point the tests at it.
func Start(t testing.TB, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	client, err := dynamoclient.ForEndpoint(Endpoint(t), Region, optFns...)
	if err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	return client
}

// Endpoint returns the URL of the DynamoDB Local the tests use: the one
// EnvEndpoint names, or the shared instance. Under -short (make unit) the
// test is skipped, even with EnvEndpoint set: the fast tier talks to no
// emulator.
func Endpoint(t testing.TB) string {
	t.Helper()
	testtier.Needs(t, testtier.DynamoDBLocal)
	if e := os.Getenv(EnvEndpoint); e != "" {
		return e
	}
	return Instance(t).Endpoint()
}

// Stop stops the shared instance if it was started. Call it from TestMain
// after m.Run; without it the kernel still ends the instance with the test
// binary (Linux), but Stop does so in order.
func Stop() {
	if instance != nil {
		_ = instance.Stop()
	}
}

// Main runs the tests of a package and stops the shared instance afterwards:
//
//	func TestMain(m *testing.M) { dynamotest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// CreateFunc creates a table named name; dynamo.CreateTable is one. It is a
// parameter so this package does not import the store it helps to test.
type CreateFunc func(ctx context.Context, client *dynamodb.Client, name string) error

// NewTable creates a uniquely named table with create and deletes it when
// the test ends.
func NewTable(t testing.TB, client *dynamodb.Client, create CreateFunc) string {
	t.Helper()
	name := "hush-test-" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := create(ctx, client, name); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	return name
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
