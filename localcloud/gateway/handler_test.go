package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hush-scores/hush/api"
)

// TestRealHelloHandler serves the hello function's routes through the
// handler that runs in Lambda, over a real listener.
func TestRealHelloHandler(t *testing.T) {
	p := newPool(t)
	var routes []api.Route
	for _, r := range api.Routes() {
		if r.Function == api.FunctionHello {
			routes = append(routes, r)
		}
	}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := New(Options{
		Region:     "ap-southeast-2",
		Stage:      testStage,
		Routes:     routes,
		Functions:  map[api.Function]LambdaFunc{api.FunctionHello: api.NewLambdaHandler(api.FunctionHello, api.Deps{Region: "ap-southeast-2", Logger: quiet})},
		Authorizer: p.authorizer(t),
		Logger:     quiet,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := newLocalServer(t, h)
	token := sign(t, p.idClaims(time.Now()), testKID, p.key(testKID))

	tests := []struct {
		name, path, token string
		wantStatus        int
		wantBody          []string
	}{
		{"hello names Hush and the region", "/dev/v1/hello", "", 200, []string{"Hush", "ap-southeast-2"}},
		{"helloauthenticated without a token", "/dev/v1/helloauthenticated", "", 401, []string{`{"message":"Unauthorized"}`}},
		{"helloauthenticated greets the caller", "/dev/v1/helloauthenticated", token, 200, []string{"alice", "ap-southeast-2"}},
		{"unknown path", "/dev/v1/nope", token, 403, []string{`{"message":"Missing Authentication Token"}`}},
	}
	tests = append(tests, struct {
		name, path, token string
		wantStatus        int
		wantBody          []string
	}{"a Host the proxy cannot parse", "/dev/v1/hello", "", 200, []string{"Hush"}})
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv+tt.path, nil)
		if tt.token != "" {
			req.Header.Set("Authorization", tt.token)
		}
		if strings.HasPrefix(tt.name, "a Host") {
			req.Host = "a:b"
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.wantStatus {
			t.Errorf("%s: status = %d, want %d (body %q)", tt.name, res.StatusCode, tt.wantStatus, body)
		}
		for _, w := range tt.wantBody {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s: body %q does not contain %q", tt.name, body, w)
			}
		}
		if res.Header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("%s: no x-amzn-RequestId header", tt.name)
		}
	}
}

func newLocalServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	ln, err := listenLocal()
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

func benchGateway(b *testing.B) (http.Handler, string) {
	b.Helper()
	p := newPool(b)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	a, err := NewCognitoAuthorizer(ctx, CognitoOptions{Issuer: p.issuer, ClientID: testClientID})
	if err != nil {
		b.Fatal(err)
	}
	trivial := func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok"}, nil
	}
	fns := map[api.Function]LambdaFunc{}
	for _, s := range api.Functions() {
		fns[s.Name] = trivial
	}
	h, err := New(Options{Stage: testStage, Routes: api.Routes(), Functions: fns, Authorizer: a,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return h, sign(b, p.idClaims(time.Now()), testKID, p.key(testKID))
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func BenchmarkGatewayPublicRoute(b *testing.B) {
	h, _ := benchGateway(b)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://localhost:8080/dev/v1/tournament/t1/results?limit=10", nil)
	req.RemoteAddr = "127.0.0.1:5555"
	checkBench(b, h, req)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(&discardWriter{h: http.Header{}}, req)
	}
}

func BenchmarkGatewayAuthRoute(b *testing.B) {
	h, token := benchGateway(b)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://localhost:8080/dev/v1/helloauthenticated", nil)
	req.RemoteAddr = "127.0.0.1:5555"
	req.Header.Set("Authorization", token)
	checkBench(b, h, req)
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
	}
}

func listenLocal() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// checkBench fails the benchmark unless req is served by the function.
func checkBench(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "ok" {
		b.Fatalf("benchmark request answered %d %q, want 200 ok", rec.Code, rec.Body.String())
	}
}
