package components_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/iampolicy"
	"github.com/hush-scores/hush/iampolicy/awscall"
	"github.com/hush-scores/hush/internal/apitour"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The regions of the derivation: a reader outside the write region makes
// every kind of call there is (its own replica, the index, the probe of
// the write region's replica).
const (
	derivedLocal = "us-east-1"
	derivedWrite = "eu-central-1"
)

var derived struct {
	once  sync.Once
	auths map[api.Function][]awscall.Auth
	err   string
}

// derivedAuths returns, per function, the IAM authorisations its code
// really needs: the API tour (every route, every store path) runs against
// DynamoDB Local with each function's clients metered by dynamo.Meter and
// wired as the Lambda mains wire them (handlers/internal/tablestore): the
// read function reads its region's replica and probes the write region's,
// the write function writes the write region's. Auth.Region is
// derivedLocal or derivedWrite; grantsFor maps them onto a real pair.
func derivedAuths(t *testing.T) map[api.Function][]awscall.Auth {
	t.Helper()
	derived.once.Do(func() {
		setup := dynamotest.Start(t, patient)
		table := dynamotest.NewTable(t, setup, dynamo.CreateTable)
		meters := map[api.Function]*dynamo.Meter{api.FunctionRead: {}, api.FunctionWrite: {}}
		client := func(fn api.Function, region string) *dynamodb.Client {
			c, err := dynamolocal.NewClient(context.Background(), dynamotest.Endpoint(t), region, dynamo.ConfigureClient, patient, meters[fn].Install)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		read := api.Deps{
			Store: dynamo.NewStore(client(api.FunctionRead, derivedLocal), table), Region: derivedLocal, WriteRegion: derivedWrite,
			WriteProbe:   dynamo.NewStore(client(api.FunctionRead, derivedWrite), table),
			WriteTimeout: 30 * time.Second, // this is about which calls, not how fast
		}
		write := read
		write.Store, write.WriteProbe = dynamo.NewStore(client(api.FunctionWrite, derivedWrite), table), nil
		handlers := map[api.Function]http.Handler{
			api.FunctionHello: api.NewHandler(api.FunctionHello, api.Deps{Region: derivedLocal}),
			api.FunctionRead:  api.NewHandler(api.FunctionRead, read),
			api.FunctionWrite: api.NewHandler(api.FunctionWrite, write),
		}
		for _, s := range apitour.Run(context.Background(), handlers, "grants") {
			if s.Status < 200 || s.Status > 299 {
				derived.err += "\n" + s.String()
			}
		}
		derived.auths = map[api.Function][]awscall.Auth{}
		for fn, m := range meters {
			for a := range m.Take().Auths {
				a.Table = "" // the table's name comes from the stack
				derived.auths[fn] = append(derived.auths[fn], a)
			}
		}
	})
	if derived.err != "" {
		t.Fatalf("the API tour that finds the calls failed:%s", derived.err)
	}
	return derived.auths
}

// grantsFor returns the (action, resource) pairs fn really needs in
// region with writeRegion taking the writes, of account and table.
func grantsFor(t *testing.T, fn api.Function, region, writeRegion, table string) map[[2]string]bool {
	t.Helper()
	need := map[[2]string]bool{}
	for _, a := range derivedAuths(t)[fn] {
		switch a.Region {
		case derivedLocal:
			a.Region = region
		case derivedWrite:
			a.Region = writeRegion
		default:
			t.Fatalf("the %s function called region %q, neither its own nor the write region", fn, a.Region)
		}
		a.Table = table
		need[[2]string{a.Action, a.Resource(account)}] = true
	}
	return need
}

// checkGrantsMatchCalls fails unless the policy doc of fn in region allows
// every DynamoDB call fn's code makes there, and grants no DynamoDB action
// on a resource the code never calls it on.
func checkGrantsMatchCalls(t *testing.T, name, doc string, fn api.Function, region, writeRegion, table string) {
	t.Helper()
	need := grantsFor(t, fn, region, writeRegion, table)
	policy, err := iampolicy.Parse(doc)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for pair := range need {
		if got := iampolicy.Evaluate(pair[0], pair[1], policy); got != iampolicy.Allowed {
			t.Errorf("%s: the code calls %s on %s, which the policy refuses (%v): every such call would fail with AccessDeniedException", name, pair[0], pair[1], got)
		}
	}
	for _, st := range policy.Statement {
		for _, action := range st.Action {
			if !slices.Contains([]string{"dynamodb"}, prefixOf(action)) {
				continue
			}
			for _, r := range st.Resource {
				if !need[[2]string{action, r}] {
					t.Errorf("%s: statement %q grants %s on %s, which the code never calls", name, st.Sid, action, r)
				}
			}
		}
	}
}

func prefixOf(action string) string {
	for i := range action {
		if action[i] == ':' {
			return action[:i]
		}
	}
	return action
}

// patient bounds calls loosely: this test is about which calls are made
// and allowed, not how fast, and a cold DynamoDB Local on a busy machine
// takes seconds.
func patient(o *dynamodb.Options) {
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(30 * time.Second)
}
