package cognitolocal_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/internal/loopguard"
	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/userpool"
)

func TestServer(t *testing.T) {
	testtier.Needs(t, testtier.CognitoLocal)
	ctx := context.Background()
	dir := t.TempDir()
	// Sign-up on, as in a dev stack: the test signs alice up.
	srv, err := cognitolocal.Start(ctx, cognitolocal.Options{Dir: dir, SelfSignUp: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	c := srv.NewClient("eu-west-1")

	design := userpool.Pool()
	design.SelfSignUp = true
	pool, err := cognitolocal.EnsurePool(ctx, c, "hush-test", design)
	if err != nil {
		t.Fatalf("EnsurePool: %v", err)
	}
	again, err := cognitolocal.EnsurePool(ctx, c, "hush-test", design)
	if err != nil {
		t.Fatalf("EnsurePool again: %v", err)
	}
	if again != pool {
		t.Errorf("EnsurePool again = %+v, want the first pool %+v", again, pool)
	}

	// A username that is not an e-mail address must be accepted: the pool
	// uses e-mail as an alias only.
	_, err = c.SignUp(ctx, &cip.SignUpInput{
		ClientId: aws.String(pool.ClientID), Username: aws.String("alice"), Password: aws.String("Passw0rdOK"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}},
	})
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if _, err := c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(pool.ID), Username: aws.String("alice")}); err != nil {
		t.Fatalf("AdminConfirmSignUp: %v", err)
	}
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(pool.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Passw0rdOK"},
	})
	if err != nil {
		t.Fatalf("InitiateAuth: %v", err)
	}
	claims := decodeClaims(t, aws.ToString(out.AuthenticationResult.IdToken))
	if got, want := claims["iss"], srv.Issuer(pool.ID); got != want {
		t.Errorf("iss = %v, want %v", got, want)
	}
	if got, want := claims["cognito:username"], "alice"; got != want {
		t.Errorf("cognito:username = %v, want %v", got, want)
	}
	if got, want := claims["aud"], pool.ClientID; got != want {
		t.Errorf("aud = %v, want %v", got, want)
	}

	checkGuarded(t, srv, pool)

	pid := srv.PID()
	srv.Close()
	srv.Close() // idempotent
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("after Close, kill(%d, 0) = %v, want ESRCH", pid, err)
	}
	var d net.Dialer
	if conn, err := d.DialContext(ctx, "tcp", strings.TrimPrefix(srv.Endpoint, "http://")); err == nil {
		conn.Close()
		t.Errorf("after Close, %s still accepts connections", srv.Endpoint)
	}
	if err := srv.Err(); err != nil {
		t.Errorf("Err after Close = %v, want nil", err)
	}
}

// checkGuarded sends what a web page could send to cognito-local's admin
// API and checks it is refused, then dials the server from this machine's
// other addresses, which must not connect.
func checkGuarded(t *testing.T, srv *cognitolocal.Server, pool cognitolocal.Pool) {
	t.Helper()
	ctx := t.Context()
	body := `{"UserPoolId":"` + pool.ID + `","Username":"alice","GroupName":"admins"}`
	for _, method := range []string{http.MethodOptions, http.MethodPost} {
		req, _ := http.NewRequestWithContext(ctx, method, srv.Endpoint+"/", strings.NewReader(body))
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminAddUserToGroup")
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s from a web origin: %v", method, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s from a web origin: %d, Access-Control-Allow-Origin %q; want 403 without it",
				method, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	groups, err := srv.NewClient("eu-west-1").AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{
		UserPoolId: aws.String(pool.ID), Username: aws.String("alice"),
	})
	if err != nil {
		t.Fatalf("AdminListGroupsForUser: %v", err)
	}
	if len(groups.Groups) != 0 {
		t.Errorf("alice is in %d groups after the refused requests, want 0", len(groups.Groups))
	}
	addrs, err := loopguard.ExternalAddrs()
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) == 0 {
		t.Fatal("this machine has no non-loopback address to dial; the test needs a network interface with one")
	}
	for _, a := range addrs {
		addr := net.JoinHostPort(a, strconv.Itoa(srv.Port))
		if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			c.Close()
			t.Errorf("cognito-local answers on %s; want loopback only", addr)
		}
	}
}

func TestBusyPort(t *testing.T) {
	testtier.Needs(t, testtier.CognitoLocal)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := cognitolocal.Start(ctx, cognitolocal.Options{Dir: t.TempDir(), Port: port})
	if err == nil {
		srv.Close()
		t.Fatalf("Start on busy port %d succeeded, want an error", port)
	}
	if !strings.Contains(err.Error(), "busy") {
		t.Errorf("error = %q, want it to say the port is busy", err)
	}
}

func TestMissingPackage(t *testing.T) {
	testtier.Needs(t, testtier.Node)
	_, err := cognitolocal.Start(context.Background(), cognitolocal.Options{Dir: t.TempDir(), ModuleRoot: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make deps") {
		t.Errorf("error = %v, want one telling to run make deps", err)
	}
}

func decodeClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode claims: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatalf("parse claims: %v", err)
	}
	return claims
}
