package loopguard

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		remote  string
		host    string
		headers map[string]string
		refused bool
	}{
		{"SDK call on 127.0.0.1", "127.0.0.1:5000", "127.0.0.1:7471", nil, false},
		{"localhost", "127.0.0.1:5000", "localhost:7471", nil, false},
		{"IPv6 loopback", "[::1]:5000", "[::1]:7471", nil, false},
		{"address bar", "127.0.0.1:5000", "127.0.0.1:7471", map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"cross-origin fetch", "127.0.0.1:5000", "127.0.0.1:7471", map[string]string{"Origin": "https://evil.example"}, true},
		{"same-origin POST", "127.0.0.1:5000", "127.0.0.1:7471", map[string]string{"Origin": "http://127.0.0.1:7471"}, true},
		{"null origin", "127.0.0.1:5000", "127.0.0.1:7471", map[string]string{"Origin": "null"}, true},
		{"image from a page", "127.0.0.1:5000", "127.0.0.1:7471", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"DNS rebinding", "127.0.0.1:5000", "evil.example:7471", nil, true},
		{"another machine", "192.0.2.7:5000", "127.0.0.1:7471", nil, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "http://"+tt.host+"/", nil)
		r.RemoteAddr = tt.remote
		r.Host = tt.host
		for k, v := range tt.headers {
			r.Header.Set(k, v)
		}
		if got := Check(r); (got != "") != tt.refused {
			t.Errorf("%s: Check = %q, want refused %v", tt.name, got, tt.refused)
		}
	}
}

// TestProxy runs a guarded proxy in front of an upstream that answers with
// CORS headers, as cognito-local does, over real loopback connections.
func TestProxy(t *testing.T) {
	upstreamCalls := 0
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamCalls++
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		w.Header().Set("X-Seen-Host", r.Host)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(upstream.Close)
	target, _ := url.Parse(upstream.URL)
	l, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Proxy(target), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	base := "http://" + l.Addr().String()

	// send answers the status, the headers and the body.
	send := func(method string, headers map[string]string) (int, http.Header, string) {
		req, _ := http.NewRequestWithContext(t.Context(), method, base+"/", strings.NewReader("{}"))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	status, header, body := send(http.MethodPost, map[string]string{"X-Amz-Target": "AWSCognitoIdentityProviderService.AdminAddUserToGroup"})
	if status != http.StatusOK || body != "ok" || header.Get("X-Seen-Host") != l.Addr().String() {
		t.Errorf("SDK-like call: %d %q, Host seen %q; want 200 with the guard's address as Host", status, body, header.Get("X-Seen-Host"))
	}
	if got := header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("the answer keeps Access-Control-Allow-Origin %q", got)
	}
	calls := upstreamCalls
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example"},
		{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
	} {
		for _, method := range []string{http.MethodPost, http.MethodOptions} {
			status, header, _ := send(method, h)
			if status != http.StatusForbidden || header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s with %v: %d, ACAO %q; want 403 without CORS headers", method, h, status, header.Get("Access-Control-Allow-Origin"))
			}
		}
	}
	if upstreamCalls != calls {
		t.Errorf("the upstream saw %d refused requests", upstreamCalls-calls)
	}
}

// TestListenIsLoopbackOnly dials the listener on every non-loopback address
// of this machine: none may connect.
func TestListenIsLoopbackOnly(t *testing.T) {
	l, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	addrs, err := ExternalAddrs()
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) == 0 {
		t.Fatal("this machine has no non-loopback address to dial; the test needs a network interface with one")
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(a, strconv.Itoa(port)), 2*time.Second); err == nil {
			c.Close()
			t.Errorf("%s:%d accepted a connection; want the guard on loopback only", a, port)
		}
	}
}
