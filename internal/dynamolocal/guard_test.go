package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/hush-scores/hush/internal/testtier"
)

// TestGuard: the port clients use refuses a page that rebinds its name to
// 127.0.0.1 (foreign Host, the fetch headers of a same-origin request),
// and requests not signed with the instance's secret, such as the
// well-known local credentials; DynamoDB Local's own port answers no one
// but the guard.
func TestGuard(t *testing.T) {
	testtier.Needs(t, testtier.DynamoDBLocal)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const secret = "per-data-dir-secret" //nolint:gosec // a test secret
	inst, err := Start(ctx, Options{Secret: secret})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() { _ = inst.Stop() }()

	signedClient, err := NewClient(ctx, inst.Endpoint(), "eu-central-1", Credentials(secret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signedClient.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables signed with the secret: %v", err)
	}
	wellKnown := mustClient(t, inst)
	_, err = wellKnown.ListTables(ctx, &dynamodb.ListTablesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("ListTables with the well-known local credentials: %v, want InvalidSignatureException", err)
	}

	// What a rebound page's fetch sends: its own name as Host, and the
	// headers of a same-origin request, which needs no preflight.
	for _, port := range []int{inst.Port(), inst.javaPort} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d/", port),
			strings.NewReader(`{"TableName":"hush-dev","Item":{"PK":{"S":"STANDINGS#t"},"SK":{"S":"STANDING#mallory"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = fmt.Sprintf("rebind.attacker.example:%d", port)
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Sec-Fetch-Mode", "cors")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20261204/eu-central-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("rebinding request to port %d: %v", port, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("rebinding request to port %d: status %d, want 403", port, res.StatusCode)
		}
	}

	// DynamoDB Local's own port, even with a loopback Host and the
	// secret's signature: only the guard's token opens it.
	direct, err := NewClient(ctx, fmt.Sprintf("http://127.0.0.1:%d", inst.javaPort), "eu-central-1", Credentials(secret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.ListTables(ctx, &dynamodb.ListTablesInput{}); err == nil {
		t.Errorf("ListTables on DynamoDB Local's own port %d succeeded; want it to answer the guard only", inst.javaPort)
	}
}
