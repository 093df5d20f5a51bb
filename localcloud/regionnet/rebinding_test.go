package regionnet

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRebindingIsRefused: a page that rebinds its name to 127.0.0.1 sends
// its own name as Host and the fetch headers of a same-origin request,
// which needs no preflight and carries no Origin for a GET; every link
// refuses it before it reaches DynamoDB Local.
func TestRebindingIsRefused(t *testing.T) {
	n := start(t, nil)
	for _, tt := range []struct {
		name   string
		method string
		host   string
		header http.Header
	}{
		{"rebound POST", http.MethodPost, "rebind.attacker.example", http.Header{"Sec-Fetch-Site": {"same-origin"}, "Content-Type": {"text/plain"}}},
		{"rebound GET without fetch headers", http.MethodGet, "rebind.attacker.example", nil},
		{"same-origin fetch on 127.0.0.1", http.MethodPost, "", http.Header{"Sec-Fetch-Site": {"same-origin"}}},
	} {
		for _, pair := range [][2]string{{"eu-west-1", "eu-west-1"}, {"us-east-1", "eu-central-1"}} {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			req, err := http.NewRequestWithContext(ctx, tt.method, n.Endpoint(pair[0], pair[1]), strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s->%s: %v", tt.name, pair[0], pair[1], err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			cancel()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s on link %s->%s: %d, want 403", tt.name, pair[0], pair[1], resp.StatusCode)
			}
		}
	}
	// What the SDK sends still passes.
	if status, err := call(t, n, "eu-west-1", "eu-west-1", nil, 5*time.Second); err != nil || status != http.StatusOK {
		t.Errorf("an SDK-like call: %d, %v; want 200", status, err)
	}
}
