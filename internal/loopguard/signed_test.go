package loopguard

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
)

// signedServer is a guarded proxy requiring secret in front of an upstream
// that counts what reaches it and checks the upstream header.
func signedServer(t *testing.T, secret string, anonymous func(*http.Request) bool) (string, *atomic.Int32) {
	t.Helper()
	var reached atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Guard") != "token-1" {
			http.Error(w, "no guard token", http.StatusForbidden)
			return
		}
		reached.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"TableNames":["t"]}`)
	}))
	t.Cleanup(upstream.Close)
	target, _ := url.Parse(upstream.URL)
	guard := httptest.NewServer(ProxyWith(target, ProxyOptions{
		Secret: secret, Anonymous: anonymous, Upstream: http.Header{"X-Guard": {"token-1"}},
	}))
	t.Cleanup(guard.Close)
	return guard.URL, &reached
}

func dynamoClient(endpoint, secret string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: "eu-central-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("local", secret, ""),
	})
}

// TestSignedWithTheDataDirSecret: the SDK's signature with the data dir's
// secret passes; the well-known local credentials, another secret, an
// unsigned request and a tampered one are refused before the emulator.
func TestSignedWithTheDataDirSecret(t *testing.T) {
	endpoint, reached := signedServer(t, "s3cret-of-the-data-dir", nil)
	ctx := context.Background()
	if _, err := dynamoClient(endpoint, "s3cret-of-the-data-dir").ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables signed with the data dir's secret: %v", err)
	}
	if reached.Load() != 1 {
		t.Fatalf("the emulator saw %d requests, want 1", reached.Load())
	}
	for _, secret := range []string{"local", "another-secret"} {
		_, err := dynamoClient(endpoint, secret).ListTables(ctx, &dynamodb.ListTablesInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
			t.Errorf("ListTables signed with %q: %v, want InvalidSignatureException", secret, err)
		}
	}

	// A request signed right, then changed on the way.
	body := `{"TableName":"t"}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.DescribeTable")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if err := signRequest(req, body, "s3cret-of-the-data-dir", time.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(r *http.Request) string // returns the body to send
		ok     bool
	}{
		{"as signed", func(*http.Request) string { return body }, true},
		{"other body", func(*http.Request) string { return `{"TableName":"u"}` }, false},
		{"other target", func(r *http.Request) string {
			r.Header.Set("X-Amz-Target", "DynamoDB_20120810.DeleteTable")
			return body
		}, false},
		{"unsigned", func(r *http.Request) string { r.Header.Del("Authorization"); return body }, false},
		{"other Host", func(r *http.Request) string { r.Host = "127.0.0.2:1"; return body }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req.Clone(ctx)
			b := tt.change(r)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
			before := reached.Load()
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			passed := reached.Load() > before
			if passed != tt.ok || (res.StatusCode == http.StatusOK) != tt.ok {
				t.Errorf("status %d, reached the emulator %v; want passed %v", res.StatusCode, passed, tt.ok)
			}
		})
	}

	stale := req.Clone(ctx)
	if err := signRequest(stale, body, "s3cret-of-the-data-dir", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	stale.Body = io.NopCloser(strings.NewReader(body))
	if err := verifySigV4(stale, "s3cret-of-the-data-dir", time.Now()); err == nil || !strings.Contains(err.Error(), "too old") {
		t.Errorf("a signature of an hour ago: %v, want it refused as too old", err)
	}
}

// TestAnonymousOperations: what the real service serves without
// credentials passes unsigned; everything else needs the signature.
func TestAnonymousOperations(t *testing.T) {
	endpoint, reached := signedServer(t, "s3cret", func(r *http.Request) bool {
		return r.Header.Get("X-Amz-Target") == "AWSCognitoIdentityProviderService.InitiateAuth"
	})
	for _, tt := range []struct {
		target string
		ok     bool
	}{
		{"AWSCognitoIdentityProviderService.InitiateAuth", true},
		{"AWSCognitoIdentityProviderService.AdminAddUserToGroup", false},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", tt.target)
		before := reached.Load()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if passed := reached.Load() > before; passed != tt.ok {
			t.Errorf("unsigned %s: status %d, passed %v, want %v", tt.target, res.StatusCode, passed, tt.ok)
		}
	}
}
