package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/localcloud/gateway"
)

// target is the Hush under load.
type target struct {
	// Base is the stage URL; API v1 is under Base/v1.
	Base             string
	Region           string
	PoolID           string
	ClientID         string
	CognitoEndpoint  string
	DynamoDBEndpoint string
	Table            string
	Source           string
	// Secret signs requests to a local stack's emulators.
	Secret string
	close  func()
}

// startLocal starts a local stack of stack on free ports with a temporary
// data directory, which closing the target removes.
func startLocal(ctx context.Context, stack string, throttle bool, writeTimeout time.Duration, via string, progress io.Writer) (target, error) {
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	opts := localcloud.Options{Stack: stack, Progress: progress, WriteTimeout: writeTimeout}
	if !throttle {
		opts.Throttle = &gateway.Throttle{}
	}
	s, err := localcloud.StartTemp(startCtx, opts)
	if err != nil {
		return target{}, fmt.Errorf("start a local stack (or pass -target): %w", err)
	}
	info := s.Info()
	region := info.Regions[0]
	if via != "" {
		i := slices.IndexFunc(info.Regions, func(r localcloud.Region) bool { return r.Name == via })
		if i < 0 {
			s.Close()
			return target{}, fmt.Errorf("-via %s: not a region of the %s stack", via, stack)
		}
		region = info.Regions[i]
	}
	fmt.Fprintf(progress, "driving %s; writes go to %s\n", region.Name, s.WriteRegion())
	return target{
		Base: region.URL, Region: region.Name,
		PoolID: info.UserPoolID, ClientID: info.UserPoolClientID, CognitoEndpoint: info.CognitoEndpoint,
		DynamoDBEndpoint: info.DynamoDBEndpoint, Table: info.Table, Secret: info.Secret,
		Source: fmt.Sprintf("a local %s stack (%s, %s)", stack, region.URL, throttleText(info.Throttle)),
		close: func() {
			if err := s.Close(); err != nil {
				fmt.Fprintln(progress, "hush-load: stop the local stack:", err)
			}
		},
	}, nil
}

// givenTarget is -target with its user pool from the variables the e2e
// suite reads (and hush-local prints): HUSH_AWS_REGION, HUSH_USER_POOL_ID,
// HUSH_USER_POOL_CLIENT_ID and, for an emulator, HUSH_COGNITO_ENDPOINT.
func givenTarget(c config, getenv func(string) string) (target, error) {
	t := target{
		Base: strings.TrimRight(c.Target, "/"), Region: c.Region,
		PoolID: getenv("HUSH_USER_POOL_ID"), ClientID: getenv("HUSH_USER_POOL_CLIENT_ID"),
		CognitoEndpoint:  getenv("HUSH_COGNITO_ENDPOINT"),
		DynamoDBEndpoint: c.DynamoDBEndpoint, Table: c.Table,
		Source: c.Target, close: func() {},
	}
	if t.Region == "" {
		t.Region = getenv("HUSH_AWS_REGION")
	}
	if t.CognitoEndpoint != "" || t.DynamoDBEndpoint != "" {
		// A local stack's emulators check its data dir's secret.
		secret, err := datalock.SecretFromEnv(getenv)
		if err != nil {
			return target{}, err
		}
		t.Secret = secret
	}
	if t.Region == "" || t.PoolID == "" || t.ClientID == "" {
		return target{}, errors.New("-target needs its user pool: set HUSH_AWS_REGION (or -region), HUSH_USER_POOL_ID and HUSH_USER_POOL_CLIENT_ID (and HUSH_COGNITO_ENDPOINT for cognito-local), as `make local` prints them")
	}
	return t, nil
}

// newCognito returns a client of the target's user pool: cognito-local, or
// AWS with the default credentials, which need AdminCreateUser,
// AdminSetUserPassword and AdminDeleteUser on the pool.
func newCognito(ctx context.Context, t target) (*cip.Client, error) {
	if t.CognitoEndpoint != "" {
		return cognitolocal.NewSignedClient(t.CognitoEndpoint, t.Region, t.Secret), nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(t.Region))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return cip.NewFromConfig(cfg), nil
}

// loadPassword satisfies the pool's policy: 8+ characters, upper, lower, digit.
const loadPassword = "Load-Passw0rd"

// signUp creates a confirmed user and signs it in, and returns its ID
// token. It uses AdminCreateUser (no message sent) and AdminSetUserPassword
// rather than SignUp, so it works where the stack's hush:selfSignUp is off
// (prod, and a local prod stack) and spends none of Cognito's daily
// messages.
func signUp(ctx context.Context, c *cip.Client, t target, name string) (string, error) {
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(t.PoolID), Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(name + "@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	}); err != nil {
		return "", fmt.Errorf("create user %s: %w", name, err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(t.PoolID), Username: aws.String(name), Password: aws.String(loadPassword), Permanent: true,
	}); err != nil {
		return "", fmt.Errorf("set the password of %s: %w", name, err)
	}
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(t.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": loadPassword},
	})
	if err != nil {
		return "", fmt.Errorf("sign in %s: %w", name, err)
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("sign in %s: challenge %s instead of tokens", name, out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.IdToken), nil
}

func deleteUser(ctx context.Context, c *cip.Client, t target, name string) error {
	_, err := c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(t.PoolID), Username: aws.String(name)})
	var gone *types.UserNotFoundException
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("delete user %s: %w", name, err)
	}
	return nil
}

// seedMatches is how many matches the read endpoints' tournament holds.
const seedMatches = 20

// Players and scores of the seeded matches: a few players, so the
// standings have several rows, and scores of 3 and 4 games either way.
var (
	seedPlayers = []string{"Ada", "Ben", "Cleo", "Dan", "Eve", "Finn"}
	seedScores  = []string{"5,4,9", "6,-4,7,10", "-5,-4,-9", "-6,4,-7,-10"}
)

// fixture is the data a run reads and writes through the API.
type fixture struct {
	Base  string
	Token string
	// Tournament holds seedMatches matches for the read endpoints;
	// PutTournament one match per worker, which PUT replaces.
	Tournament    string
	PutTournament string
	Matches       []string
	// putBodies[w] are the two bodies worker w alternates between.
	putBodies [][2][]byte
}

func newFixture(base, token, runID string, workers int) (*fixture, error) {
	f := &fixture{
		Base: base, Token: token,
		Tournament: "load-" + runID, PutTournament: "load-" + runID + "-put",
	}
	for i := range seedMatches {
		f.Matches = append(f.Matches, fmt.Sprintf("m%02d", i))
	}
	for w := range workers {
		var bodies [2][]byte
		for n := range bodies {
			b, err := matchBody(f.PutTournament, putMatchID(w), w+n)
			if err != nil {
				return nil, err
			}
			bodies[n] = b
		}
		f.putBodies = append(f.putBodies, bodies)
	}
	return f, nil
}

func putMatchID(worker int) string { return fmt.Sprintf("w%03d", worker) }

// matchBody is the JSON of match k of a tournament.
func matchBody(tournament, matchID string, k int) ([]byte, error) {
	p1 := seedPlayers[k%len(seedPlayers)]
	// An offset of 1 to 5 never picks p1 again.
	p2 := seedPlayers[(k+1+(k/len(seedPlayers))%(len(seedPlayers)-1))%len(seedPlayers)]
	b, err := json.Marshal(map[string]string{
		"tournament_id": tournament, "match_id": matchID,
		"player1": p1, "player2": p2, "score": seedScores[k%len(seedScores)],
	})
	if err != nil {
		return nil, fmt.Errorf("encode match: %w", err)
	}
	return b, nil
}

func (f *fixture) matchURL(tournament, matchID string) string {
	return f.Base + "/v1/tournament/" + tournament + "/match/" + matchID
}

// seed stores the tournament's matches and every worker's PUT match, so
// the measured PUTs replace (the usual case), and returns the first match
// as the API answers it.
func (f *fixture) seed(ctx context.Context, client *http.Client) (map[string]any, error) {
	for k, id := range f.Matches {
		body, err := matchBody(f.Tournament, id, k)
		if err != nil {
			return nil, err
		}
		if _, err := f.send(ctx, client, http.MethodPut, f.Base+"/v1/tournament/match", body, http.StatusOK); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	for _, bodies := range f.putBodies {
		if _, err := f.send(ctx, client, http.MethodPut, f.Base+"/v1/tournament/match", bodies[0], http.StatusOK); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	// Outside the write region the seeded matches arrive by replication.
	var got []byte
	for deadline := time.Now().Add(30 * time.Second); ; {
		var err error
		got, err = f.send(ctx, client, http.MethodGet, f.matchURL(f.Tournament, f.Matches[0]), nil, http.StatusOK)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("seed: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var attrs map[string]any
	if err := json.Unmarshal(got, &attrs); err != nil {
		return nil, fmt.Errorf("seed: the stored match is not JSON: %w", err)
	}
	return attrs, nil
}

// cleanup deletes every match the run may have stored.
func (f *fixture) cleanup(ctx context.Context, client *http.Client) error {
	var urls []string
	for _, id := range f.Matches {
		urls = append(urls, f.matchURL(f.Tournament, id))
	}
	for w := range f.putBodies {
		urls = append(urls, f.matchURL(f.PutTournament, putMatchID(w)))
	}
	var errs []error
	for _, u := range urls {
		if _, err := f.send(ctx, client, http.MethodDelete, u, nil, http.StatusNoContent, http.StatusNotFound); err != nil {
			errs = append(errs, fmt.Errorf("cleanup: %w", err))
		}
	}
	return errors.Join(errs...)
}

// send makes one request with the run's token and returns the body, or an
// error unless the status is one of want.
func (f *fixture) send(ctx context.Context, client *http.Client, method, url string, body []byte, want ...int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The URL is under the -target the user chose (loopback unless
	// -allow-remote): driving it is the point of the command.
	req, err := http.NewRequestWithContext(ctx, method, url, rd) //nolint:gosec // G704: see above
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	req.Header.Set("Authorization", f.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req) //nolint:gosec // G704: the -target the user chose
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, url, err)
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s %s: status %d: %s", method, url, resp.StatusCode, snippet(b))
}

func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// phases returns the measured phase of every endpoint in names.
func (f *fixture) phases(client *http.Client, names []string) []phase {
	get := func(url func(worker, i int) string) op {
		return httpOp(client, func(ctx context.Context, worker, i int) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, url(worker, i), nil)
		})
	}
	byName := map[string]phase{
		epHello: {Op: get(func(_, _ int) string { return f.Base + "/v1/hello" })},
		epMatch: {Floor: floorGet, Op: get(func(w, i int) string {
			return f.matchURL(f.Tournament, f.Matches[(w+i)%len(f.Matches)])
		})},
		epResults: {Floor: floorQuery, Op: get(func(_, _ int) string {
			return f.Base + "/v1/tournament/" + f.Tournament + "/results?limit=20"
		})},
		epStandings: {Floor: floorStandings, Op: get(func(_, _ int) string {
			return f.Base + "/v1/tournament/" + f.Tournament + "/standings"
		})},
		epHealth: {Floor: floorGet, Op: get(func(_, _ int) string { return f.Base + "/v1/health" })},
		epPut: {Floor: floorTransact, Op: httpOp(client, func(ctx context.Context, w, i int) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.Base+"/v1/tournament/match", bytes.NewReader(f.putBodies[w][i%2])) //nolint:gosec // G704: the -target the user chose
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", f.Token)
			req.Header.Set("Content-Type", "application/json")
			return req, nil
		})},
	}
	var out []phase
	for _, n := range names {
		p := byName[n]
		p.Name = endpointLabel(n)
		out = append(out, p)
	}
	return out
}

// endpointLabel names an endpoint in the table by its route.
func endpointLabel(name string) string {
	switch name {
	case epHello:
		return "GET hello"
	case epMatch:
		return "GET match"
	case epResults:
		return "GET results (20)"
	case epStandings:
		return "GET standings"
	case epHealth:
		return "GET health"
	case epPut:
		return "PUT match"
	}
	return name
}

// httpOp sends the request build makes; anything but a 2xx is an error.
// The body is read in full, so the connection is reused.
func httpOp(client *http.Client, build func(ctx context.Context, worker, i int) (*http.Request, error)) op {
	return func(ctx context.Context, worker, i int) error {
		req, err := build(ctx, worker, i)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			return fmt.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, snippet(b))
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return fmt.Errorf("%s %s: read body: %w", req.Method, req.URL.Path, err)
		}
		return nil
	}
}

// newHTTPClient keeps a connection per worker alive between requests, as
// a steady client would; Go's default keeps only 2 per host.
func newHTTPClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = concurrency * 2
	tr.MaxIdleConnsPerHost = concurrency
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// throttleText says which method throttling the local stack enforces.
func throttleText(t gateway.Throttle) string {
	if t.Off() {
		return "throttling off; -throttle keeps the stack's limits"
	}
	return fmt.Sprintf("throttling on: rate %g/s, burst %d per method", t.RateLimit, t.BurstLimit)
}
