package localcloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/drill"
)

var regions = []string{"eu-central-1", "us-east-1"}

func start(t *testing.T, opts localcloud.Options) *localcloud.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := localcloud.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRestartKeepsData starts a stack, stores a user and a match, stops it,
// and checks that nothing is left running, that a second start on the same
// data finds both, and that a clean start finds neither.
func TestRestartKeepsData(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	dir := t.TempDir()
	opts := localcloud.Options{Stack: "test", Regions: regions, DataDir: dir}

	s := start(t, opts)
	first := s.Info()
	if got, want := len(first.Regions), len(regions); got != want {
		t.Fatalf("Info().Regions has %d regions, want %d", got, want)
	}
	for _, r := range first.Regions {
		body := get(t, r.URL+"/v1/hello", 200)
		if !strings.Contains(body, r.Name) {
			t.Errorf("hello of %s = %q, want it to name the region", r.Name, body)
		}
	}
	token := newUser(t, first, "carol")
	put(t, first.URL("eu-central-1"), token, `{"tournament_id":"t1","match_id":"m1","player1":"ann","player2":"bea","score":"5,4,9"}`)
	// The write region sees the match at once, the other region once the
	// replicator has copied it.
	get(t, first.URL("eu-central-1")+"/v1/tournament/t1/match/m1", 200)
	eventually(t, first.URL("us-east-1")+"/v1/tournament/t1/match/m1", 200)

	// A move made at run time is data in the table: the restart below
	// seeds nothing over it.
	if err := s.Faults().MoveWriteRegion(t.Context(), "us-east-1", false); err != nil {
		t.Fatalf("move the write region to us-east-1: %v", err)
	}
	if b := s.WriteRegionBelief(); b.WriteRegion != "us-east-1" || b.Epoch != 2 || b.State != "open" {
		t.Errorf("belief after the move = %+v, want us-east-1 at epoch 2, open", b)
	}

	pids := s.PIDs()
	if len(pids) != 2 {
		t.Fatalf("PIDs() = %v, want two emulators", pids)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	assertStopped(t, pids, first)

	s = start(t, opts)
	second := s.Info()
	if b := s.WriteRegionBelief(); b.WriteRegion != "us-east-1" || b.Epoch != 2 {
		t.Errorf("after a restart the write region is %+v, want the move's us-east-1 at epoch 2 (the seed must not overwrite it)", b)
	}
	if second.UserPoolID != first.UserPoolID || second.UserPoolClientID != first.UserPoolClientID {
		t.Errorf("second start: pool %s client %s, want the first's %s %s",
			second.UserPoolID, second.UserPoolClientID, first.UserPoolID, first.UserPoolClientID)
	}
	get(t, second.URL("us-east-1")+"/v1/tournament/t1/match/m1", 200)
	token = signIn(t, second, "carol")
	// The new token is accepted by the new gateways: the issuer is the same.
	get(t, second.URL("eu-central-1")+"/v1/helloauthenticated", 200, token)
	put(t, second.URL("eu-central-1"), token, `{"tournament_id":"t1","match_id":"m2","player1":"ann","player2":"bea","score":"5,4,9"}`)
	// Committed in the moved write region: readable there at once.
	get(t, second.URL("us-east-1")+"/v1/tournament/t1/match/m2", 200)
	s.Close()

	opts.Clean = true
	s = start(t, opts)
	third := s.Info()
	if got := s.WriteRegion(); got != "eu-central-1" {
		t.Errorf("a clean start's write region = %q, want the seed eu-central-1", got)
	}
	if third.UserPoolID == first.UserPoolID {
		t.Errorf("clean start kept pool %s", third.UserPoolID)
	}
	get(t, third.URL("eu-central-1")+"/v1/tournament/t1/match/m1", 404)
	if _, err := initiateAuth(third, "carol"); err == nil {
		t.Errorf("clean start: carol can still sign in")
	}

	// A child that dies is reported, and Close still cleans up.
	if err := syscall.Kill(s.PIDs()[1], syscall.SIGKILL); err != nil {
		t.Fatalf("kill cognito-local: %v", err)
	}
	select {
	case <-s.Done():
		if err := s.Err(); err == nil || !strings.Contains(err.Error(), "cognito-local") {
			t.Errorf("Err() = %v, want it to name cognito-local", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Done() not closed 10s after cognito-local was killed")
	}
	pids = s.PIDs()
	s.Close()
	assertStopped(t, pids, third)
}

func TestBusyPort(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	s, err := localcloud.Start(context.Background(), localcloud.Options{Stack: "test", Regions: regions, DataDir: dir, BasePort: port})
	if err == nil {
		s.Close()
		t.Fatalf("Start with base port %d in use succeeded, want an error", port)
	}
	if want := fmt.Sprintf("port %d", port); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "busy") {
		t.Errorf("error = %q, want it to say %q is busy", err, want)
	}
	// The ports are checked before any emulator starts: none wrote a log.
	for _, name := range []string{"dynamodb-local.log", "cognito-local.log"} {
		if _, err := os.Stat(filepath.Join(dir, "logs", name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("logs/%s exists (%v): an emulator started before the busy port was found", name, err)
		}
	}
}

func TestUnknownStack(t *testing.T) {
	_, err := localcloud.Start(context.Background(), localcloud.Options{Stack: "nope", DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "Pulumi.nope.yaml") {
		t.Errorf("error = %v, want it to name Pulumi.nope.yaml", err)
	}
}

// assertStopped checks that the processes are gone and nothing answers on
// the stack's ports.
func assertStopped(t *testing.T, pids []int, info localcloud.Info) {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after Close (kill 0: %v)", pid, err)
		}
		// The process group too: nothing the emulator spawned survives.
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d still exists after Close (kill 0: %v)", pid, err)
		}
	}
	addrs := []string{hostPort(info.CognitoEndpoint), hostPort(info.DynamoDBEndpoint)}
	for _, r := range info.Regions {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", r.Port))
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Close", a)
		}
	}
}

func hostPort(url string) string { return strings.TrimPrefix(url, "http://") }

func get(t *testing.T, url string, want int, token ...string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) > 0 {
		req.Header.Set("Authorization", token[0])
	}
	return send(t, req, want)
}

// eventually polls url until it answers want, for reads that wait on
// replication; the bound only guards against a hang.
func eventually(t *testing.T, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url) //nolint:noctx,gosec // a test poll of the stack's own URL
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never answered %d (last: %v %v)", url, want, resp, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func put(t *testing.T, base, token, body string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, base+"/v1/tournament/match", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	send(t, req, 200)
}

func send(t *testing.T, req *http.Request, want int) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d %s, want %d", req.Method, req.URL, resp.StatusCode, b, want)
	}
	return string(b)
}

const password = "Passw0rdOK"

func newUser(t *testing.T, info localcloud.Info, name string) string {
	t.Helper()
	ctx := context.Background()
	// Admin-created: these stacks have no stack file, so sign-up is closed.
	c := cognitolocal.NewSignedClient(info.CognitoEndpoint, info.HomeRegion, info.Secret)
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(info.UserPoolID), Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(name + "@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(info.UserPoolID), Username: aws.String(name), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
	return signIn(t, info, name)
}

func signIn(t *testing.T, info localcloud.Info, name string) string {
	t.Helper()
	token, err := initiateAuth(info, name)
	if err != nil {
		t.Fatalf("sign in %s: %v", name, err)
	}
	return token
}

func initiateAuth(info localcloud.Info, name string) (string, error) {
	c := cognitolocal.NewClient(info.CognitoEndpoint, info.HomeRegion)
	out, err := c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(info.UserPoolClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password},
	})
	if err != nil {
		return "", err
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("challenge %s", out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.IdToken), nil
}

// TestStopStartDynamoDB stops DynamoDB Local under a running stack: health
// answers 503 with a JSON body in every region, fast, and the stack does not
// report a failure; once DynamoDB Local is back on the same port and data,
// health is 200 and the match written before the stop is still there. A
// crash of the restarted process is still reported.
func TestStopStartDynamoDB(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	s := start(t, localcloud.Options{Stack: "test", Regions: regions, DataDir: t.TempDir()})
	info := s.Info()
	token := newUser(t, info, "dora")
	put(t, info.URL("eu-central-1"), token, `{"tournament_id":"t1","match_id":"m1","player1":"ann","player2":"bea","score":"5,4,9"}`)
	oldPID := s.PIDs()[0]

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := s.StopDynamoDB(ctx); err != nil {
		t.Fatalf("StopDynamoDB: %v", err)
	}
	if err := syscall.Kill(oldPID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("DynamoDB Local (pid %d) still exists after StopDynamoDB (kill 0: %v)", oldPID, err)
	}
	if err := s.StopDynamoDB(ctx); err != nil {
		t.Errorf("second StopDynamoDB: %v", err)
	}
	for _, r := range info.Regions {
		start := time.Now()
		status, body := health(t, r.URL)
		elapsed := time.Since(start)
		t.Logf("health of %s with DynamoDB Local stopped: %d in %v", r.Name, status, elapsed.Round(time.Millisecond))
		if status != http.StatusServiceUnavailable || body.Status != "unavailable" || body.Region != r.Name {
			t.Errorf("health of %s = %d %+v, want 503 status unavailable region %s", r.Name, status, body, r.Name)
		}
		// The store's client gives up after a few fast retries on a refused
		// connection; this bound only guards against a hang.
		if elapsed > 5*time.Second {
			t.Errorf("health of %s took %v with DynamoDB Local stopped, want under 5s", r.Name, elapsed)
		}
	}
	for _, path := range []string{"/v1/tournament/t1/match/m1", "/v1/tournament/t1/results"} {
		if got := get(t, info.URL("us-east-1")+path, http.StatusServiceUnavailable); !strings.Contains(got, `"error"`) {
			t.Errorf("GET %s with DynamoDB Local stopped = %s, want a JSON error body", path, got)
		}
	}
	select {
	case <-s.Done():
		t.Fatalf("the stack reported a deliberate stop as a failure: %v", s.Err())
	case <-time.After(500 * time.Millisecond):
	}

	start := time.Now()
	if err := s.StartDynamoDB(ctx); err != nil {
		t.Fatalf("StartDynamoDB: %v", err)
	}
	t.Logf("StartDynamoDB took %v", time.Since(start).Round(time.Millisecond))
	if err := s.StartDynamoDB(ctx); err != nil {
		t.Errorf("second StartDynamoDB: %v", err)
	}
	if got := s.Info().DynamoDBEndpoint; got != info.DynamoDBEndpoint {
		t.Errorf("DynamoDB endpoint after restart = %s, want the same %s", got, info.DynamoDBEndpoint)
	}
	// The first reads meet a cold JVM, which may outlast the health
	// check's own 2 s bound on a busy machine: poll, within a bound.
	restarted := time.Now()
	for _, r := range info.Regions {
		for {
			status, body := health(t, r.URL)
			if status == http.StatusOK && body.Status == "ok" && body.Region == r.Name {
				break
			}
			if time.Since(restarted) > 15*time.Second {
				t.Fatalf("health of %s 15s after restart = %d %+v, want 200 status ok region %s", r.Name, status, body, r.Name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The match may have been stopped on its way to the other region.
		eventually(t, r.URL+"/v1/tournament/t1/match/m1", http.StatusOK)
	}
	t.Logf("every region healthy, and the match read back, %v after StartDynamoDB returned", time.Since(restarted).Round(time.Millisecond))
	if s.Err() != nil {
		t.Fatalf("Err() after a stop and start = %v, want nil", s.Err())
	}

	// The watcher now watches the new process.
	newPID := s.PIDs()[0]
	if newPID == oldPID {
		t.Fatalf("PIDs()[0] = %d after the restart, want the new process", newPID)
	}
	if err := syscall.Kill(newPID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill DynamoDB Local: %v", err)
	}
	select {
	case <-s.Done():
		if err := s.Err(); err == nil || !strings.Contains(err.Error(), "DynamoDB Local stopped unexpectedly") {
			t.Errorf("Err() = %v, want it to say DynamoDB Local stopped unexpectedly", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Done() not closed 10s after the restarted DynamoDB Local was killed")
	}
	if err := s.StartDynamoDB(ctx); err == nil {
		t.Errorf("StartDynamoDB on a failed stack succeeded, want an error")
	}
}

type healthBody struct {
	Status      string `json:"status"`
	Region      string `json:"region"`
	WriteRegion string `json:"write_region"`
	Epoch       int64  `json:"epoch"`
	WriteState  string `json:"write_state"`
	WritePath   string `json:"write_path"`
}

// health calls /v1/health of the stage at base and decodes its JSON body,
// whatever the status.
func health(t *testing.T, base string) (int, healthBody) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/v1/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL, err)
	}
	defer resp.Body.Close()
	var b healthBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("GET %s = %d, body not JSON: %v", req.URL, resp.StatusCode, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET %s: Content-Type %q, want application/json", req.URL, ct)
	}
	return resp.StatusCode, b
}

// TestWriteRegionAndPartition drives the public API the e2e suite and the
// front door build on: writes go to the write region whichever region
// takes them; a cut-off write region makes writes elsewhere answer 503
// while reads and health stay up; once reconnected, moving the write
// region (a planned move by the operator) sends them to the new one.
// With two regions a forced move cannot open the survivor: a lease needs
// a majority of the views, both.
//
// It starts the stack with StartTemp, whose data dir Close removes.
func TestWriteRegionAndPartition(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	startCtx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := localcloud.StartTemp(startCtx, localcloud.Options{Stack: "test", Regions: regions})
	if err != nil {
		t.Fatalf("StartTemp: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	info := s.Info()
	if got := s.WriteRegion(); got != "eu-central-1" {
		t.Fatalf("WriteRegion = %q, want the first region", got)
	}
	token := newUser(t, info, "erin")
	put(t, info.URL("us-east-1"), token, `{"tournament_id":"t1","match_id":"m1","player1":"ann","player2":"bea","score":"5,4,9"}`)
	// Committed in the write region: readable there at once.
	get(t, info.URL("eu-central-1")+"/v1/tournament/t1/match/m1", 200)
	eventually(t, info.URL("us-east-1")+"/v1/tournament/t1/match/m1", 200)
	if got := len(s.ReplicationLinks()); got != 2 {
		t.Errorf("%d replication links, want 2", got)
	}

	ctx := t.Context()
	if err := s.SetWriteTimeout(ctx, api.DefaultWriteTimeout); err != nil {
		t.Fatal(err)
	}
	if err := s.Faults().Break(ctx, drill.CutOff, "eu-central-1"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, info.URL("us-east-1")+"/v1/tournament/match",
		strings.NewReader(`{"tournament_id":"t1","match_id":"m2","player1":"ann","player2":"bea","score":"5,4,9"}`))
	req.Header.Set("Authorization", token)
	if body := send(t, req, http.StatusServiceUnavailable); !strings.Contains(body, `"error"`) {
		t.Errorf("write into a partition answered %s, want the JSON error", body)
	}
	get(t, info.URL("us-east-1")+"/v1/tournament/t1/match/m1", 200)
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := health(t, info.URL("us-east-1"))
		if status != http.StatusOK || body.Status != "ok" {
			t.Fatalf("health of us-east-1 with the write region cut off = %d %+v, want 200 ok", status, body)
		}
		if body.WritePath == "unavailable" && body.WriteRegion == "eu-central-1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health never reported the write path down: %+v", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st := s.NetworkStates(); !st[0].CutOff {
		t.Errorf("NetworkStates = %+v, want eu-central-1 cut off", st)
	}

	if err := s.Faults().Restore(ctx, drill.CutOff, "eu-central-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Faults().MoveWriteRegion(ctx, "us-east-1", false); err != nil {
		t.Fatal(err)
	}
	put(t, info.URL("eu-central-1"), token, `{"tournament_id":"t1","match_id":"m3","player1":"ann","player2":"bea","score":"5,4,9"}`)
	// Committed in the new write region: readable there at once.
	get(t, info.URL("us-east-1")+"/v1/tournament/t1/match/m3", 200)
	eventually(t, info.URL("eu-central-1")+"/v1/tournament/t1/match/m3", 200)
	deadline = time.Now().Add(30 * time.Second)
	for {
		_, body := health(t, info.URL("eu-central-1"))
		if body.WriteRegion == "us-east-1" && body.Epoch == 2 && body.WriteState == "open" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health of eu-central-1 never reported the move: %+v", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := s.Faults().MoveWriteRegion(ctx, "mars-1", false); err == nil {
		t.Error("MoveWriteRegion to a region outside the stack succeeded")
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(info.DataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the data dir %s of StartTemp is still there after Close (%v)", info.DataDir, err)
	}
}

func TestStartTempRefusesADataDir(t *testing.T) {
	dir := t.TempDir()
	_, err := localcloud.StartTemp(t.Context(), localcloud.Options{Stack: "test", Regions: regions, DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("StartTemp with DataDir %s = %v, want an error naming it", dir, err)
	}
}
