package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/hush-scores/hush/api"
)

// checkGatewayError asserts one of API Gateway's own answers, byte for byte.
func checkGatewayError(t *testing.T, name string, got *http.Response, gotBody string, wantStatus int, wantBody, wantType string) {
	t.Helper()
	if got.StatusCode != wantStatus {
		t.Errorf("%s: status = %d, want %d", name, got.StatusCode, wantStatus)
	}
	if gotBody != wantBody {
		t.Errorf("%s: body = %q, want %q", name, gotBody, wantBody)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type = %q, want application/json", name, ct)
	}
	if cc := got.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control = %q, want no-store, as api/gatewaydoc declares", name, cc)
	}
	if et := got.Header["x-amzn-ErrorType"]; wantType != "" && (len(et) != 1 || et[0] != wantType) {
		t.Errorf("%s: x-amzn-ErrorType = %q, want %q", name, et, wantType)
	}
	if id := got.Header["x-amzn-RequestId"]; len(id) != 1 || uuid.Validate(id[0]) != nil {
		t.Errorf("%s: x-amzn-RequestId = %q, want one UUID", name, id)
	}
}

func TestMissingAuthenticationToken(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, target string
	}{
		{"unknown path", "GET", "/dev/v1/nope"},
		{"unknown version", "GET", "/dev/v2/hello"},
		{"wrong method on a known path", "DELETE", "/dev/v1/hello"},
		{"GET on a POST-only path", "GET", "/dev/v1/tournament/match"},
		{"HEAD is not implied by GET", "HEAD", "/dev/v1/hello"},
		{"OPTIONS without CORS", "OPTIONS", "/dev/v1/hello"},
		{"wrong stage", "GET", "/prod/v1/hello"},
		{"stage prefix of a longer segment", "GET", "/devx/v1/hello"},
		{"no stage", "GET", "/v1/hello"},
		{"root", "GET", "/"},
		{"stage root", "GET", "/dev"},
		{"stage root with slash", "GET", "/dev/"},
		{"double slash", "GET", "/dev/v1//hello"},
		{"empty parameter", "GET", "/dev/v1/tournament//results"},
		{"parameter spans two segments", "GET", "/dev/v1/tournament/a/b/results"},
		{"unknown path on an auth prefix", "POST", "/dev/v1/tournament/match/extra"},
		{"case matters", "GET", "/dev/v1/Hello"},
	}
	for _, tt := range tests {
		rec := f.do(tt.method, tt.target, nil, http.Header{"Authorization": {"garbage"}})
		body := rec.Body.String()
		if tt.method == "HEAD" {
			body = `{"message":"Missing Authentication Token"}` // a HEAD answer has no body
		}
		checkGatewayError(t, tt.name, rec.Result(), body, 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException")
	}
	if n := f.fn.calls(); n != 0 {
		t.Errorf("the Lambda function was called %d times, want 0", n)
	}
	if f.auth.n != 0 {
		t.Errorf("the authorizer was called %d times for unknown routes, want 0", f.auth.n)
	}
}

func TestAuthorization(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	good := f.pool.key(testKID)
	other := newKey(t)
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := f.pool.idClaims(now)
		change(c)
		return c
	}
	valid := sign(t, f.pool.idClaims(now), testKID, good)
	hmacWithPublicKey := func() string {
		pub, _ := json.Marshal(good.PublicKey) // any bytes an attacker knows
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.pool.idClaims(now))
		tok.Header["kid"] = testKID
		s, err := tok.SignedString(pub)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	none := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, f.pool.idClaims(now))
		tok.Header["kid"] = testKID
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	tests := []struct {
		name   string
		header []string // Authorization values; nil sends none
		want   int
	}{
		{"valid ID token, raw as the seed sends it", []string{valid}, 200},
		{"valid ID token after Bearer", []string{"Bearer " + valid}, 200},
		{"missing", nil, 401},
		{"empty", []string{""}, 401},
		{"Bearer alone", []string{"Bearer "}, 401},
		{"garbage", []string{"not-a-jwt"}, 401},
		{"three garbage parts", []string{"a.b.c"}, 401},
		{"expired", []string{sign(t, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }), testKID, good)}, 401},
		{"not yet valid", []string{sign(t, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }), testKID, good)}, 401},
		{"issued in the future", []string{sign(t, with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }), testKID, good)}, 401},
		{"no exp", []string{sign(t, with(func(c jwt.MapClaims) { delete(c, "exp") }), testKID, good)}, 401},
		{"signed by another key, same kid", []string{sign(t, f.pool.idClaims(now), testKID, other)}, 401},
		{"signed by an unknown kid", []string{sign(t, f.pool.idClaims(now), "forged", other)}, 401},
		{"wrong issuer", []string{sign(t, with(func(c jwt.MapClaims) { c["iss"] = "http://localhost:9229/other_pool" }), testKID, good)}, 401},
		{"another app client", []string{sign(t, with(func(c jwt.MapClaims) { c["aud"] = "client-b" }), testKID, good)}, 401},
		{"access token", []string{sign(t, with(func(c jwt.MapClaims) {
			c["token_use"] = "access"
			c["client_id"] = testClientID
			delete(c, "aud")
		}), testKID, good)}, 401},
		{"access token that names the client as aud", []string{sign(t, with(func(c jwt.MapClaims) { c["token_use"] = "access" }), testKID, good)}, 401},
		{"alg none", []string{none}, 401},
		{"no kid, signed by the pool's key", []string{sign(t, f.pool.idClaims(now), "", good)}, 401},
		{"kid not a string", []string{signHeader(t, f.pool.idClaims(now), map[string]any{"kid": 7}, good)}, 401},
		{"two Authorization headers, both valid", []string{valid, valid}, 401},
		{"a valid one and an empty one", []string{valid, ""}, 401},
		{"HS256 keyed with the public key", []string{hmacWithPublicKey}, 401},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, v := range tt.header {
			h.Add("Authorization", v)
		}
		rec := f.do("GET", "/dev/v1/helloauthenticated", nil, h)
		if tt.want == 401 {
			checkGatewayError(t, tt.name, rec.Result(), rec.Body.String(), 401, `{"message":"Unauthorized"}`, "UnauthorizedException")
			continue
		}
		if rec.Code != tt.want {
			t.Errorf("%s: status = %d, want %d (body %q)", tt.name, rec.Code, tt.want, rec.Body.String())
		}
	}
	if got, want := f.fn.calls(), 2; got != want {
		t.Errorf("the Lambda function was called %d times, want %d (only for valid tokens)", got, want)
	}
}

func TestClaimsReachLambdaAsStrings(t *testing.T) {
	f := newFixture(t)
	now := time.Now().Truncate(time.Second)
	claims := f.pool.idClaims(now)
	rec := f.do("GET", "/dev/v1/helloauthenticated", nil, http.Header{"Authorization": {sign(t, claims, testKID, f.pool.key(testKID))}})
	if rec.Code != 200 {
		t.Fatalf("status = %d, want 200 (body %q)", rec.Code, rec.Body.String())
	}
	ev := f.fn.last(t)
	got, ok := ev.RequestContext.Authorizer["claims"].(map[string]any)
	if !ok {
		t.Fatalf("requestContext.authorizer.claims = %#v, want an object", ev.RequestContext.Authorizer["claims"])
	}
	utc := func(d time.Duration) string { return now.Add(d).UTC().Format("Mon Jan 02 15:04:05 MST 2006") }
	want := map[string]any{
		"sub":              "5b8d7a6e-0000-4000-8000-000000000001",
		"aud":              testClientID,
		"email_verified":   "true",
		"token_use":        "id",
		"auth_time":        strconv.FormatInt(now.Add(-time.Minute).Unix(), 10),
		"iss":              f.pool.issuer,
		"cognito:username": "alice",
		"cognito:groups":   "admins,players",
		"exp":              utc(time.Hour),
		"iat":              utc(-time.Minute),
		"email":            "alice@example.com",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claims =\n%v\nwant\n%v", got, want)
	}
}

func TestRenderClaims(t *testing.T) {
	tests := []struct {
		name  string
		claim any
		key   string
		want  string
	}{
		{"exp as API Gateway prints it", json.Number("1469818373"), "exp", "Fri Jul 29 18:52:53 UTC 2016"},
		{"iat with a zero-padded day", json.Number("1467741173"), "iat", "Tue Jul 05 17:52:53 UTC 2016"},
		{"auth_time stays a number", json.Number("1469814773"), "auth_time", "1469814773"},
		{"boolean", true, "email_verified", "true"},
		{"false", false, "phone_number_verified", "false"},
		{"one group", []any{"admins"}, "cognito:groups", "admins"},
		{"groups", []any{"admins", "players"}, "cognito:groups", "admins,players"},
		{"objects as JSON", []any{map[string]any{"providerName": "Google"}}, "identities", `[{"providerName":"Google"}]`},
		{"custom attribute", "42", "custom:rank", "42"},
	}
	for _, tt := range tests {
		got := RenderClaims(map[string]any{tt.key: tt.claim})[tt.key]
		if got != tt.want {
			t.Errorf("%s: %s = %q, want %q", tt.name, tt.key, got, tt.want)
		}
	}
	if got := RenderClaims(map[string]any{"gone": nil}); len(got) != 0 {
		t.Errorf("null claim rendered as %v, want left out", got)
	}
}

func TestPublicRoutesSkipAuthorizer(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"/dev/v1/hello", "/dev/v1/health", "/dev/v1/tournament/t1/results", "/dev/v1/player/bob/matches"} {
		rec := f.do("GET", target, nil, http.Header{"Authorization": {"garbage"}})
		if rec.Code != 200 {
			t.Errorf("GET %s: status = %d, want 200", target, rec.Code)
		}
	}
	if f.auth.n != 0 {
		t.Errorf("the authorizer was called %d times on public routes, want 0", f.auth.n)
	}
}

func TestRouting(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, target string
		resource, path       string
		params               map[string]string
	}{
		{"literal", "GET", "/dev/v1/hello", "/v1/hello", "/v1/hello", nil},
		{"trailing slash still routes, path keeps it", "GET", "/dev/v1/hello/", "/v1/hello", "/v1/hello/", nil},
		{"literal beats parameter", "POST", "/dev/v1/tournament/match", "/v1/tournament/match", "/v1/tournament/match", nil},
		{"parameter where the literal leads nowhere", "GET", "/dev/v1/tournament/match/results", "/v1/tournament/{tournamentId}/results", "/v1/tournament/match/results", map[string]string{"tournamentId": "match"}},
		{"two parameters", "DELETE", "/dev/v1/tournament/t1/match/m1", "/v1/tournament/{tournamentId}/match/{matchId}", "/v1/tournament/t1/match/m1", map[string]string{"tournamentId": "t1", "matchId": "m1"}},
		{"parameters are passed still encoded", "GET", "/dev/v1/player/Ann%20Lee/matches", "/v1/player/{player}/matches", "/v1/player/Ann%20Lee/matches", map[string]string{"player": "Ann%20Lee"}},
		{"an encoded slash stays in its segment", "GET", "/dev/v1/tournament/a%2Fb/results", "/v1/tournament/{tournamentId}/results", "/v1/tournament/a%2Fb/results", map[string]string{"tournamentId": "a%2Fb"}},
		{"plus is not a space in a path", "GET", "/dev/v1/player/a+b/matches", "/v1/player/{player}/matches", "/v1/player/a+b/matches", map[string]string{"player": "a+b"}},
	}
	token := sign(t, f.pool.idClaims(time.Now()), testKID, f.pool.key(testKID))
	for _, tt := range tests {
		rec := f.do(tt.method, tt.target, nil, http.Header{"Authorization": {token}})
		if rec.Code != 200 {
			t.Errorf("%s: status = %d, want 200 (body %q)", tt.name, rec.Code, rec.Body.String())
			continue
		}
		ev := f.fn.last(t)
		if ev.Resource != tt.resource || ev.RequestContext.ResourcePath != tt.resource {
			t.Errorf("%s: resource = %q, resourcePath = %q, want %q", tt.name, ev.Resource, ev.RequestContext.ResourcePath, tt.resource)
		}
		if ev.Path != tt.path || ev.RequestContext.Path != "/dev"+tt.path {
			t.Errorf("%s: path = %q, requestContext.path = %q, want %q and %q", tt.name, ev.Path, ev.RequestContext.Path, tt.path, "/dev"+tt.path)
		}
		if !reflect.DeepEqual(ev.PathParameters, tt.params) {
			t.Errorf("%s: pathParameters = %v, want %v", tt.name, ev.PathParameters, tt.params)
		}
		if ev.HTTPMethod != tt.method || ev.RequestContext.HTTPMethod != tt.method {
			t.Errorf("%s: httpMethod = %q/%q, want %q", tt.name, ev.HTTPMethod, ev.RequestContext.HTTPMethod, tt.method)
		}
	}
}

func TestEvent(t *testing.T) {
	f := newFixture(t)
	h := http.Header{"X-Custom": {"one", "two"}, "User-Agent": {"hush-test/1"}}
	rec := f.do("GET", "/dev/v1/tournament/t1/results?limit=5&tag=a&tag=b&q=x+y&e=%2B1&flag", nil, h)
	if rec.Code != 200 {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	ev := f.fn.last(t)
	if got, want := ev.QueryStringParameters, map[string]string{"limit": "5", "tag": "b", "q": "x y", "e": "+1", "flag": ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("queryStringParameters = %v, want %v", got, want)
	}
	if got, want := ev.MultiValueQueryStringParameters, map[string][]string{"limit": {"5"}, "tag": {"a", "b"}, "q": {"x y"}, "e": {"+1"}, "flag": {""}}; !reflect.DeepEqual(got, want) {
		t.Errorf("multiValueQueryStringParameters = %v, want %v", got, want)
	}
	if got, want := ev.Headers["X-Custom"], "two"; got != want {
		t.Errorf("headers[X-Custom] = %q, want %q (the last value)", got, want)
	}
	if got, want := ev.MultiValueHeaders["X-Custom"], []string{"one", "two"}; !reflect.DeepEqual(got, want) {
		t.Errorf("multiValueHeaders[X-Custom] = %q, want %q", got, want)
	}
	for _, k := range []string{"Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Amzn-Trace-Id"} {
		if ev.Headers[k] == "" || len(ev.MultiValueHeaders[k]) != 1 {
			t.Errorf("header %s = %q / %q, want one value as API Gateway adds", k, ev.Headers[k], ev.MultiValueHeaders[k])
		}
	}
	rc := ev.RequestContext
	checks := []struct{ name, got, want string }{
		{"stage", rc.Stage, "dev"},
		{"apiId", rc.APIID, "local"},
		{"accountId", rc.AccountID, "000000000000"},
		{"protocol", rc.Protocol, "HTTP/1.1"},
		{"requestTime", rc.RequestTime, "05/Nov/2026:09:04:05 +0000"},
		{"identity.sourceIp", rc.Identity.SourceIP, "192.0.2.1"},
		{"identity.userAgent", rc.Identity.UserAgent, "hush-test/1"},
		{"domainName (no listener)", rc.DomainName, "localhost"},
		{"requestId header", rec.Result().Header["x-amzn-RequestId"][0], rc.RequestID},
		{"extendedRequestId header", rec.Result().Header["x-amz-apigw-id"][0], rc.ExtendedRequestID},
		{"trace header", rec.Result().Header["X-Amzn-Trace-Id"][0], ev.Headers["X-Amzn-Trace-Id"]},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if rc.RequestTimeEpoch != fixedNow.UnixMilli() {
		t.Errorf("requestTimeEpoch = %d, want %d", rc.RequestTimeEpoch, fixedNow.UnixMilli())
	}
	if uuid.Validate(rc.RequestID) != nil {
		t.Errorf("requestId = %q, want a UUID", rc.RequestID)
	}
	if rc.Authorizer != nil {
		t.Errorf("authorizer = %v on a public route, want none", rc.Authorizer)
	}
	if ev.Body != "" || ev.IsBase64Encoded {
		t.Errorf("body = %q (base64 %v), want empty", ev.Body, ev.IsBase64Encoded)
	}

	f.do("GET", "/dev/v1/hello", nil, nil)
	ev = f.fn.last(t)
	if ev.QueryStringParameters != nil || ev.MultiValueQueryStringParameters != nil || ev.PathParameters != nil {
		t.Errorf("query %v / %v, path params %v, want all null without any", ev.QueryStringParameters, ev.MultiValueQueryStringParameters, ev.PathParameters)
	}
	if a, b := rec.Result().Header["x-amzn-RequestId"][0], rc.RequestID; a == f.fn.last(t).RequestContext.RequestID || a != b {
		t.Errorf("request IDs are not unique per request")
	}
}

func TestBodies(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBodyBytes = 64 })
	token := sign(t, f.pool.idClaims(time.Now()), testKID, f.pool.key(testKID))
	auth := http.Header{"Authorization": {token}, "Content-Type": {"application/json"}}

	rec := f.do("POST", "/dev/v1/tournament/match", strings.NewReader(`{"match_id":"m1"}`), auth)
	if ev := f.fn.last(t); rec.Code != 200 || ev.Body != `{"match_id":"m1"}` || ev.IsBase64Encoded {
		t.Errorf("text body: status %d, body %q base64 %v, want 200 and the body as is", rec.Code, ev.Body, ev.IsBase64Encoded)
	}
	rec = f.do("POST", "/dev/v1/tournament/match", strings.NewReader("\xff\xfe\x00binary"), auth)
	if ev := f.fn.last(t); rec.Code != 200 || ev.Body != "//4AYmluYXJ5" || !ev.IsBase64Encoded {
		t.Errorf("binary body: status %d, body %q base64 %v, want 200, //4AYmluYXJ5, true", rec.Code, ev.Body, ev.IsBase64Encoded)
	}
	exact := strings.Repeat("a", 64)
	if rec = f.do("POST", "/dev/v1/tournament/match", strings.NewReader(exact), auth); rec.Code != 200 {
		t.Errorf("body at the limit: status %d, want 200", rec.Code)
	}

	calls := f.fn.calls()
	tooBig := strings.Repeat("a", 65)
	for _, tt := range []struct {
		name string
		body io.Reader
	}{
		{"declared length", strings.NewReader(tooBig)},
		{"chunked", struct{ io.Reader }{strings.NewReader(tooBig)}}, // hides the length
	} {
		rec = f.do("POST", "/dev/v1/tournament/match", tt.body, auth)
		checkGatewayError(t, "oversize "+tt.name, rec.Result(), rec.Body.String(), 413, `{"message":"Request Too Long"}`, "")
	}
	if f.fn.calls() != calls {
		t.Errorf("the Lambda function was called for an oversize body")
	}
}

// TestBodyOverLambdaLimit checks that a body under the gateway's limit whose
// event is over Lambda's 6 MB request limit answers 413, as AWS does, not
// the 502 of a failed integration.
func TestBodyOverLambdaLimit(t *testing.T) {
	f := newFixture(t)
	token := sign(t, f.pool.idClaims(time.Now()), testKID, f.pool.key(testKID))
	auth := http.Header{"Authorization": {token}, "Content-Type": {"application/json"}}
	calls := f.fn.calls()
	rec := f.do("POST", "/dev/v1/tournament/match", strings.NewReader(strings.Repeat("a", 7<<20)), auth)
	checkGatewayError(t, "7 MiB body", rec.Result(), rec.Body.String(), 413, `{"message":"Request Too Long"}`, "")
	if f.fn.calls() != calls {
		t.Errorf("the Lambda function was called for an event over Lambda's limit")
	}
}

func TestLambdaResponses(t *testing.T) {
	tests := []struct {
		name       string
		fn         *recorder
		wantStatus int
		wantBody   string
		wantHeader map[string][]string
	}{
		{"headers merged, multi-value wins", &recorder{resp: events.APIGatewayProxyResponse{
			StatusCode:        201,
			Headers:           map[string]string{"Content-Type": "text/plain", "X-One": "single", "X-Both": "from-headers"},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "X-Both": {"m1", "m2"}},
			Body:              "created",
		}}, 201, "created", map[string][]string{"Content-Type": {"text/plain"}, "X-One": {"single"}, "Set-Cookie": {"a=1", "b=2"}, "X-Both": {"m1", "m2"}}},
		{"base64 body decoded", &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200, Body: "//4AYmluYXJ5", IsBase64Encoded: true, Headers: map[string]string{"Content-Type": "application/octet-stream"}}},
			200, "\xff\xfe\x00binary", nil},
		{"JSON by default", &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 404, Body: `{"error":"not found"}`}},
			404, `{"error":"not found"}`, map[string][]string{"Content-Type": {"application/json"}}},
		{"no content", &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 204}}, 204, "", nil},
		{"gateway headers stay the gateway's", &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"X-Amzn-RequestId": "spoofed"}}}, 200, "", nil},
		{"error", &recorder{err: errors.New("dynamodb: secret table arn:aws:dynamodb:eu-west-1:123:table/x")}, 502, `{"message": "Internal server error"}`, nil},
		{"panic", &recorder{panic: "nil map write near secret"}, 502, `{"message": "Internal server error"}`, nil},
		// A proxy response without statusCode is malformed: API Gateway
		// answers 502 ("Malformed Lambda proxy response" in its log).
		{"no status code", &recorder{raw: true, resp: events.APIGatewayProxyResponse{Body: "x"}}, 502, `{"message": "Internal server error"}`, nil},
		{"invalid status code", &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 99, Body: "x"}}, 502, `{"message": "Internal server error"}`, nil},
		{"bad base64", &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200, Body: "%%%", IsBase64Encoded: true}}, 502, `{"message": "Internal server error"}`, nil},
	}
	for _, tt := range tests {
		fn := tt.fn
		f := newFixture(t, func(o *Options) {
			for k := range o.Functions {
				o.Functions[k] = fn.fn
			}
		})
		rec := f.do("GET", "/dev/v1/hello", nil, nil)
		res := rec.Result()
		if tt.wantStatus == 502 {
			checkGatewayError(t, tt.name, res, rec.Body.String(), 502, tt.wantBody, "InternalServerErrorException")
			if logs := f.logs.String(); !strings.Contains(logs, "lambda integration failed") {
				t.Errorf("%s: the cause was not logged: %s", tt.name, logs)
			}
			continue
		}
		if res.StatusCode != tt.wantStatus || rec.Body.String() != tt.wantBody {
			t.Errorf("%s: got %d %q, want %d %q", tt.name, res.StatusCode, rec.Body.String(), tt.wantStatus, tt.wantBody)
		}
		for k, want := range tt.wantHeader {
			if got := res.Header.Values(k); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: header %s = %q, want %q", tt.name, k, got, want)
			}
		}
		if id := res.Header["x-amzn-RequestId"]; len(id) != 1 || id[0] != fn.last(t).RequestContext.RequestID {
			t.Errorf("%s: x-amzn-RequestId = %q, want the event's requestId %q", tt.name, id, fn.last(t).RequestContext.RequestID)
		}
	}
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t)
	rec := f.do("GET", "/dev/v1/tournament/t1/results?limit=1", nil, nil)
	var line map[string]any
	if err := json.Unmarshal(f.logs.Bytes(), &line); err != nil {
		t.Fatalf("access log %q is not one JSON line: %v", f.logs.String(), err)
	}
	want := map[string]any{
		"msg": "request", "requestId": rec.Result().Header["x-amzn-RequestId"][0], "httpMethod": "GET",
		"path": "/dev/v1/tournament/t1/results", "resourcePath": "/v1/tournament/{tournamentId}/results",
		"status": float64(200), "stage": "dev", "region": "eu-west-1",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["latencyMs"].(float64); !ok {
		t.Errorf("access log latencyMs = %v, want a number", line["latencyMs"])
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	fn := (&recorder{}).fn
	all := map[api.Function]LambdaFunc{api.FunctionHello: fn, api.FunctionRead: fn, api.FunctionWrite: fn}
	auth := &countingAuthorizer{}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"missing function", Options{Stage: "dev", Routes: api.Routes(), Functions: map[api.Function]LambdaFunc{api.FunctionHello: fn}, Authorizer: auth}, `no function "read"`},
		{"auth route without authorizer", Options{Stage: "dev", Routes: api.Routes(), Functions: all}, "Authorizer is nil"},
		{"empty stage", Options{Routes: api.Routes(), Functions: all, Authorizer: auth}, "stage"},
		{"stage with slash", Options{Stage: "a/b", Routes: api.Routes(), Functions: all, Authorizer: auth}, "stage"},
		{"no routes", Options{Stage: "dev", Functions: all}, "no routes"},
		{"duplicate route", Options{Stage: "dev", Functions: all, Routes: []api.Route{
			{Method: "GET", Path: "/v1/a", Function: api.FunctionHello}, {Method: "GET", Path: "/v1/a", Function: api.FunctionRead}}}, "twice"},
		{"sibling parameters", Options{Stage: "dev", Functions: all, Routes: []api.Route{
			{Method: "GET", Path: "/v1/{a}", Function: api.FunctionHello}, {Method: "PUT", Path: "/v1/{b}", Function: api.FunctionHello}}}, "clashes"},
		{"empty segment", Options{Stage: "dev", Functions: all, Routes: []api.Route{{Method: "GET", Path: "/v1//a", Function: api.FunctionHello}}}, "empty path segment"},
		{"lower-case method", Options{Stage: "dev", Functions: all, Routes: []api.Route{{Method: "get", Path: "/v1/a", Function: api.FunctionHello}}}, "upper case"},
	}
	for _, tt := range tests {
		_, err := New(tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestCognitoAuthorizerRefreshesOnUnknownKID(t *testing.T) {
	p := newPool(t)
	a := p.authorizer(t)
	hits := p.hits
	rotated := p.addKey("rotated")
	claims, err := a.Authorize(context.Background(), sign(t, p.idClaims(time.Now()), "rotated", rotated))
	if err != nil {
		t.Fatalf("token signed by a key published after start: %v", err)
	}
	if claims["cognito:username"] != "alice" {
		t.Errorf("cognito:username = %q, want alice", claims["cognito:username"])
	}
	if p.hits <= hits {
		t.Errorf("JWKS fetched %d times in all, want a refresh for the unknown kid", p.hits)
	}
}

func TestNewCognitoAuthorizerFailsWithoutJWKS(t *testing.T) {
	p := newPool(t)
	p.srv.Close()
	_, err := NewCognitoAuthorizer(context.Background(), CognitoOptions{Issuer: p.issuer, ClientID: testClientID})
	if err == nil || !strings.Contains(err.Error(), "/local_pool1/.well-known/jwks.json") {
		t.Errorf("error = %v, want one naming the JWKS URL", err)
	}
}

// TestConditionalGetPassesThrough: as API Gateway's proxy integration does,
// the client's If-None-Match reaches the function, and the function's 304
// reaches the client with its ETag and Cache-Control and without a body or
// a Content-Type of the gateway's making.
func TestConditionalGetPassesThrough(t *testing.T) {
	fn := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 304,
		Headers: map[string]string{"ETag": `"abc"`, "Cache-Control": "no-cache"}}}
	f := newFixture(t, func(o *Options) {
		for k := range o.Functions {
			o.Functions[k] = fn.fn
		}
	})
	rec := f.do("GET", "/dev/v1/tournament/t/standings", nil, http.Header{"If-None-Match": {`"abc"`}})
	if got := fn.last(t).Headers["If-None-Match"]; got != `"abc"` {
		t.Errorf("the function saw If-None-Match %q, want %q", got, `"abc"`)
	}
	res := rec.Result()
	if res.StatusCode != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("got %d with %d body bytes, want 304 without a body", res.StatusCode, rec.Body.Len())
	}
	if res.Header.Get("ETag") != `"abc"` || res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("Content-Type") != "" {
		t.Errorf("304 headers %v, want the function's ETag and Cache-Control and no Content-Type", res.Header)
	}
}
