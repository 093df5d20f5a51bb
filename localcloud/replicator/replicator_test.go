package replicator_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud/regionnet"
	"github.com/hush-scores/hush/localcloud/replicator"
)

var regions = []string{"eu-central-1", "eu-west-1", "us-east-1"}

const delay = 200 * time.Millisecond

// shared is one DynamoDB Local for the tests that do not restart it: a JVM
// start costs seconds on a busy machine. Each test has its own table.
var shared struct {
	once sync.Once
	dir  string
	db   *dynamolocal.Instance
	err  error
	n    int
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.db != nil {
		_ = shared.db.Stop()
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// world is DynamoDB Local with a replica per region, the links between the
// regions and a replicator.
type world struct {
	t       testing.TB
	dir     string
	table   string
	own     bool // db is this test's own, restarted by it
	db      *dynamolocal.Instance
	net     *regionnet.Network
	rep     *replicator.Replicator
	mu      sync.Mutex
	clients map[string]replicator.Clients
	// saveInterval is the replicator's SaveInterval; 0 means the default.
	saveInterval time.Duration
	// hook, when set, sees every request of the replicator's clients
	// before it is sent, and may hold it there.
	hook func(from, to string, req *http.Request)
}

func newWorld(t testing.TB, own bool) *world {
	t.Helper()
	testtier.Needs(t, testtier.DynamoDBLocal)
	w := &world{t: t, dir: t.TempDir(), clients: map[string]replicator.Clients{}, own: own, table: "hush-test"}
	if own {
		w.startDB(0)
	} else {
		shared.once.Do(func() {
			shared.dir, shared.err = os.MkdirTemp("", "replicator-test-")
			if shared.err != nil {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*dynamolocal.ReadyTimeout)
			defer cancel()
			shared.db, shared.err = dynamolocal.Start(ctx, dynamolocal.Options{DataDir: shared.dir, PerRegion: true})
		})
		if shared.err != nil {
			t.Fatalf("start DynamoDB Local: %v", shared.err)
		}
		shared.n++
		w.db, w.table = shared.db, fmt.Sprintf("hush-test-%d", shared.n)
	}
	t.Cleanup(func() {
		if w.rep != nil {
			w.rep.Close()
		}
		w.net.Close()
		if w.own {
			_ = w.db.Stop()
		}
	})
	n, err := regionnet.Start(regionnet.Options{Regions: regions, Target: w.db.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	w.net = n
	for _, r := range regions {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		err := dynamo.CreateTable(ctx, w.op(r, r).DB, w.table)
		cancel()
		if err != nil {
			t.Fatalf("create table in %s: %v", r, err)
		}
	}
	w.startReplicator()
	return w
}

func (w *world) startDB(port int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*dynamolocal.ReadyTimeout)
	defer cancel()
	db, err := dynamolocal.Start(ctx, dynamolocal.Options{Port: port, DataDir: w.dir + "/db", PerRegion: true})
	if err != nil {
		w.t.Fatalf("start DynamoDB Local: %v", err)
	}
	w.db = db
}

func (w *world) startReplicator() {
	w.t.Helper()
	rep, err := replicator.Start(replicator.Options{
		Regions: regions, Table: w.table, Delay: delay, Dir: w.dir, SaveInterval: w.saveInterval,
		Clients: func(from, to string) (replicator.Clients, error) { return w.client(from, to), nil },
	})
	if err != nil {
		w.t.Fatalf("start replicator: %v", err)
	}
	w.rep = rep
}

// client returns the replicator's clients of the link from->to: calls into
// a partition give up after a few seconds.
func (w *world) client(from, to string) replicator.Clients {
	return w.clientWith(from, to, 3*time.Second, true)
}

// op returns the test's own clients, patient with a cold DynamoDB Local on
// a busy machine.
func (w *world) op(from, to string) replicator.Clients {
	return w.clientWith(from, to, 20*time.Second, false)
}

// clientWith returns clients of the link from->to whose calls give up
// after timeout; hooked ones pass their requests to w.hook first.
func (w *world) clientWith(from, to string, timeout time.Duration, hooked bool) replicator.Clients {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := fmt.Sprintf("%s>%s/%s/%v", from, to, timeout, hooked)
	if c, ok := w.clients[k]; ok {
		return c
	}
	var hc aws.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout)
	if hooked {
		hc = hookedClient{w: w, from: from, to: to, next: hc}
	}
	cfg := aws.Config{
		Region:      to,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  hc,
	}
	endpoint := w.net.Endpoint(from, to)
	c := replicator.Clients{
		DB:      dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) }),
		Streams: dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(endpoint) }),
	}
	w.clients[k] = c
	return c
}

// hookedClient passes each request to its world's hook before sending it.
type hookedClient struct {
	w        *world
	from, to string
	next     aws.HTTPClient
}

func (c hookedClient) Do(req *http.Request) (*http.Response, error) {
	c.w.mu.Lock()
	hook := c.w.hook
	c.w.mu.Unlock()
	if hook != nil {
		hook(c.from, c.to, req)
	}
	return c.next.Do(req)
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "T#" + id},
		"SK": &types.AttributeValueMemberS{Value: "M#" + id},
	}
}

// put writes id in region's replica directly, with score as its content.
func (w *world) put(region, id, score string) {
	w.t.Helper()
	it := key(id)
	it["score"] = &types.AttributeValueMemberS{Value: score}
	it["n"] = &types.AttributeValueMemberN{Value: "7"}
	it["points"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"p1": &types.AttributeValueMemberN{Value: "11"}}}}}
	if _, err := w.op(region, region).DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(w.table), Item: it}); err != nil {
		w.t.Fatalf("put %s in %s: %v", id, region, err)
	}
}

// get returns id's score in region's replica, "" when absent.
func (w *world) get(region, id string) string {
	w.t.Helper()
	out, err := w.op(region, region).DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(w.table), Key: key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		w.t.Fatalf("get %s in %s: %v", id, region, err)
	}
	if s, ok := out.Item["score"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// converge waits until every replica holds the same score for id and
// returns it.
func (w *world) converge(id string, want func(string) bool) string {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []string
		same := true
		for _, r := range regions {
			got = append(got, w.get(r, id))
			same = same && got[len(got)-1] == got[0]
		}
		if same && want(got[0]) {
			return got[0]
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s did not converge: %v across %v; links %+v", id, got, regions, w.rep.Links())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func is(v string) func(string) bool { return func(s string) bool { return s == v } }

func TestReplicatesPutsAndDeletes(t *testing.T) {
	w := newWorld(t, false)
	w.put("eu-west-1", "m1", "5,4,9")
	w.converge("m1", is("5,4,9"))
	if _, err := w.op("us-east-1", "us-east-1").DB.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(w.table), Key: key("m1")}); err != nil {
		t.Fatal(err)
	}
	w.converge("m1", is(""))
}

// TestNeverEchoes counts the changes each link applied: one write in one
// region makes one change per other region, and none comes back.
func TestNeverEchoes(t *testing.T) {
	w := newWorld(t, false)
	w.put("eu-central-1", "m1", "1,2,3")
	w.converge("m1", is("1,2,3"))
	time.Sleep(3 * delay) // an echo would have been applied by now
	for _, l := range w.rep.Links() {
		want := int64(0)
		if l.From == "eu-central-1" {
			want = 1
		}
		if l.Applied != want || l.Backlog != 0 {
			t.Errorf("link %s->%s applied %d with backlog %d, want %d and 0", l.From, l.To, l.Applied, l.Backlog, want)
		}
	}
}

// TestConflictsConvergeOnTheLastWriter writes one key in two replicas
// within the delay, many times over: every replica ends with the same
// content, whichever it is.
func TestConflictsConvergeOnTheLastWriter(t *testing.T) {
	w := newWorld(t, false)
	for i := range 5 {
		id := fmt.Sprintf("c%d", i)
		var wg sync.WaitGroup
		for _, r := range []string{"eu-central-1", "us-east-1"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.put(r, id, "from "+r)
			}()
		}
		wg.Wait()
		got := w.converge(id, func(s string) bool { return s != "" })
		t.Logf("%s converged on %q", id, got)
	}
	// A later write wins over an earlier one everywhere.
	w.put("eu-central-1", "late", "first")
	w.converge("late", is("first"))
	w.put("eu-west-1", "late", "second")
	w.converge("late", is("second"))
}

// TestCutOffHoldsChangesUntilRestored partitions a region: its replica
// gets nothing, the others go on, and the backlog drains once it is back.
func TestCutOffHoldsChangesUntilRestored(t *testing.T) {
	w := newWorld(t, false)
	if err := w.net.CutOff("eu-west-1"); err != nil {
		t.Fatal(err)
	}
	w.put("eu-central-1", "m1", "6,-4,7,10")
	w.put("eu-west-1", "m2", "inside")
	deadline := time.Now().Add(30 * time.Second)
	for w.get("us-east-1", "m1") != "6,-4,7,10" {
		if time.Now().After(deadline) {
			t.Fatalf("m1 never reached us-east-1 while eu-west-1 was cut off: %+v", w.rep.Links())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := w.get("eu-west-1", "m1"); got != "" {
		t.Errorf("m1 reached eu-west-1 through a partition: %q", got)
	}
	if got := w.get("us-east-1", "m2"); got != "" {
		t.Errorf("m2 left eu-west-1 through a partition: %q", got)
	}
	for _, l := range w.rep.Links() {
		if l.From == "eu-central-1" && l.To == "eu-west-1" && (l.Backlog != 1 || l.Lag <= 0) {
			t.Errorf("link into the partition: %+v, want a backlog of 1 with a lag", l)
		}
	}
	if err := w.net.Reconnect("eu-west-1"); err != nil {
		t.Fatal(err)
	}
	w.converge("m1", is("6,-4,7,10"))
	w.converge("m2", is("inside"))
}

// TestResumesAfterRestarts stops the replicator, writes, starts it again;
// then restarts DynamoDB Local on its data and writes again: nothing is
// lost and nothing old is replayed over newer data.
func TestResumesAfterRestarts(t *testing.T) {
	w := newWorld(t, true)
	w.put("eu-central-1", "m1", "before")
	w.converge("m1", is("before"))
	if err := w.rep.Close(); err != nil {
		t.Fatal(err)
	}
	w.put("eu-central-1", "m2", "while the replicator was down")
	w.put("us-east-1", "m1", "newer")
	w.startReplicator()
	w.converge("m2", is("while the replicator was down"))
	w.converge("m1", is("newer"))

	port := w.db.Port()
	if err := w.db.Stop(); err != nil {
		t.Fatal(err)
	}
	w.put2Fails("eu-west-1")
	w.startDB(port)
	w.put("eu-west-1", "m3", "after DynamoDB Local restarted")
	w.converge("m3", is("after DynamoDB Local restarted"))
	w.converge("m1", is("newer"))
	w.converge("m2", is("while the replicator was down"))
}

// put2Fails checks that a write to a stopped DynamoDB Local fails, so the
// restart above really was one.
func (w *world) put2Fails(region string) {
	w.t.Helper()
	_, err := w.client(region, region).DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(w.table), Item: key("x")}, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	if err == nil {
		w.t.Fatal("a put with DynamoDB Local stopped succeeded")
	}
}

// pendingIDs returns the ids of the items the link from->to has not
// delivered yet.
func (w *world) pendingIDs(from, to string) []string {
	var ids []string
	for _, p := range w.rep.Pending(from, to) {
		ids = append(ids, strings.TrimPrefix(p.Keys["SK"], "M#"))
	}
	return ids
}

// TestPendingListsWhatALostRegionHasNotDelivered loses a region right
// after a write in it: the write is pending on both of its links, and only
// there; a write elsewhere meanwhile is pending into it alone. After the
// region returns, both are delivered, and a later write made elsewhere to
// the lost region's item wins over it (its version is its commit time).
func TestPendingListsWhatALostRegionHasNotDelivered(t *testing.T) {
	w := newWorld(t, false)
	// Cut off first, so that the write cannot leave before the loss
	// however slow the machine is; the loss then replaces the cut-off.
	if err := w.net.CutOff("eu-central-1"); err != nil {
		t.Fatal(err)
	}
	w.put("eu-central-1", "lost", "written just before the loss")
	if err := w.net.Lose("eu-central-1"); err != nil {
		t.Fatal(err)
	}
	if err := w.net.Reconnect("eu-central-1"); err != nil {
		t.Fatal(err)
	}
	w.put("us-east-1", "meanwhile", "written during the loss")
	want := map[[2]string][]string{
		{"eu-central-1", "eu-west-1"}: {"lost"},
		{"eu-central-1", "us-east-1"}: {"lost"},
		{"us-east-1", "eu-central-1"}: {"meanwhile"},
		{"us-east-1", "eu-west-1"}:    nil,
		{"eu-west-1", "eu-central-1"}: nil,
		{"eu-west-1", "us-east-1"}:    nil,
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var wrong []string
		for link, ids := range want {
			if got := w.pendingIDs(link[0], link[1]); !slices.Equal(got, ids) {
				wrong = append(wrong, fmt.Sprintf("%s->%s pending %v, want %v", link[0], link[1], got, ids))
			}
		}
		if len(wrong) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with eu-central-1 lost: %s", strings.Join(wrong, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p := w.rep.Pending("eu-central-1", "us-east-1")[0]; p.Keys["PK"] != "T#lost" || p.Deleted || p.Seen.IsZero() || p.Values["score"] != "written just before the loss" || p.Values["n"] != "7" {
		t.Errorf("pending change = %+v, want the put of T#lost with its values and the time it was seen", p)
	}
	if got := w.rep.Pending("eu-central-1", "eu-central-1"); got != nil {
		t.Errorf("Pending of a region to itself = %v, want nil", got)
	}
	// Made while the region is lost, after its write: newer.
	w.put("eu-west-1", "lost", "edited after the loss")
	if err := w.net.Return("eu-central-1"); err != nil {
		t.Fatal(err)
	}
	w.converge("meanwhile", is("written during the loss"))
	w.converge("lost", is("edited after the loss"))
	// The lost region's own change is done with once its link has
	// compared it with the newer edit, which may take a round after its
	// back-off.
	deadline = time.Now().Add(30 * time.Second)
	for {
		var left []string
		for _, l := range w.rep.Links() {
			if p := w.pendingIDs(l.From, l.To); len(p) != 0 {
				left = append(left, fmt.Sprintf("%s->%s %v", l.From, l.To, p))
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still pending 30 s after the return: %s", strings.Join(left, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
