package replicator_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// drainItems is the backlog BenchmarkBacklogDrain builds: 9000 is the
// 3,000-match tournament of make bench-day (a match and two player links
// each), whose standings lines come on top.
var drainItems = flag.Int("drain-items", 1000, "items of the backlog BenchmarkBacklogDrain drains")

// BenchmarkBacklogDrain writes a backlog of distinct items into one
// replica with the replicator stopped, starts it and measures how long
// the other replicas take to hold every item; it reports changes applied
// per second per link.
func BenchmarkBacklogDrain(b *testing.B) {
	items := *drainItems
	for n := range b.N {
		b.StopTimer()
		w := newWorld(b, false)
		if err := w.rep.Close(); err != nil {
			b.Fatal(err)
		}
		w.rep = nil
		db := w.op("eu-central-1", "eu-central-1").DB
		for i := 0; i < items; i += 25 {
			var reqs []types.WriteRequest
			for j := i; j < i+25 && j < items; j++ {
				it := key(fmt.Sprintf("b%d-%d", n, j))
				it["score"] = &types.AttributeValueMemberS{Value: "11,7"}
				reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
			}
			if _, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{w.table: reqs}}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		began := time.Now()
		w.startReplicator()
		for {
			done := true
			for _, l := range w.rep.Links() {
				if l.From == "eu-central-1" && l.Applied < int64(items) {
					done = false
				}
			}
			if done {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		took := time.Since(began)
		b.StopTimer()
		for _, l := range w.rep.Links() {
			if l.From == "eu-central-1" {
				b.Logf("%s->%s: %d changes, %d writes, busy rate %.0f/s", l.From, l.To, l.Applied, l.Writes, l.BusyRate)
			}
		}
		b.ReportMetric(float64(items)/took.Seconds(), "changes/s/link")
		out, err := w.op("us-east-1", "us-east-1").DB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(w.table), Select: types.SelectCount})
		if err != nil || int(out.Count) != items {
			b.Fatalf("us-east-1 holds %d items (%v), want %d", out.Count, err, items)
		}
	}
}
