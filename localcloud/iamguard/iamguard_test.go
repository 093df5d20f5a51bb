package iamguard_test

import (
	"bytes"
	"context"
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
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/iampolicy"
	"github.com/hush-scores/hush/internal/apitour"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/localcloud/iamguard"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The reader runs outside the write region, so it makes every kind of call
// a function makes: local reads, the index query and the probe of the
// write region. DynamoDB Local runs with -sharedDb here, so both regions
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

// wire builds the functions as the local cloud does, each with clients
// guarded by its own policy, and returns them with the log they write.
func wire(t *testing.T, table string, edit func(api.Function, iampolicy.Document) iampolicy.Document) (map[api.Function]http.Handler, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	p := &iamguard.Policies{Stack: "test", Table: table, Index: dynamo.IndexGSI1, Logger: logger, Edit: edit}
	client := func(fn api.Function, from, to string) *dynamodb.Client {
		c, err := dynamolocal.NewClient(context.Background(), dynamotest.Endpoint(t), to, dynamo.ConfigureClient, patient, p.Options(fn, from, writeRegion))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	read := api.Deps{
		Store: dynamo.NewStore(client(api.FunctionRead, readRegion, readRegion), table), Region: readRegion, WriteRegion: writeRegion,
		WriteProbe: dynamo.NewStore(client(api.FunctionRead, readRegion, writeRegion), table), Logger: logger,
		// Far from the bounds of a busy machine: this test is about grants.
		WriteTimeout: 30 * time.Second,
	}
	write := read
	write.Store, write.WriteProbe = dynamo.NewStore(client(api.FunctionWrite, readRegion, writeRegion), table), nil
	return map[api.Function]http.Handler{
		api.FunctionHello: api.NewHandler(api.FunctionHello, api.Deps{Region: readRegion, Logger: logger}),
		api.FunctionRead:  api.NewHandler(api.FunctionRead, read),
		api.FunctionWrite: api.NewHandler(api.FunctionWrite, write),
	}, logs
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
	p := &iamguard.Policies{Stack: "test", Table: table, Index: dynamo.IndexGSI1}
	for _, fn := range []api.Function{api.FunctionRead, api.FunctionWrite} {
		var actions []string
		for _, st := range p.Principal(fn, readRegion, writeRegion).Policy.Statement {
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
