package replicator_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestKeepsALocalWriteCommittedWhileItsReadTravels commits a write in the
// target region while a link's read of the target is on its way there (a
// cross-region read is served a round trip or more after it is sent), just
// after the target's reader found its stream empty: the read returns the
// write before the reader has seen it. The link must wait for the reader
// and find the write newer, not take it for content older than any change
// and overwrite it. The race needs no outage; a region's return, when the
// lost region's backlog arrives while the new write region keeps writing,
// makes it likely.
func TestKeepsALocalWriteCommittedWhileItsReadTravels(t *testing.T) {
	w := newWorld(t, false)
	const from, to = "eu-central-1", "eu-west-1"
	w.put(from, "x", "first")
	w.converge("x", is("first"))

	var (
		armed, gated atomic.Bool
		release      = make(chan struct{})
		mu           sync.Mutex
		hookErr      error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		hookErr = errors.Join(hookErr, err)
	}
	local := key("x")
	local["score"] = &types.AttributeValueMemberS{Value: "local write"}
	local["n"] = &types.AttributeValueMemberN{Value: "8"}
	w.mu.Lock()
	w.hook = func(f, tt string, req *http.Request) {
		target := req.Header.Get("X-Amz-Target")
		switch {
		case f == from && tt == to && target == "DynamoDB_20120810.BatchGetItem" && armed.CompareAndSwap(true, false):
			// The read is on its way: the target's reader finds its
			// stream empty once more, then is held while the target's
			// own write commits, before the read reaches the replica.
			sent := time.Now()
			for deadline := sent.Add(20 * time.Second); !w.rep.Polled(to).After(sent); {
				if time.Now().After(deadline) {
					fail(fmt.Errorf("the reader of %s found its stream empty no more after %s", to, sent))
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			gated.Store(true)
			time.Sleep(300 * time.Millisecond) // a read under way ends
			if _, err := w.op(to, to).DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(w.table), Item: local}); err != nil {
				fail(fmt.Errorf("the local write in %s: %w", to, err))
			}
			go func() {
				time.Sleep(time.Second)
				gated.Store(false)
				close(release)
			}()
		case f == to && tt == to && target == "DynamoDBStreams_20120810.GetRecords" && gated.Load():
			<-release
		}
	}
	w.mu.Unlock()
	armed.Store(true)
	w.put(from, "x", "second")

	// The local write is the last: every replica must end with it.
	w.converge("x", is("local write"))
	if armed.Load() {
		t.Fatalf("the link %s->%s never read the target: the race was not staged", from, to)
	}
	mu.Lock()
	defer mu.Unlock()
	if hookErr != nil {
		t.Fatalf("staging the race: %v", hookErr)
	}
}
