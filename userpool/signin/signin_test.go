package signin

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// fakeCognito answers every call with status and body, counting calls.
type fakeCognito struct {
	srv   *httptest.Server
	calls atomic.Int32
}

func newFake(t *testing.T, status int, body any) *fakeCognito {
	t.Helper()
	f := &fakeCognito{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if m, ok := body.(map[string]string); ok && m["__type"] != "" {
			w.Header().Set("X-Amzn-ErrorType", m["__type"])
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// refusing returns the address of a port nothing listens on.
func refusing(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	return addr
}

func client(endpoint string) *cip.Client {
	return cip.New(cip.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	})
}

var tokens = map[string]any{"AuthenticationResult": map[string]string{"IdToken": "id-token"}}

func TestPasswordFallback(t *testing.T) {
	tests := []struct {
		name string
		// home is the home endpoint's answer; nil means it refuses
		// connections.
		home        *fakeCognito
		wantRegion  string
		wantErr     string
		wantReplica int32
	}{
		{"home answers", newFake(t, 200, tokens), "home", "", 0},
		{"home refuses connections", nil, "replica", "", 1},
		{"home has a server fault", newFake(t, 500, map[string]string{"__type": "InternalErrorException", "message": "boom"}), "replica", "", 1},
		{"home refuses the password", newFake(t, 400, map[string]string{"__type": "NotAuthorizedException", "message": "Incorrect username or password."}), "home", "NotAuthorizedException", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replica := newFake(t, 200, tokens)
			homeURL := refusing(t)
			if tt.home != nil {
				homeURL = tt.home.srv.URL
			}
			p := Pool{ClientID: "c", Endpoints: []Endpoint{{"home", client(homeURL)}, {"replica", client(replica.srv.URL)}}}
			tok, region, err := p.IDToken(context.Background(), "alice", "pw")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one with %s", err, tt.wantErr)
				}
			} else if err != nil || tok != "id-token" {
				t.Fatalf("IDToken = %q, %v; want id-token", tok, err)
			}
			if region != tt.wantRegion {
				t.Errorf("answered by %q, want %q", region, tt.wantRegion)
			}
			if got := replica.calls.Load(); got != tt.wantReplica {
				t.Errorf("replica called %d times, want %d", got, tt.wantReplica)
			}
		})
	}
}

func TestNoEndpointAnswers(t *testing.T) {
	p := Pool{ClientID: "c", Endpoints: []Endpoint{{"eu-central-1", client(refusing(t))}, {"eu-west-1", client(refusing(t))}}}
	_, _, err := p.Password(context.Background(), "alice", "pw")
	if err == nil || !strings.Contains(err.Error(), "eu-central-1 did not answer") || !strings.Contains(err.Error(), "eu-west-1 did not answer") {
		t.Errorf("err = %v, want one naming both regions", err)
	}
}

// TestSignUpAtTheSecondary: with the home region dark, a sign-up reaches
// the secondary, whose OperationNotEnabledException comes back explained
// and still findable.
func TestSignUpAtTheSecondary(t *testing.T) {
	replica := newFake(t, 400, map[string]string{"__type": "OperationNotEnabledException", "message": "SignUp is not supported by the secondary replica"})
	p := Pool{ClientID: "c", Endpoints: []Endpoint{{"eu-central-1", client(refusing(t))}, {"eu-west-1", client(replica.srv.URL)}}}
	_, region, err := p.SignUp(context.Background(), cip.SignUpInput{Username: aws.String("bob"), Password: aws.String("pw")})
	if region != "eu-west-1" {
		t.Errorf("answered by %q, want eu-west-1", region)
	}
	var ne *types.OperationNotEnabledException
	if !errors.Is(err, ErrSecondary) || !errors.As(err, &ne) {
		t.Fatalf("err = %v, want ErrSecondary wrapping OperationNotEnabledException", err)
	}
	if !strings.Contains(err.Error(), "sign-up is not possible while the home region eu-central-1 does not answer") {
		t.Errorf("err = %q, want the reason in plain words", err)
	}
}
