package iamguard_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/wiring"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/iampolicy"
	"github.com/hush-scores/hush/internal/apitour"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/localcloud/iamguard"
	"github.com/hush-scores/hush/writeregion"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The functions run outside the write region, so they make every kind of
// call a function makes: local reads, the index query, the belief read
// from the own replica's views, the probe of the write region, the lease
// renewed through both replicas and the writes in the write region's. DynamoDB Local runs with -sharedDb here, so both regions
// see one table; the ARNs still differ by region.
const (
	readRegion  = "us-east-1"
	writeRegion = "eu-central-1"
)

// syncBuffer collects log lines from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// guardedOpener opens one function's stores and controls with clients
// guarded by its own policy, as the local cloud does.
type guardedOpener struct {
	t     *testing.T
	guard func(*dynamodb.Options)
	table string
}

func (o guardedOpener) client(to string) *dynamodb.Client {
	c, err := dynamolocal.NewClient(context.Background(), dynamotest.Endpoint(o.t), to, dynamo.ConfigureClient, patient, o.guard)
	if err != nil {
		o.t.Fatal(err)
	}
	return c
}

func (o guardedOpener) Store(_ wiring.Kind, to string) (wiring.Store, error) {
	return dynamo.NewStore(o.client(to), o.table), nil
}

func (o guardedOpener) Control(_ wiring.Kind, to string) (writeregion.Control, error) {
	return dynamo.NewControl(o.client(to), o.table, to), nil
}

// wire builds the functions as the local cloud does (package wiring), each
// with clients guarded by its own policy, over views seeded with
// writeRegion, and returns them with the log they write.
func wire(t *testing.T, table string, edit func(api.Function, iampolicy.Document) iampolicy.Document) (map[api.Function]http.Handler, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	stack := []string{writeRegion, readRegion}
	p := &iamguard.Policies{Stack: "test", Table: table, Index: dynamo.IndexGSI1, Regions: stack, Logger: logger, Edit: edit}
	for _, r := range stack {
		c, err := dynamolocal.NewClient(context.Background(), dynamotest.Endpoint(t), r, dynamo.ConfigureClient, patient)
		if err != nil {
			t.Fatal(err)
		}
		seed := writeregion.View{WriteRegion: writeRegion, Epoch: 1, State: writeregion.Open, By: "test"}
		if _, err := dynamo.NewControl(c, table, r).Seed(context.Background(), seed); err != nil && !errors.Is(err, writeregion.ErrRefused) {
			t.Fatalf("seed the view of %s: %v", r, err)
		}
	}
	handlers := map[api.Function]http.Handler{
		api.FunctionHello: api.NewHandler(api.FunctionHello, api.Deps{Region: readRegion, Logger: logger}),
	}
	for _, fn := range []api.Function{api.FunctionRead, api.FunctionWrite} {
		deps, err := wiring.Deps(wiring.Config{Function: fn, Region: readRegion, Regions: stack}, guardedOpener{t: t, guard: p.Options(fn, readRegion), table: table})
		if err != nil {
			t.Fatalf("wire %s: %v", fn, err)
		}
		// Far from the bounds of a busy machine: this test is about grants.
		deps.Logger, deps.WriteTimeout = logger, 30*time.Second
		handlers[fn] = api.NewHandler(fn, deps)
	}
	return handlers, logs
}

func newTable(t *testing.T) string {
	t.Helper()
	return dynamotest.NewTable(t, dynamotest.Start(t, patient), dynamo.CreateTable)
}

// TestRealGrantsServeEveryRoute runs the tour with the policies as
// deployed: every step succeeds and nothing is denied.
func TestRealGrantsServeEveryRoute(t *testing.T) {
	table := newTable(t)
	handlers, logs := wire(t, table, nil)
	for _, s := range apitour.Run(t.Context(), handlers, "grants") {
		if s.Status < 200 || s.Status > 299 {
			t.Errorf("%v, want 2xx", s)
		}
	}
	if strings.Contains(logs.String(), iamguard.ErrorCode) {
		t.Errorf("the real grants were refused:\n%s", logs)
	}
}

// TestMissingGrantFailsLoudly takes away, one at a time, every DynamoDB
// action the read and write functions are granted. Each is needed: some
// step of the tour must then fail with 500, the status a missing grant
// gets (see dynamo.classify: a defect of the deployment, not an outage,
// so never 503), and the function's log must hold the AccessDeniedException
// naming the principal, the action and the resource. Only /v1/health
// answers 503: it reports whether the region can serve.
func TestMissingGrantFailsLoudly(t *testing.T) {
	table := newTable(t)
	p := &iamguard.Policies{Stack: "test", Table: table, Index: dynamo.IndexGSI1, Regions: []string{writeRegion, readRegion}}
	for _, fn := range []api.Function{api.FunctionRead, api.FunctionWrite} {
		var actions []string
		for _, st := range p.Principal(fn, readRegion).Policy.Statement {
			for _, a := range st.Action {
				if strings.HasPrefix(a, "dynamodb:") && !slices.Contains(actions, a) {
					actions = append(actions, a)
				}
			}
		}
		if len(actions) == 0 {
			t.Fatalf("function %s has no DynamoDB grant to take away", fn)
		}
		for _, action := range actions {
			t.Run(fmt.Sprintf("%s without %s", fn, action), func(t *testing.T) {
				without := func(f api.Function, doc iampolicy.Document) iampolicy.Document {
					if f != fn {
						return doc
					}
					for i, st := range doc.Statement {
						doc.Statement[i].Action = slices.DeleteFunc(slices.Clone(st.Action), func(a string) bool { return a == action })
					}
					return doc
				}
				handlers, logs := wire(t, table, without)
				steps := apitour.Run(t.Context(), handlers, "no-"+strings.TrimPrefix(action, "dynamodb:")+"-"+string(fn))
				failed := 0
				for _, s := range steps {
					switch {
					case s.Status == http.StatusInternalServerError:
						failed++
						t.Logf("as expected: %v", s)
					case s.Path == "/v1/health" && s.Status == http.StatusServiceUnavailable:
						// Health reports whether this region can serve, for
						// Route 53 to route by: a reader that may not read
						// cannot, so 503 is its right answer.
						t.Logf("as expected: %v", s)
					case s.Status >= 500:
						t.Errorf("%v: a missing grant must answer 500, not %d", s, s.Status)
					}
				}
				if failed == 0 {
					t.Errorf("no step failed without %s for the %s function: is the grant needed?\n%v", action, fn, steps)
				}
				log := logs.String()
				want := fmt.Sprintf("is not authorized to perform: %s on resource: arn:aws:dynamodb:", action)
				if !strings.Contains(log, iamguard.ErrorCode) || !strings.Contains(log, want) {
					t.Errorf("the log lacks the AccessDeniedException (%q):\n%s", want, log)
				}
				if !strings.Contains(log, fmt.Sprintf(":assumed-role/%s-%s-role/hush-test-%s", readRegion, fn, fn)) {
					t.Errorf("the log does not name the principal:\n%s", log)
				}
			})
		}
	}
}

// TestExplicitDenyWins adds a Deny of UpdateItem to the writer's policy,
// which still allows it: every write is refused.
func TestExplicitDenyWins(t *testing.T) {
	table := newTable(t)
	deny := func(fn api.Function, doc iampolicy.Document) iampolicy.Document {
		if fn == api.FunctionWrite {
			doc.Statement = append(doc.Statement, iampolicy.Statement{Effect: iampolicy.Deny, Action: []string{"dynamodb:Update*"}, Resource: []string{"*"}})
		}
		return doc
	}
	handlers, logs := wire(t, table, deny)
	steps := apitour.Run(t.Context(), handlers, "deny")
	if s := steps[2]; s.Function != api.FunctionWrite || s.Status != http.StatusInternalServerError {
		t.Errorf("create with UpdateItem denied: %v, want 500", s)
	}
	if !strings.Contains(logs.String(), "with an explicit deny") {
		t.Errorf("the log does not say the deny was explicit:\n%s", logs)
	}
}

// patient bounds calls loosely: this test is about which calls are made
// and allowed, not how fast, and a cold DynamoDB Local on a busy machine
// takes seconds.
func patient(o *dynamodb.Options) {
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(30 * time.Second)
}
