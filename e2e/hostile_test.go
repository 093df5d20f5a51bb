package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/hush-scores/hush/internal/dynamolocal"
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

// --- tokens ---------------------------------------------------------------

// tokenCases sends every bad token to every protected route of every region.
// POST and PUT carry a valid body and DELETE targets the sentinel's m1, so a
// token wrongly accepted would show as a write.
func (fx *hostileFixture) tokenCases() []hostileCase {
	var cases []hostileCase
	for _, region := range tgt.regions() {
		base := tgt.URLs[region]
		for _, tok := range fx.tokens {
			body, _ := fx.validBody()
			routes := []struct {
				method, path string
				body         []byte
			}{
				{http.MethodGet, "/v1/helloauthenticated", nil},
				{http.MethodPost, "/v1/tournament/match", mustJSON(body)},
				{http.MethodPut, "/v1/tournament/match", mustJSON(body)},
				{http.MethodDelete, "/v1/tournament/" + fx.sentinel + "/match/m1", nil},
			}
			for _, rt := range routes {
				c := hostileCase{
					category: "token", name: region + " " + rt.method + " " + rt.path + " " + tok.name,
					method: rt.method, url: base + rt.path, auth: tok.value, body: rt.body,
					status: http.StatusUnauthorized, form: formUnauthorized,
				}
				if tok.name == "two Authorization headers, both valid" {
					c.auth, c.moreAuth = fx.alice.IDToken, []string{fx.alice.IDToken}
				}
				if tok.name == "token in X-Api-Key" || tok.name == "token in a cookie" {
					c.auth = ""
					c.headers = map[string]string{"X-Api-Key": fx.alice.IDToken}
					if tok.name == "token in a cookie" {
						c.headers = map[string]string{"Cookie": "Authorization=" + fx.alice.IDToken}
					}
				}
				cases = append(cases, c)
			}
		}
	}
	return cases
}

// hostileTokens returns the bad tokens: garbage, forged with a key of our
// own, expired, tampered real ones, alg none and HS256 confusion, an access
// token, and real ID tokens of another app client and of another pool.
func hostileTokens(t *testing.T, alice, bob user) []namedToken {
	t.Helper()
	idToken := alice.IDToken
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		t.Fatalf("alice's ID token is not a JWS: %q", idToken)
	}
	var header, claims map[string]any
	decodeSegment(t, parts[0], &header)
	decodeSegment(t, parts[1], &claims)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate an RSA key: %v", err)
	}
	now := time.Now()
	sign := func(kid string, edit func(jwt.MapClaims)) string {
		c := jwt.MapClaims{}
		maps.Copy(c, claims)
		edit(c)
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatalf("sign a forged token: %v", err)
		}
		return s
	}
	kid, _ := header["kid"].(string)
	withPayload := func(edit func(map[string]any)) string {
		c := maps.Clone(claims)
		edit(c)
		return parts[0] + "." + segment(c) + "." + parts[2]
	}
	sig := []byte(parts[2])
	mid := len(sig) / 2
	if sig[mid] == 'A' {
		sig[mid] = 'B'
	} else {
		sig[mid] = 'A'
	}

	tokens := []namedToken{
		{"none", ""},
		{"whitespace", "   "},
		{"Bearer alone", "Bearer"},
		{"Bearer and space", "Bearer "},
		{"Bearer garbage", "Bearer garbage"},
		{"garbage", "not-a-jwt"},
		{"three dots", "a.b.c"},
		{"empty segments", ".."},
		{"huge", "eyJ" + strings.Repeat("A", 8<<10)},
		{"forged with our key, the pool's kid", sign(kid, func(jwt.MapClaims) {})},
		{"forged with our key, unknown kid", sign("e2e-hostile", func(jwt.MapClaims) {})},
		{"expired, signed with our key", sign(kid, func(c jwt.MapClaims) {
			c["exp"] = now.Add(-time.Hour).Unix()
			c["iat"] = now.Add(-2 * time.Hour).Unix()
			c["auth_time"] = now.Add(-2 * time.Hour).Unix()
		})},
		{"real, signature tampered", parts[0] + "." + parts[1] + "." + string(sig)},
		{"real, signature cut", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])/2]},
		{"real, signature removed", parts[0] + "." + parts[1] + "."},
		{"real, payload names bob", withPayload(func(c map[string]any) { c["cognito:username"] = bob.Name })},
		{"real, payload made admin", withPayload(func(c map[string]any) { c["cognito:groups"] = []string{"admins"} })},
		{"real, payload expires later", withPayload(func(c map[string]any) { c["exp"] = now.Add(365 * 24 * time.Hour).Unix() })},
		{"real, past exp in payload", withPayload(func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() })},
		{"alg none", segment(map[string]any{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "."},
		{"HS256 keyed with the pool's public key", hs256WithPublicKey(t, kid, claims)},
		{"real with trailing garbage", idToken + "x"},
		{"two real tokens", idToken + "," + idToken},
		{"access token", alice.AccessToken},
		{"Bearer access token", "Bearer " + alice.AccessToken},
		{"forged with our key, no kid", sign("", func(jwt.MapClaims) {})},
		{"real, payload in group x,admins", withPayload(func(c map[string]any) { c["cognito:groups"] = []string{"x,admins"} })},
		{"two Authorization headers, both valid", ""},
		{"token in X-Api-Key", ""},
		{"token in a cookie", ""},
	}
	tokens = append(tokens, foreignTokens(t)...)
	return tokens
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("JWT segment %q: %v", seg, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("JWT segment %q: %v", b, err)
	}
}

func segment(v any) string { return base64.RawURLEncoding.EncodeToString(mustJSON(v)) }

// hs256WithPublicKey signs claims with HMAC-SHA256 keyed with the PEM of the
// pool's RSA public key: the classic algorithm confusion, which a verifier
// that lets the token choose its algorithm accepts.
func hs256WithPublicKey(t *testing.T, kid string, claims map[string]any) string {
	t.Helper()
	pub := poolPublicKey(t, kid)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("encode the pool's public key: %v", err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	signing := segment(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}) + "." + segment(claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// poolPublicKey fetches the pool's JWKS and returns the key kid.
func poolPublicKey(t *testing.T, kid string) *rsa.PublicKey {
	t.Helper()
	u := "https://cognito-idp." + tgt.Home + ".amazonaws.com/" + tgt.PoolID + "/.well-known/jwks.json"
	if tgt.CognitoEndpoint != "" {
		u = strings.TrimRight(tgt.CognitoEndpoint, "/") + "/" + tgt.PoolID + "/.well-known/jwks.json"
	}
	r := do(t, http.MethodGet, u, "", nil)
	wantStatus(t, "GET "+u, r, http.StatusOK)
	var jwks struct {
		Keys []struct{ Kid, N, E string } `json:"keys"`
	}
	decode(t, "the pool's JWKS", r, &jwks)
	for _, k := range jwks.Keys {
		if k.Kid != kid {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			t.Fatalf("JWKS key %s: bad n or e", kid)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	t.Fatalf("the pool's JWKS %s has no key %q", u, kid)
	return nil
}

// foreignTokens returns real ID tokens the API must refuse: one of a second
// app client of the pool (wrong aud) and one of a second pool (wrong iss).
// The suite creates both with the Cognito admin API and deletes them when
// the test ends; against AWS its credentials need CreateUserPool,
// CreateUserPoolClient, DeleteUserPool and DeleteUserPoolClient.
func foreignTokens(t *testing.T) []namedToken {
	t.Helper()
	ctx := context.Background()
	name := username("hostile-wrong-client")
	client, err := cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(tgt.PoolID), ClientName: aws.String(name),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatalf("create a second app client for the wrong-client token (the suite's credentials need cognito-idp:CreateUserPoolClient): %v", err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	t.Cleanup(func() {
		if _, err := cognito.DeleteUserPoolClient(context.Background(), &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(tgt.PoolID), ClientId: aws.String(clientID)}); err != nil {
			t.Errorf("delete the second app client %s: %v", clientID, err)
		}
	})
	alice, _ := users(t)
	out, err := cognito.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": alice.Name, "PASSWORD": password},
	})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("sign alice in through the second app client: %v", err)
	}
	wrongClient := aws.ToString(out.AuthenticationResult.IdToken)

	pool, err := cognito.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(username("hostile-pool"))})
	if err != nil {
		t.Fatalf("create a second user pool for the wrong-pool token (the suite's credentials need cognito-idp:CreateUserPool): %v", err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	t.Cleanup(func() {
		if _, err := cognito.DeleteUserPool(context.Background(), &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)}); err != nil {
			t.Errorf("delete the second user pool %s: %v", poolID, err)
		}
	})
	pc, err := cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String(name),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatalf("create a client of the second pool: %v", err)
	}
	poolClientID := aws.ToString(pc.UserPoolClient.ClientId)
	// The same user name as alice: only the pool tells the tokens apart.
	if err := adminCreateUser(ctx, poolID, alice.Name, password); err != nil {
		t.Fatalf("create alice in the second pool: %v", err)
	}
	out, err = cognito.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(poolClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": alice.Name, "PASSWORD": password},
	})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("sign in to the second pool: %v", err)
	}
	return []namedToken{
		{"ID token of another app client", wrongClient},
		{"ID token of another pool", aws.ToString(out.AuthenticationResult.IdToken)},
	}
}

// --- methods --------------------------------------------------------------

// methodCases sends every method a route does not declare to every route:
// API Gateway answers 403 Missing Authentication Token, token or not.
func (fx *hostileFixture) methodCases() []hostileCase {
	declared := map[string][]string{
		"/v1/hello":              {http.MethodGet},
		"/v1/helloauthenticated": {http.MethodGet},
		"/v1/health":             {http.MethodGet},
		"/v1/tournament/match":   {http.MethodPost, http.MethodPut},
		"/v1/tournament/" + fx.sentinel + "/results":   {http.MethodGet},
		"/v1/tournament/" + fx.sentinel + "/standings": {http.MethodGet},
		"/v1/tournament/" + fx.sentinel + "/match/m1":  {http.MethodGet, http.MethodDelete},
		"/v1/player/hann-" + runID + "/matches":        {http.MethodGet},
	}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions, http.MethodTrace, "get", "FOO"}
	var cases []hostileCase
	for _, path := range slices.Sorted(maps.Keys(declared)) {
		for _, m := range methods {
			if slices.Contains(declared[path], m) {
				continue
			}
			c := hostileCase{
				category: "method", name: m + " " + path, method: m, url: fx.home + path,
				auth: fx.alice.IDToken, status: http.StatusForbidden, form: formMissingToken,
			}
			if m == http.MethodHead {
				c.form = formEmpty
			}
			if m == http.MethodPatch || m == http.MethodPost || m == http.MethodPut {
				body, _ := fx.validBody()
				c.body = mustJSON(body)
			}
			cases = append(cases, c)
		}
	}
	// Paths no route has, and the stage root.
	for _, path := range []string{"", "/", "/v1", "/v1/", "/v2/hello", "/V1/hello", "/v1/HELLO", "/v1/hello.json", "/v1/tournament", "/v1/tournament/match/extra", "/v1/player", "/v1/player//matches"} {
		cases = append(cases, hostileCase{
			category: "method", name: "unknown path " + strconv.Quote(path), method: http.MethodGet, url: fx.home + path,
			status: http.StatusForbidden, form: formMissingToken,
		})
	}
	return cases
}

// --- wrong types ----------------------------------------------------------

// typeCases puts every wrong JSON type and every odd number in every field
// of an otherwise valid match.
func (fx *hostileFixture) typeCases() []hostileCase {
	fields := []string{"tournament_id", "match_id", "player1", "player2", "score", "best_of", "played_at"}
	values := []struct{ name, raw string }{
		{"integer", `12`},
		{"float", `1.5`},
		{"true", `true`},
		{"false", `false`},
		{"empty array", `[]`},
		{"array of string", `["x"]`},
		{"empty object", `{}`},
		{"object", `{"S":"x"}`},
		{"1e400", `1e400`},
		{"-0", `-0`},
		{"huge integer", `99999999999999999999999999999999`},
		{"negative huge integer", `-99999999999999999999999999999999`},
		{"null", `null`},
		{"string", `"x"`},
	}
	var cases []hostileCase
	for _, f := range fields {
		for _, v := range values {
			if v.name == "string" && f != "best_of" {
				continue // a string is the right type there; odd strings come below
			}
			body, id := fx.validBody()
			delete(body, f)
			// The body has no nested object, so its first "}" is its last.
			raw := strings.Replace(string(mustJSON(body)), "}", `,"`+f+`":`+v.raw+"}", 1)
			c := fx.write("type", f+" "+v.name, []byte(raw))
			c.field = f
			switch {
			case v.raw == "null" && (f == "best_of" || f == "played_at"):
				// null leaves an optional field unset: a valid match.
				c = c.accepts(fx.writes, id)
			case v.raw == "null":
				c.field = f // "required"
			case f == "best_of" && v.raw == "-0":
				// -0 is the integer 0, which means "infer best_of".
				c = c.accepts(fx.writes, id)
			case f == "best_of" && v.raw == "12":
				// An integer of the wrong value, not a wrong type.
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// --- malformed JSON -------------------------------------------------------

func (fx *hostileFixture) malformedCases() []hostileCase {
	valid, _ := fx.validBody()
	v := string(mustJSON(valid))
	inner := strings.TrimSuffix(strings.TrimPrefix(v, "{"), "}")
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	list := []struct{ name, body, field string }{
		{"empty body", "", ""},
		{"only spaces", "   \n\t ", ""},
		{"null", "null", ""},
		{"true", "true", ""},
		{"number", "42", ""},
		{"string", `"match"`, ""},
		{"empty array", "[]", ""},
		{"array of the valid match", "[" + v + "]", ""},
		{"open brace", "{", ""},
		{"close brace", "}", ""},
		{"single quotes", strings.ReplaceAll(v, `"`, `'`), ""},
		{"trailing comma", "{" + inner + ",}", ""},
		{"missing comma", strings.Replace(v, `,"`, ` "`, 1), ""},
		{"unquoted keys", "{tournament_id:1}", ""},
		{"comment", "/* c */" + v, ""},
		{"NaN", `{"best_of":NaN}`, ""},
		{"Infinity", `{"best_of":Infinity}`, ""},
		{"hex number", `{"best_of":0x5}`, ""},
		{"leading plus", `{"best_of":+5}`, ""},
		{"byte order mark", "\uFEFF" + v, ""},
		{"two objects", v + v, ""},
		{"object then garbage", v + "x", ""},
		{"object then bracket", v + "]", ""},
		{"raw control character in a string", strings.Replace(v, "ann-", "ann\x01-", 1), ""},
		{"raw newline in a string", strings.Replace(v, "ann-", "ann\n-", 1), ""},
		{"bad escape", strings.Replace(v, "ann-", `ann\q-`, 1), ""},
		{"truncated unicode escape", strings.Replace(v, "ann-", `ann\u12-`, 1), ""},
		{"invalid UTF-8 outside strings", "{\xff" + inner + "}", ""},
		{"UTF-16 body", utf16(v), ""},
		{"nesting 10000 in an unknown field", `{"x":` + deep(10000) + "}", ""},
		{"nesting 10000 in tournament_id", `{"tournament_id":` + deep(10000) + "}", ""},
		{"nesting 10000 of objects", strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), ""},
		{"unknown field", "{" + inner + `,"bestof":5}`, "bestof"},
		{"unknown field PK", "{" + inner + `,"PK":"TOURNAMENT#x"}`, "PK"},
		{"unknown field SK", "{" + inner + `,"SK":"MATCH#y"}`, "SK"},
		{"unknown field GSI1PK", "{" + inner + `,"GSI1PK":"PLAYER#x"}`, "GSI1PK"},
		{"owner spoofed with recorded_by", "{" + inner + `,"recorded_by":"` + fx.bob.Name + `"}`, "recorded_by"},
		{"winner forced", "{" + inner + `,"winner":"bea"}`, "winner"},
		{"NoSQL operator field", "{" + inner + `,"$where":"1==1"}`, "$where"},
		{"prototype pollution field", "{" + inner + `,"__proto__":{"admin":true}}`, "__proto__"},
		{"long unknown field name", "{" + inner + `,"` + strings.Repeat("k", 10000) + `":1}`, ""},
		{"unknown field 1e400", "{" + inner + `,"x":1e400}`, "x"},
		{"duplicate key, invalid last", "{" + inner + `,"match_id":"a#b"}`, "match_id"},
		{"escaped NUL in an ID", strings.Replace(v, `"h`, `"\u0000h`, 1), "match_id"},
		{"lone surrogate escape in an ID", strings.Replace(v, `"h`, `"\ud800h`, 1), "match_id"},
	}
	var cases []hostileCase
	for _, m := range list {
		c := fx.write("malformed", m.name, []byte(m.body))
		c.field = m.field
		cases = append(cases, c)
	}
	// Duplicate keys and keys that differ from a field only in case are
	// refused, naming the key: encoding/json alone would keep the last
	// duplicate and fill a field from "PLAYER1".
	body, id := fx.validBody()
	delete(body, "match_id")
	dup := strings.Replace(string(mustJSON(body)), "{", `{"match_id":"TOURNAMENT#x","match_id":"`+id+`",`, 1)
	ambiguous := []struct{ name, body, field string }{
		{"duplicate key, valid last", dup, "match_id"},
		{"duplicate key, same value", "{" + inner + `,"score":"5,4,9"}`, "score"},
		{"duplicate key through an escape", "{" + inner + `,"pl\u0061yer1":"eve"}`, "player1"},
		{"duplicate optional key", "{" + inner + `,"best_of":3,"best_of":5}`, "best_of"},
		{"key PLAYER1", strings.Replace(v, `"player1"`, `"PLAYER1"`, 1), "PLAYER1"},
		{"key Score", strings.Replace(v, `"score"`, `"Score"`, 1), "Score"},
		{"key Score beside score", "{" + inner + `,"Score":"6,-4,7,10"}`, "Score"},
		{"key Match_ID", strings.Replace(v, `"match_id"`, `"Match_ID"`, 1), "Match_ID"},
		{"key with a long s folding to score", strings.Replace(v, `"score"`, `"ſcore"`, 1), "ſcore"},
	}
	for _, a := range ambiguous {
		c := fx.write("malformed", a.name, []byte(a.body))
		c.field = a.field
		cases = append(cases, c)
	}
	// Content types: the body is what counts, as for API Gateway without
	// request validation.
	body, id = fx.validBody()
	c := fx.write("malformed", "valid body as text/plain", mustJSON(body)).accepts(fx.writes, id)
	c.headers = map[string]string{"Content-Type": "text/plain"}
	cases = append(cases, c)
	c = fx.write("malformed", "form-encoded body", []byte("tournament_id="+fx.writes+"&match_id=h&player1=a&player2=b&score=5,4,9"))
	c.headers = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	cases = append(cases, c)
	c = fx.write("malformed", "multipart body", []byte("--b\r\nContent-Disposition: form-data; name=\"score\"\r\n\r\n5,4,9\r\n--b--\r\n"))
	c.headers = map[string]string{"Content-Type": "multipart/form-data; boundary=b"}
	cases = append(cases, c)
	c = fx.write("malformed", "XML body", []byte("<match><score>5,4,9</score></match>"))
	c.headers = map[string]string{"Content-Type": "application/xml"}
	cases = append(cases, c)
	return cases
}

func utf16(s string) string {
	var b strings.Builder
	b.WriteString("\xff\xfe")
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(0)
	}
	return b.String()
}

// prefixCases sends every proper prefix of a valid body.
func (fx *hostileFixture) prefixCases() []hostileCase {
	body, _ := fx.validBody()
	full := mustJSON(body)
	cases := make([]hostileCase, 0, len(full))
	for n := range len(full) {
		cases = append(cases, fx.write("truncated", fmt.Sprintf("%03d bytes", n), full[:n]))
	}
	return cases
}

// --- odd strings ----------------------------------------------------------

// oddStrings are IDs no tournament or match may have. Each breaks a rule:
// the ID alphabet, the length, or the key scheme.
var oddStrings = []struct{ name, value string }{
	{"NUL", "\x00"},
	{"NUL inside", "a\x00b"},
	{"escape sequence", "\x1b[31mred"},
	{"line separator", "a\u2028b"},
	{"zero-width space", "a\u200bb"},
	{"bidi override", "\u202eevil"},
	{"BOM character", "\ufeffa"},
	{"emoji", "🏓"},
	{"emoji family", "👩\u200d👩\u200d👧"},
	{"invalid UTF-8", "a\xffb"},
	{"65 characters", strings.Repeat("a", 65)},
	{"10000 characters", strings.Repeat("a", 10000)},
	{"TOURNAMENT#x", "TOURNAMENT#x"},
	{"MATCH#y", "MATCH#y"},
	{"PLAYER#1#x", "PLAYER#1#x"},
	{"hash", "#"},
	{"HEALTH key", "HEALTH#HEALTH"},
	{"dot", "."},
	{"dot dot", ".."},
	{"encoded dot dot", "%2e%2e"},
	{"encoded slash", "%2F"},
	{"slash", "/"},
	{"traversal", "../../etc/passwd"},
	{"SQL", "' OR '1'='1"},
	{"NoSQL", `{"$ne":null}`},
	{"space", " "},
	{"tab", "\t"},
	{"CRLF", "x\r\nSet-Cookie: a=b"},
	{"backslash", `a\b`},
	{"script", "<script>alert(1)</script>"},
	{"percent", "100%"},
	{"question mark", "a?b"},
	{"empty", ""},
}

// oddIDCases puts every odd string in the ID slots of a body.
func (fx *hostileFixture) oddIDCases() []hostileCase {
	var cases []hostileCase
	for _, slot := range []string{"tournament_id", "match_id"} {
		for _, s := range oddStrings {
			body, _ := fx.validBody()
			body[slot] = s.value
			raw := mustJSON(body)
			if !utf8.ValidString(s.value) {
				raw = rawJSONWith(body, slot, s.value)
			}
			c := fx.write("odd-id", slot+" "+s.name, raw)
			c.field = slot
			if !utf8.ValidString(s.value) {
				c.field = "" // the body as a whole is not UTF-8
			}
			cases = append(cases, c)
			fx.hostileIDs = append(fx.hostileIDs, s.value)
		}
	}
	return cases
}

// rawJSONWith encodes body with field set to value byte for byte, invalid
// UTF-8 included (encoding/json would replace it).
func rawJSONWith(body map[string]any, field, value string) []byte {
	b := without(body, field)
	b[field] = "@@RAW@@"
	return bytes.Replace(mustJSON(b), []byte("@@RAW@@"), []byte(value), 1)
}

// oddNameCases puts odd strings in the player slots. Names are 1-64
// printable characters after trimming, so emoji, '#', SQL and scripts are
// valid names and must be accepted; control and format characters,
// unusual spaces, invalid UTF-8 and 65 characters are not.
func (fx *hostileFixture) oddNameCases() []hostileCase {
	tag := "-" + runID
	names := []struct {
		name, value string
		ok          bool
	}{
		{"NUL", "ann\x00" + tag, false},
		{"escape sequence", "\x1b[31mann" + tag, false},
		{"line separator", "ann\u2028" + tag, false},
		{"zero-width space", "ann\u200b" + tag, false},
		{"zero-width joiner emoji", "👩\u200d👩\u200d👧" + tag, false},
		{"bidi override", "\u202eann" + tag, false},
		{"BOM character", "\ufeffann" + tag, false},
		{"no-break space inside", "ann\u00a0lee" + tag, false},
		{"tab inside", "ann\tlee" + tag, false},
		{"invalid UTF-8", "ann\xff" + tag, false},
		{"escaped lone surrogate", "", false}, // built below
		{"65 characters", strings.Repeat("é", 65), false},
		{"10000 characters", strings.Repeat("n", 10000), false},
		{"only spaces", "   ", false},
		{"empty", "", false},
		{"64 characters", strings.Repeat("é", 64-len(tag)) + tag, true},
		{"emoji", "🏓" + tag, true},
		{"TOURNAMENT#x", "TOURNAMENT#x" + tag, true},
		{"PLAYER#x", "PLAYER#x" + tag, true},
		{"hash", "#" + tag, true},
		{"SQL", "' OR '1'='1" + tag, true},
		{"NoSQL", `{"$ne":null}` + tag, true},
		{"script", "<script>" + tag, true},
		{"traversal", "../.." + tag, true},
		{"padded with spaces", "  ann lee" + tag + "  ", true},
		{"right-to-left script", "علي" + tag, true},
	}
	var cases []hostileCase
	for _, slot := range []string{"player1", "player2"} {
		for _, n := range names {
			body, id := fx.validBody()
			body[slot] = n.value
			raw := mustJSON(body)
			if !utf8.ValidString(n.value) {
				raw = rawJSONWith(body, slot, n.value)
			}
			if n.name == "escaped lone surrogate" {
				raw = rawJSONWith(body, slot, `ann\ud800`+tag)
			}
			c := fx.write("odd-name", slot+" "+n.name, raw)
			c.field = slot
			if !utf8.ValidString(n.value) {
				c.field = "" // the body as a whole is not UTF-8
			}
			if n.ok {
				c = c.accepts(fx.writes, id)
				fx.acceptedPlayers = append(fx.acceptedPlayers, strings.TrimSpace(n.value))
			} else if n.value != "" && strings.TrimSpace(n.value) != "" {
				fx.hostileNames = append(fx.hostileNames, n.value)
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// --- paths ----------------------------------------------------------------

// pathCases puts every odd string in every path parameter, escaped as a
// careful client would and, for the traversal strings, raw.
func (fx *hostileFixture) pathCases() []hostileCase {
	slots := []struct {
		name, method, template, field string
		auth                          bool
	}{
		{"results", http.MethodGet, "/v1/tournament/{}/results", "tournamentId", false},
		{"standings", http.MethodGet, "/v1/tournament/{}/standings", "tournamentId", false},
		{"match tournament", http.MethodGet, "/v1/tournament/{}/match/m1", "tournamentId", false},
		{"match", http.MethodGet, "/v1/tournament/" + fx.sentinel + "/match/{}", "matchId", false},
		{"delete tournament", http.MethodDelete, "/v1/tournament/{}/match/m1", "tournamentId", true},
		{"delete match", http.MethodDelete, "/v1/tournament/" + fx.sentinel + "/match/{}", "matchId", true},
		{"player", http.MethodGet, "/v1/player/{}/matches", "player", false},
	}
	var cases []hostileCase
	for _, slot := range slots {
		for _, s := range oddStrings {
			c := hostileCase{
				category: "path", name: slot.name + " " + s.name, method: slot.method,
				url:    fx.home + strings.Replace(slot.template, "{}", url.PathEscape(s.value), 1),
				status: http.StatusBadRequest, form: formError, field: slot.field,
			}
			if slot.auth {
				c.auth = fx.alice.IDToken
			}
			switch {
			case s.value == "":
				// An empty segment matches no resource.
				c.status, c.form, c.field = http.StatusForbidden, formMissingToken, ""
			case s.value == "." || s.value == "..":
				// A dot segment is not an ID; the URL cannot name a
				// resource with it. API Gateway's exact answer is not
				// documented, so any 4xx in one of the two forms.
				c.status, c.statuses, c.form, c.field = 0, []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound}, formEither, ""
			case slot.field == "player" && playerNameValid(s.value):
				// A valid name nobody played under.
				c.status, c.field = http.StatusNotFound, ""
			}
			cases = append(cases, c)
		}
	}
	// Raw traversal and encodings that a client did not escape.
	raw := []struct{ name, path string }{
		{"dot dot to hello", "/v1/tournament/../hello"},
		{"dot dot to helloauthenticated", "/v1/tournament/../helloauthenticated"},
		{"dot dot out of the stage", "/v1/../../etc/passwd"},
		{"dot segment", "/v1/./hello"},
		{"double slash", "/v1//hello"},
		{"encoded dot dot to hello", "/v1/tournament/%2e%2e/hello"},
		{"encoded dot dot as ID", "/v1/tournament/%2e%2e/results"},
		{"encoded slash in an ID", "/v1/tournament/a%2Fb/results"},
		{"encoded slash to hello", "/v1/tournament/match%2F..%2F..%2Fhello"},
		{"encoded backslash", "/v1/tournament/..%5C..%5Chello/results"},
		{"double-encoded dot dot", "/v1/tournament/%252e%252e/results"},
		{"encoded NUL", "/v1/tournament/a%00b/results"},
		{"encoded hash", "/v1/tournament/TOURNAMENT%23x/match/MATCH%23y"},
		{"overlong UTF-8 slash", "/v1/tournament/%c0%af/results"},
		{"semicolon parameter", "/v1/tournament/" + fx.sentinel + ";x=1/results"},
		{"encoded space", "/v1/tournament/a%20b/results"},
	}
	for _, r := range raw {
		cases = append(cases, hostileCase{
			category: "path", name: "raw " + r.name, method: http.MethodGet, url: fx.home + r.path,
			statuses: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound}, form: formEither,
		})
	}
	return cases
}

// playerNameValid reports whether s is a valid player name by the rules of
// DESIGN.md: 1-64 printable characters after trimming.
func playerNameValid(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// --- query parameters and cursors -----------------------------------------

func (fx *hostileFixture) queryCases() []hostileCase {
	lists := []struct{ name, path string }{
		{"results", "/v1/tournament/" + fx.sentinel + "/results"},
		{"player", "/v1/player/hann-" + runID + "/matches"},
	}
	var forged []struct{ name, cursor string }
	if raw, err := base64.RawURLEncoding.DecodeString(fx.cursor); err == nil {
		var c map[string]any
		if json.Unmarshal(raw, &c) == nil {
			edit := func(name string, f func(map[string]any)) {
				cc := maps.Clone(c)
				f(cc)
				forged = append(forged, struct{ name, cursor string }{name, segment(cc)})
			}
			edit("forged cursor, other tournament's key", func(c map[string]any) { c["k"] = "TOURNAMENT#other" })
			edit("forged cursor, SK with a hash", func(c map[string]any) { c["s"] = "MATCH#a#b" })
			edit("forged cursor, empty SK", func(c map[string]any) { c["s"] = "" })
			edit("forged cursor, huge SK", func(c map[string]any) { c["s"] = "MATCH#" + strings.Repeat("z", 600) })
			edit("forged cursor, number SK", func(c map[string]any) { c["s"] = 5 })
			edit("forged cursor, extra field", func(c map[string]any) { c["x"] = 1 })
			edit("forged cursor, other partition", func(c map[string]any) { c["p"] = "AAAAAAAA" })
		}
	}
	params := []struct{ name, query string }{
		{"limit 0", "limit=0"},
		{"limit -1", "limit=-1"},
		{"limit 101", "limit=101"},
		{"limit 1e3", "limit=1e3"},
		{"limit word", "limit=ten"},
		{"limit huge", "limit=99999999999999999999999"},
		{"limit NUL", "limit=%00"},
		{"cursor garbage", "cursor=garbage"},
		{"cursor not base64", "cursor=%21%21%21"},
		{"cursor 3000 bytes", "cursor=" + strings.Repeat("A", 3000)},
		{"cursor JSON not base64", "cursor=" + url.QueryEscape(`{"s":"MATCH#m1"}`)},
		{"cursor truncated", "cursor=" + url.QueryEscape(fx.cursor[:len(fx.cursor)/2])},
		{"cursor with a character changed", "cursor=" + url.QueryEscape(flipChar(fx.cursor))},
		{"cursor with padding", "cursor=" + url.QueryEscape(fx.cursor+"==")},
	}
	for _, f := range forged {
		params = append(params, struct{ name, query string }{f.name, "cursor=" + url.QueryEscape(f.cursor)})
	}
	var cases []hostileCase
	for _, l := range lists {
		for _, p := range params {
			c := hostileCase{
				category: "query", name: l.name + " " + p.name, method: http.MethodGet, url: fx.home + l.path + "?" + p.query,
				status: http.StatusBadRequest, form: formError,
			}
			if strings.HasPrefix(p.name, "limit") {
				c.field = "limit"
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// flipChar changes one character in the middle of a base64url string.
func flipChar(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// --- sizes ----------------------------------------------------------------

// maxHandlerBody is the handlers' documented body limit (api/openapi.yaml).
const maxHandlerBody = 64 << 10

func (fx *hostileFixture) sizeCases() []hostileCase {
	padded := func(n int) ([]byte, string) {
		body, id := fx.validBody()
		b := mustJSON(body)
		return append(b, bytes.Repeat([]byte(" "), n-len(b))...), id
	}
	var cases []hostileCase
	b, id := padded(maxHandlerBody)
	cases = append(cases, fx.write("size", "exactly 64 KiB, valid", b).accepts(fx.writes, id))
	for _, s := range []struct {
		name    string
		n       int
		chunked bool
	}{
		{"64 KiB + 1", maxHandlerBody + 1, false},
		{"1 MiB", 1 << 20, false},
		{"1 MiB chunked", 1 << 20, true},
		{"5 MiB", 5 << 20, false},
	} {
		b, _ := padded(s.n)
		c := fx.write("size", s.name, b)
		c.status, c.form, c.chunked = http.StatusRequestEntityTooLarge, formError, s.chunked
		cases = append(cases, c)
	}
	// Between Lambda's 6 MB payload limit and API Gateway's 10 MB, the
	// invocation itself fails: AWS answers 413.
	b, _ = padded(7 << 20)
	c := fx.write("size", "7 MiB", b)
	c.status, c.form = http.StatusRequestEntityTooLarge, formEither
	cases = append(cases, c)
	for _, s := range []struct {
		name    string
		chunked bool
	}{{"11 MiB", false}, {"11 MiB chunked", true}} {
		b, _ := padded(11 << 20)
		c := fx.write("size", s.name, b)
		c.status, c.form, c.chunked = http.StatusRequestEntityTooLarge, formGatewayMessage, s.chunked
		cases = append(cases, c)
	}
	// A huge body where no body belongs: the route is unknown first.
	cases = append(cases, hostileCase{
		category: "size", name: "11 MiB to an unknown path", method: http.MethodPost, url: fx.home + "/v1/nothing",
		body: bytes.Repeat([]byte("x"), 11<<20), statuses: []int{http.StatusForbidden, http.StatusRequestEntityTooLarge}, form: formGatewayMessage,
	})
	// A Host header no URL can carry: the event's domainName is the API's,
	// so the function still answers.
	for _, host := range []string{"a:b", "a:b:c", "example.com:notaport"} {
		cases = append(cases, hostileCase{
			category: "header", name: "Host " + strconv.Quote(host), method: http.MethodGet,
			url: fx.home + "/v1/tournament/" + fx.sentinel + "/results", host: host,
			status: http.StatusOK, form: formPage,
		})
	}
	// 6 KiB of query string on a public list (API Gateway takes URLs up to 8 KiB).
	cases = append(cases, hostileCase{
		category: "size", name: "6 KiB query", method: http.MethodGet,
		url:    fx.home + "/v1/tournament/" + fx.sentinel + "/results?x=" + strings.Repeat("q", 6<<10),
		status: http.StatusOK, form: formPage,
	})
	return cases
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
	client, err := dynamolocal.NewClient(ctx, endpoint, tgt.Home, dynamolocal.Credentials(secret))
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
