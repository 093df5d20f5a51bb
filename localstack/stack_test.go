package localstack_test

import (
	"context"
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

	"github.com/hush-scores/hush/localstack"
	"github.com/hush-scores/hush/localstack/cognitolocal"
)

var regions = []string{"eu-central-1", "us-east-1"}

func start(t *testing.T, opts localstack.Options) *localstack.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := localstack.Start(ctx, opts)
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
	dir := t.TempDir()
	opts := localstack.Options{Stack: "test", Regions: regions, DataDir: dir}

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
	// -sharedDb: the match written in one region is read in the other.
	get(t, first.URL("us-east-1")+"/v1/tournament/t1/match/m1", 200)

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
	if second.UserPoolID != first.UserPoolID || second.UserPoolClientID != first.UserPoolClientID {
		t.Errorf("second start: pool %s client %s, want the first's %s %s",
			second.UserPoolID, second.UserPoolClientID, first.UserPoolID, first.UserPoolClientID)
	}
	get(t, second.URL("us-east-1")+"/v1/tournament/t1/match/m1", 200)
	token = signIn(t, second, "carol")
	// The new token is accepted by the new gateways: the issuer is the same.
	get(t, second.URL("eu-central-1")+"/v1/helloauthenticated", 200, token)
	s.Close()

	opts.Clean = true
	s = start(t, opts)
	third := s.Info()
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	s, err := localstack.Start(context.Background(), localstack.Options{Stack: "test", Regions: regions, DataDir: dir, BasePort: port})
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
	_, err := localstack.Start(context.Background(), localstack.Options{Stack: "nope", DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "Pulumi.nope.yaml") {
		t.Errorf("error = %v, want it to name Pulumi.nope.yaml", err)
	}
}

// assertStopped checks that the processes are gone and nothing answers on
// the stack's ports.
func assertStopped(t *testing.T, pids []int, info localstack.Info) {
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

func newUser(t *testing.T, info localstack.Info, name string) string {
	t.Helper()
	ctx := context.Background()
	c := cognitolocal.NewClient(info.CognitoEndpoint, info.HomeRegion)
	if _, err := c.SignUp(ctx, &cip.SignUpInput{
		ClientId: aws.String(info.UserPoolClientID), Username: aws.String(name), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "@example.com")}},
	}); err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if _, err := c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(info.UserPoolID), Username: aws.String(name)}); err != nil {
		t.Fatalf("AdminConfirmSignUp: %v", err)
	}
	return signIn(t, info, name)
}

func signIn(t *testing.T, info localstack.Info, name string) string {
	t.Helper()
	token, err := initiateAuth(info, name)
	if err != nil {
		t.Fatalf("sign in %s: %v", name, err)
	}
	return token
}

func initiateAuth(info localstack.Info, name string) (string, error) {
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
