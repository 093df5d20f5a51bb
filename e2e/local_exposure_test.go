package e2e

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/loopguard"
)

// TestLocalExposure checks, on the suite's own local stack, what a web page
// and another machine can reach: a browser's call to cognito-local's admin
// API is refused, DynamoDB Local gives no page leave to call it, the
// gateways, cognito-local and (with a JDK) DynamoDB Local cannot be reached
// from this machine's other addresses, and an exposure that stays (DynamoDB
// Local on every interface, with a bare JRE) is what the stack warns about.
func TestLocalExposure(t *testing.T) {
	s := requireLocal(t, "it probes the emulators' ports")
	info := s.Info()

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, info.CognitoEndpoint+"/",
		strings.NewReader(`{"UserPoolId":"`+info.UserPoolID+`","Username":"x","GroupName":"admins"}`))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminAddUserToGroup")
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("cross-origin call to cognito-local: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("cross-origin call to cognito-local: %d, Access-Control-Allow-Origin %q; want 403 without it", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}

	req, _ = http.NewRequestWithContext(t.Context(), http.MethodOptions, info.DynamoDBEndpoint+"/", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target")
	res, err = httpClient.Do(req)
	if err != nil {
		t.Fatalf("preflight to DynamoDB Local: %v", err)
	}
	res.Body.Close()
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("preflight to DynamoDB Local: Access-Control-Allow-Origin %q, want none", got)
	}

	addrs, err := loopguard.ExternalAddrs()
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) == 0 {
		t.Fatal("this machine has no non-loopback address to dial; the test needs a network interface with one")
	}
	closed := map[string]string{"cognito-local": info.CognitoEndpoint}
	if info.DynamoDBLoopbackOnly {
		closed["DynamoDB Local"] = info.DynamoDBEndpoint
	}
	for _, r := range info.Regions {
		closed["gateway of "+r.Name] = r.URL
	}
	for what, u := range closed {
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			addr := net.JoinHostPort(a, parsed.Port())
			if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
				c.Close()
				t.Errorf("%s answers on %s; want loopback only", what, addr)
			}
		}
	}

	warned := false
	for _, w := range info.Warnings() {
		warned = warned || strings.Contains(w, "DynamoDB Local listens on every network interface")
	}
	if warned == info.DynamoDBLoopbackOnly {
		t.Errorf("Warnings() = %q with DynamoDB Local on loopback only %v; want the exposure named exactly when it is open",
			info.Warnings(), info.DynamoDBLoopbackOnly)
	}
}
