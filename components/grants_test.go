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
	"github.com/hush-scores/hush/api/wiring"
	"github.com/hush-scores/hush/components"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/iampolicy"
	"github.com/hush-scores/hush/iampolicy/awscall"
	"github.com/hush-scores/hush/internal/apitour"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/writeregion"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The regions of the derivation: the functions run in derivedLocal and the
// write region's record names derivedWrite, so the reader makes every kind
// of call there is (its own replica, the index, its belief, the probe of
// the write region's replica) and the writer too (its belief in its own
// replica, the lease renewed through both, the writes in the write
// region's).
const (
	derivedLocal = "us-east-1"
	derivedWrite = "eu-central-1"
)

var derived struct {
	once  sync.Once
	auths map[api.Function][]awscall.Auth
	err   string
}

// meteredOpener opens a function's stores and controls with clients
// metered by one dynamo.Meter, as the Lambda mains open them.
type meteredOpener struct {
	t     *testing.T
	meter *dynamo.Meter
	table string
}

func (o meteredOpener) client(region string) *dynamodb.Client {
	c, err := dynamolocal.NewClient(context.Background(), dynamotest.Endpoint(o.t), region, dynamo.ConfigureClient, patient, o.meter.Install)
	if err != nil {
		o.t.Fatal(err)
	}
	return c
}

func (o meteredOpener) Store(_ wiring.Kind, region string) (wiring.Store, error) {
	return dynamo.NewStore(o.client(region), o.table), nil
}

func (o meteredOpener) Control(_ wiring.Kind, region string) (writeregion.Control, error) {
	return dynamo.NewControl(o.client(region), o.table, region), nil
}

// derivedAuths returns, per function, the IAM authorisations its code
// really needs: the API tour (every route, every store path) runs against
// DynamoDB Local with each function's clients metered by dynamo.Meter and
// wired by package wiring, as the Lambda mains wire them
// (handlers/internal/tablestore), over views seeded as the program seeds
// them. Auth.Region is derivedLocal or derivedWrite; grantsFor maps them
// onto a real stack.
func derivedAuths(t *testing.T) map[api.Function][]awscall.Auth {
	t.Helper()
	derived.once.Do(func() {
		setup := dynamotest.Start(t, patient)
		table := dynamotest.NewTable(t, setup, dynamo.CreateTable)
		regions := []string{derivedWrite, derivedLocal}
		for _, r := range regions {
			c, err := dynamolocal.NewClient(context.Background(), dynamotest.Endpoint(t), r, dynamo.ConfigureClient, patient)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dynamo.NewControl(c, table, r).Seed(context.Background(), components.SeedView(r, derivedWrite)); err != nil {
				t.Fatalf("seed the view of %s: %v", r, err)
			}
		}
		meters := map[api.Function]*dynamo.Meter{api.FunctionRead: {}, api.FunctionWrite: {}}
		handlers := map[api.Function]http.Handler{
			api.FunctionHello: api.NewHandler(api.FunctionHello, api.Deps{Region: derivedLocal}),
		}
		for fn, m := range meters {
			deps, err := wiring.Deps(wiring.Config{Function: fn, Region: derivedLocal, Regions: regions}, meteredOpener{t: t, meter: m, table: table})
			if err != nil {
				t.Fatalf("wire %s: %v", fn, err)
			}
			deps.WriteTimeout = 30 * time.Second // this is about which calls, not how fast
			handlers[fn] = api.NewHandler(fn, deps)
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
// region of a stack of regions, of account and table. A call made in
// derivedLocal is needed in region; a call made in the write region's
// replica is needed in every other region's (the write region moves at run
// time, to any of them) and, for the writer, in region's too (it may move
// here).
func grantsFor(t *testing.T, fn api.Function, region string, regions []string, table string) map[[2]string]bool {
	t.Helper()
	need := map[[2]string]bool{}
	for _, a := range derivedAuths(t)[fn] {
		var in []string
		switch a.Region {
		case derivedLocal:
			in = []string{region}
		case derivedWrite:
			for _, r := range regions {
				if r != region || fn == api.FunctionWrite {
					in = append(in, r)
				}
			}
		default:
			t.Fatalf("the %s function called region %q, neither its own nor the write region", fn, a.Region)
		}
		for _, r := range in {
			a.Region, a.Table = r, table
			need[[2]string{a.Action, a.Resource(account)}] = true
		}
	}
	return need
}

// checkGrantsMatchCalls fails unless the policy doc of fn in region allows
// every DynamoDB call fn's code makes there, and grants no DynamoDB action
// on a resource the code never calls it on.
func checkGrantsMatchCalls(t *testing.T, name, doc string, fn api.Function, region string, regions []string, table string) {
	t.Helper()
	need := grantsFor(t, fn, region, regions, table)
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
