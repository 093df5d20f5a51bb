package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/dynamo/dynamoclient"
)

// TestHostileInput is issue 7's catalog of what a careless or hostile client
// sends: malformed and truncated JSON, wrong types, huge numbers, deep
// nesting, unknown and duplicate fields, oversize bodies, control characters
// and odd Unicode in IDs and names, key-scheme injection, path traversal,
// forged, expired, tampered, wrong-client, wrong-pool and access tokens, and
// wrong methods. Each case states the status it must get (exact where the
// API's documentation determines it) and the form of the body: a handler's
// {"error", "fields"?} or one of API Gateway's own answers. Every answer must
// be under 500, carry JSON and leak nothing internal. Cases that are valid
// after all (an emoji in a player name) must be accepted, and are deleted
// again. Afterwards every ID and name the catalog used is proved absent
// through the API and, when the suite started the stack, in the table itself.
func TestHostileInput(t *testing.T) {
	fx := newHostileFixture(t)
	catalog := slices.Concat(
		fx.tokenCases(),
		fx.methodCases(),
		fx.typeCases(),
		fx.malformedCases(),
		fx.prefixCases(),
		fx.oddIDCases(),
		fx.oddNameCases(),
		fx.pathCases(),
		fx.queryCases(),
		fx.sizeCases(),
		fx.securityCases(), // issue 23: hostile_security_test.go
	)
	names := map[string]bool{}
	for _, c := range catalog {
		if names[c.category+"/"+c.name] {
			t.Fatalf("catalog: case %s/%s is listed twice", c.category, c.name)
		}
		names[c.category+"/"+c.name] = true
	}
	if len(catalog) < 200 {
		t.Fatalf("catalog: %d requests, issue 7 asks for at least 200", len(catalog))
	}

	perCategory := map[string]int{}
	failed := map[string]int{}
	for _, c := range catalog {
		perCategory[c.category]++
		ok := t.Run(c.category+"/"+c.name, func(t *testing.T) { fx.run(t, c) })
		if !ok {
			failed[c.category]++
		}
	}
	var summary strings.Builder
	fmt.Fprintf(&summary, "hostile catalog: %d requests\n", len(catalog))
	for _, cat := range slices.Sorted(maps.Keys(perCategory)) {
		fmt.Fprintf(&summary, "  %-10s %4d requests, %d wrong answers\n", cat, perCategory[cat], failed[cat])
	}
	t.Log(summary.String())

	t.Run("cleanup/accepted matches", fx.deleteAccepted)
	t.Run("afterwards/api", fx.checkAbsentThroughAPI)
	t.Run("afterwards/table", fx.checkAbsentInTable)
}

// form is the shape an answer's body must have.
type form int

const (
	// formError is a handler's {"error": "...", "fields"?: {...}}.
	formError form = iota
	// formMissingToken is API Gateway's 403 for an unknown route or method.
	formMissingToken
	// formUnauthorized is API Gateway's 401 for a refused token.
	formUnauthorized
	// formGatewayMessage is another of API Gateway's {"message": "..."}.
	formGatewayMessage
	// formEither is a handler's error or an API Gateway message: for a
	// limit that either may enforce first.
	formEither
	// formMatch is a stored match: the request was valid after all.
	formMatch
	// formPage is a 200 page of a list.
	formPage
	// formEmpty is no body at all (HEAD).
	formEmpty
)

// hostileCase is one request of the catalog and what it must get.
type hostileCase struct {
	category, name string
	method, url    string
	// auth is the raw Authorization header; none when empty. moreAuth are
	// further Authorization headers, sent after it.
	auth     string
	moreAuth []string
	headers  map[string]string
	// host replaces the Host header when set.
	host string
	// body is sent when not nil; chunked hides its length.
	body    []byte
	chunked bool
	// status is the exact status; statuses lists the acceptable ones when
	// the documentation leaves a choice.
	status   int
	statuses []int
	form     form
	// field must be named in the error's fields.
	field string
	// match is the tournament and match ID a formMatch answer stores.
	match [2]string
}

// hostileFixture is what the catalog needs: users, tokens, a sentinel
// tournament the bad tokens must not touch, and what was accepted.
type hostileFixture struct {
	t               *testing.T
	alice, bob      user
	home            string
	sentinel        string // tournament with matches m1 and m2, owned by alice
	writes          string // tournament of the body cases
	tokens          []namedToken
	cursor          string // a real cursor of the sentinel's results
	accepted        [][2]string
	acceptedPlayers []string
	hostileIDs      []string // IDs that must never reach the table
	hostileNames    []string // names that must never reach the table
	matchSeq        int
}

type namedToken struct{ name, value string }

func newHostileFixture(t *testing.T) *hostileFixture {
	t.Helper()
	alice, bob := users(t)
	fx := &hostileFixture{
		t: t, alice: alice, bob: bob, home: homeURL(),
		sentinel: tournament("hostile-sentinel"), writes: tournament("hostile"),
	}
	for _, id := range []string{"m1", "m2"} {
		r := post(t, alice, matchBody(fx.sentinel, id, "hann-"+runID, "hbea-"+runID, "5,4,9"))
		wantStatus(t, "create the sentinel match "+id, r, http.StatusOK)
	}
	r := do(t, http.MethodGet, fx.home+"/v1/tournament/"+fx.sentinel+"/results?limit=1", "", nil)
	wantStatus(t, "first page of the sentinel", r, http.StatusOK)
	var page struct{ Cursor string }
	decode(t, "first page of the sentinel", r, &page)
	if page.Cursor == "" {
		t.Fatalf("the first page of two matches with limit=1 has no cursor: %s", r)
	}
	fx.cursor = page.Cursor
	fx.tokens = hostileTokens(t, alice, bob)
	return fx
}

// validBody is a match the API accepts, with a fresh match ID.
func (fx *hostileFixture) validBody() (map[string]any, string) {
	fx.matchSeq++
	id := fmt.Sprintf("h%04d", fx.matchSeq)
	return matchBody(fx.writes, id, "hann-"+runID, "hbea-"+runID, "5,4,9"), id
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// write returns a POST of body to the write route with alice's ID token.
func (fx *hostileFixture) write(category, name string, body []byte) hostileCase {
	return hostileCase{
		category: category, name: name, method: http.MethodPost, url: fx.home + "/v1/tournament/match",
		auth: fx.alice.IDToken, body: body, status: http.StatusBadRequest, form: formError,
	}
}

// accepts marks c as valid after all: 200 with the stored match.
func (c hostileCase) accepts(tournamentID, matchID string) hostileCase {
	c.status, c.form, c.match = http.StatusOK, formMatch, [2]string{tournamentID, matchID}
	return c
}

// --- running a case -------------------------------------------------------

// noRedirects is a client that shows redirects instead of following them:
// a redirect is an answer too, and not one API Gateway gives.
var noRedirects = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// send makes c's request and reads the whole answer, backing off and
// trying again while the answer is API Gateway's 429 (see sendRetrying).
func send(ctx context.Context, c hostileCase) (response, error) {
	a, err := sendRetrying(ctx, noRedirects, func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if c.body != nil {
			rd = bytes.NewReader(c.body)
			if c.chunked {
				rd = io.MultiReader(rd) // hides the length, so the body is chunked
			}
		}
		req, err := http.NewRequestWithContext(ctx, c.method, c.url, rd)
		if err != nil {
			return nil, fmt.Errorf("build request: %w", err)
		}
		if c.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		for _, a := range c.moreAuth {
			req.Header.Add("Authorization", a)
		}
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		if c.host != "" {
			req.Host = c.host
		}
		return req, nil
	})
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", c.method, c.url, err)
	}
	return response{Status: a.Status, Header: a.Header, Body: a.Body}, nil
}

// leakMarkers are what an answer must never contain: names of the
// internals, and the marks of a panic or a stack trace.
var leakMarkers = []string{"dynamodb", "aws", "panic", "goroutine", "runtime error", ".go:", "exception", "stack trace", "github.com/", "hush-scores", "TOURNAMENT#", "MATCH#", "PLAYER#"}

// maxErrorBody bounds an error answer, so no hostile input comes back at
// length.
const maxErrorBody = 1024

func (fx *hostileFixture) run(t *testing.T, c hostileCase) {
	r, err := send(t.Context(), c)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	fx.noteStored(c, r)
	if r.Status >= 500 || r.Status < 200 {
		t.Fatalf("got %s; every answer must be under 500", short(r))
	}
	// A wrong status is the finding; the body's form follows from it.
	switch {
	case c.status != 0 && r.Status != c.status:
		t.Fatalf("got %s, want status %d", short(r), c.status)
	case c.status == 0 && len(c.statuses) > 0 && !slices.Contains(c.statuses, r.Status):
		t.Fatalf("got %s, want one of %v", short(r), c.statuses)
	case c.form != formMatch && c.form != formPage && r.Status < 400:
		t.Fatalf("got %s, want a 4xx", short(r))
	}
	if c.form == formEmpty {
		if len(r.Body) != 0 {
			t.Errorf("HEAD answered a body: %q", short(r))
		}
		if got := r.Header.Get("x-amzn-ErrorType"); got != "MissingAuthenticationTokenException" {
			t.Errorf("x-amzn-ErrorType = %q, want MissingAuthenticationTokenException", got)
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json (body %s)", ct, short(r))
	}
	if r.Status >= 400 {
		checkNoLeak(t, c, r)
	}
	checkForm(t, c, r)
}

// noteStored remembers any match a write stored, expected or not, so the
// cleanup deletes it and the checks afterwards see what should be gone.
func (fx *hostileFixture) noteStored(c hostileCase, r response) {
	if r.Status != http.StatusOK || (c.method != http.MethodPost && c.method != http.MethodPut) {
		return
	}
	var m match
	if json.Unmarshal(r.Body, &m) == nil && m.TournamentID != "" && m.MatchID != "" {
		fx.accepted = append(fx.accepted, [2]string{m.TournamentID, m.MatchID})
	}
}

// checkNoLeak fails when an error answer names the internals, shows a
// panic, or is long enough to echo a hostile input. The key prefixes count
// only when the request did not carry them itself: echoing a valid player
// name such as "TOURNAMENT#x" leaks nothing.
func checkNoLeak(t *testing.T, c hostileCase, r response) {
	t.Helper()
	lower := strings.ToLower(string(r.Body))
	u, err := url.PathUnescape(c.url)
	if err != nil {
		u = c.url
	}
	sent := strings.ToLower(u + string(c.body))
	for _, m := range leakMarkers {
		m = strings.ToLower(m)
		if strings.Contains(lower, m) && (!strings.HasSuffix(m, "#") || !strings.Contains(sent, m)) {
			t.Errorf("the answer leaks %q: %s", m, short(r))
		}
	}
	if len(r.Body) > maxErrorBody {
		t.Errorf("error body of %d bytes, want at most %d: %s", len(r.Body), maxErrorBody, short(r))
	}
}

func checkForm(t *testing.T, c hostileCase, r response) {
	t.Helper()
	switch c.form {
	case formMissingToken:
		checkGatewayAnswer(t, r, missingTokenBody, "MissingAuthenticationTokenException")
	case formUnauthorized:
		checkGatewayAnswer(t, r, unauthorizedBody, "UnauthorizedException")
	case formGatewayMessage:
		if !isGatewayMessage(r.Body) {
			t.Errorf("body = %q, want API Gateway's {\"message\": ...}", r.Body)
		}
	case formError:
		checkHandlerError(t, c, r)
	case formEither:
		if !isGatewayMessage(r.Body) {
			checkHandlerError(t, c, r)
		}
	case formMatch:
		var m match
		if err := json.Unmarshal(r.Body, &m); err != nil || m.TournamentID != c.match[0] || m.MatchID != c.match[1] {
			t.Errorf("body = %q, want the stored match %s/%s", r.Body, c.match[0], c.match[1])
		}
	case formPage:
		var page map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &page); err != nil {
			t.Errorf("body = %q, want a JSON page", r.Body)
		}
	}
}

// checkHandlerError checks the handlers' error form: an object with a
// non-empty "error" string and, optionally, "fields" of strings, nothing else.
func checkHandlerError(t *testing.T, c hostileCase, r response) {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Errorf("body = %q, want a JSON object {\"error\": ...}", r.Body)
		return
	}
	var msg string
	if err := json.Unmarshal(body["error"], &msg); err != nil || msg == "" {
		t.Errorf("body = %q, want a non-empty \"error\" string", r.Body)
	}
	var fields map[string]string
	if raw, ok := body["fields"]; ok {
		if err := json.Unmarshal(raw, &fields); err != nil || len(fields) == 0 {
			t.Errorf("body = %q: \"fields\" must be a non-empty object of strings", r.Body)
		}
	}
	for k := range body {
		if k != "error" && k != "fields" {
			t.Errorf("body = %q has an undocumented key %q", r.Body, k)
		}
	}
	if c.field != "" {
		if _, ok := fields[c.field]; !ok {
			t.Errorf("body = %q, want fields to name %q", r.Body, c.field)
		}
	}
}

func checkGatewayAnswer(t *testing.T, r response, body, errorType string) {
	t.Helper()
	if string(r.Body) != body {
		t.Errorf("body = %q, want %q", r.Body, body)
	}
	if got := r.Header.Get("x-amzn-ErrorType"); got != errorType {
		t.Errorf("x-amzn-ErrorType = %q, want %s", got, errorType)
	}
}

// isGatewayMessage reports whether b is API Gateway's {"message": "..."}.
func isGatewayMessage(b []byte) bool {
	var body map[string]string
	if err := json.Unmarshal(b, &body); err != nil {
		return false
	}
	_, ok := body["message"]
	return ok && len(body) == 1 && body["message"] != ""
}

// short renders r for a message, cut so a failure cannot flood the log.
func short(r response) string {
	s := r.String()
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("... (%d bytes)", len(r.Body))
	}
	return s
}

// --- afterwards -----------------------------------------------------------

// deleteAccepted deletes the matches the catalog's valid cases stored.
func (fx *hostileFixture) deleteAccepted(t *testing.T) {
	slices.SortFunc(fx.accepted, func(a, b [2]string) int { return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) })
	fx.accepted = slices.Compact(fx.accepted)
	for _, m := range fx.accepted {
		r := do(t, http.MethodDelete, matchURL(fx.home, m[0], m[1]), fx.alice.IDToken, nil)
		wantStatus(t, "delete accepted match "+m[1], r, http.StatusNoContent)
	}
	for _, id := range []string{"m1", "m2"} {
		r := do(t, http.MethodGet, matchURL(fx.home, fx.sentinel, id), "", nil)
		wantStatus(t, "the sentinel match "+id+" survived every bad token", r, http.StatusOK)
		var m match
		decode(t, "sentinel", r, &m)
		if m.RecordedBy != fx.alice.Name {
			t.Errorf("sentinel %s recorded by %q, want %q", id, m.RecordedBy, fx.alice.Name)
		}
		r = do(t, http.MethodDelete, matchURL(fx.home, fx.sentinel, id), fx.alice.IDToken, nil)
		wantStatus(t, "delete the sentinel match "+id, r, http.StatusNoContent)
	}
}

// checkAbsentThroughAPI proves, through the API of every region, that the
// catalog's tournaments, matches and players hold nothing now.
func (fx *hostileFixture) checkAbsentThroughAPI(t *testing.T) {
	settle(t) // deletes reach the other regions by replication
	for _, region := range tgt.regions() {
		base := tgt.URLs[region]
		for _, tid := range []string{fx.writes, fx.sentinel} {
			for _, what := range []string{"results", "standings"} {
				r := do(t, http.MethodGet, base+"/v1/tournament/"+tid+"/"+what, "", nil)
				wantStatus(t, region+" "+what+" of "+tid, r, http.StatusNotFound)
			}
		}
		for i := 1; i <= fx.matchSeq; i++ {
			id := fmt.Sprintf("h%04d", i)
			if r := do(t, http.MethodGet, matchURL(base, fx.writes, id), "", nil); r.Status != http.StatusNotFound {
				t.Errorf("%s: match %s/%s: got %s, want 404", region, fx.writes, id, short(r))
			}
		}
		// The catalog writes as hann-/hbea- players of its own: other tests'
		// matches of ann- and bea- may still stand while it runs.
		players := slices.Concat(fx.acceptedPlayers, fx.hostileNames, []string{"hann-" + runID, "hbea-" + runID})
		for _, p := range players {
			if !utf8.ValidString(p) {
				continue // no URL can name it; the table check covers it
			}
			r := do(t, http.MethodGet, base+"/v1/player/"+url.PathEscape(p)+"/matches", "", nil)
			if r.Status != http.StatusNotFound && r.Status != http.StatusBadRequest {
				t.Errorf("%s: matches of player %q: got %s, want 404 (or 400 for an invalid name)", region, p, short(r))
			}
		}
	}
}

// checkAbsentInTable reads the table directly, by key (no Scan), when the
// suite started the stack: no partition of a hostile ID, of the catalog's
// tournaments, or of a hostile or accepted player name holds an item.
func (fx *hostileFixture) checkAbsentInTable(t *testing.T) {
	endpoint, table := tgt.DynamoDBEndpoint, tgt.Table
	if endpoint == "" {
		endpoint, table = os.Getenv("HUSH_DYNAMODB_ENDPOINT"), os.Getenv("HUSH_DYNAMODB_TABLE")
	}
	if endpoint == "" || table == "" {
		// A deployed stack's table is not the suite's to read; the API
		// checks above are the proof there.
		t.Logf("the target %s exposes no table; proved through the API only", tgt.Source)
		return
	}
	ctx := t.Context()
	secret, err := tgt.emulatorSecret()
	if err != nil {
		t.Fatal(err)
	}
	client, err := dynamoclient.ForEndpoint(endpoint, tgt.Home, dynamoclient.Secret(secret))
	if err != nil {
		t.Fatalf("DynamoDB client: %v", err)
	}
	// The key scheme of dynamo/keys.go: matches and player links under
	// TOURNAMENT#{id}, standing lines under STANDINGS#{id}, player history
	// under GSI1PK PLAYER#{name key}.
	var partitions []string
	for _, id := range append([]string{fx.writes, fx.sentinel}, fx.hostileIDs...) {
		// encoding/json turns invalid UTF-8 into U+FFFD, so that form is
		// what could have been stored.
		id = strings.ToValidUTF8(id, "\uFFFD")
		partitions = append(partitions, "TOURNAMENT#"+id, "STANDINGS#"+id, id)
	}
	sort.Strings(partitions)
	partitions = slices.Compact(partitions)
	for _, pk := range partitions {
		if pk == "" || len(pk) > maxKeyBytes {
			continue // not a valid key value, so nothing can be stored under it
		}
		n := queryCount(ctx, t, client, table, "", "PK", pk)
		if n != 0 {
			t.Errorf("table partition PK=%q holds %d items, want none", pk, n)
		}
	}
	players := slices.Concat(fx.acceptedPlayers, fx.hostileNames, []string{"hann-" + runID, "hbea-" + runID})
	for _, p := range players {
		p = strings.ToValidUTF8(p, "\uFFFD")
		pk := "PLAYER#" + strings.ToLower(strings.TrimSpace(p))
		if len(pk) > maxKeyBytes {
			continue
		}
		if n := queryCount(ctx, t, client, table, "GSI1", "GSI1PK", pk); n != 0 {
			t.Errorf("index partition GSI1PK=%q holds %d items, want none", pk, n)
		}
	}
}

// maxKeyBytes is DynamoDB's limit on a partition key value: a longer key
// cannot exist, and a query for one is refused.
const maxKeyBytes = 2048

func queryCount(ctx context.Context, t *testing.T, client *dynamodb.Client, table, index, key, value string) int32 {
	t.Helper()
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("#k = :v"),
		ExpressionAttributeNames:  map[string]string{"#k": key},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": &ddbtypes.AttributeValueMemberS{Value: value}},
		Select:                    ddbtypes.SelectCount,
		// A tournament keeps one standing line per player it has seen, and
		// deleting its last match leaves that line at zero rather than
		// deleting it (the store updates lines with ADD). A zero line holds
		// no match, so it does not count as something stored.
		// Only standing lines carry "played" (a filter cannot name the key).
		FilterExpression: aws.String("NOT (attribute_exists(#played) AND #played = :zero)"),
	}
	in.ExpressionAttributeNames["#played"] = "played"
	in.ExpressionAttributeValues[":zero"] = &ddbtypes.AttributeValueMemberN{Value: "0"}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	out, err := client.Query(ctx, in)
	if err != nil {
		t.Errorf("query %s=%q: %v", key, value, err)
		return 0
	}
	return out.Count
}
