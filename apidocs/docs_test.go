package apidocs_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/apidocs"
)

// bundle finds the Redoc bundle npm installed at the module root. The fast
// tier (go test -short, make unit) runs without npm packages: there a
// missing bundle is replaced by a small file of its own, since these tests
// check that the handler and Build serve and copy the bundle's bytes, not
// what Redoc does with them. Outside -short a missing bundle fails.
func bundle(t *testing.T) string {
	t.Helper()
	p, err := apidocs.FindBundle(".")
	if err == nil {
		return p
	}
	if !testing.Short() {
		t.Fatalf("FindBundle: %v (install the npm packages with `make deps`)", err)
	}
	p = filepath.Join(t.TempDir(), "redoc.standalone.js")
	if err := os.WriteFile(p, []byte("/* stand-in for Redoc's bundle under -short */\nvar Redoc = {init: function () {}};\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// get fetches path from a server and returns its status, content type and body.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), body
}

func TestHandlerServesPageBundleAndSpec(t *testing.T) {
	spec := api.OpenAPI()
	bundlePath := bundle(t)
	h, err := apidocs.Handler(spec, bundlePath)
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	tests := []struct {
		name     string
		path     string
		wantType string
		wantBody []byte // nil: check only that the body contains wantParts
		wantPart []string
	}{
		{
			name:     "page",
			path:     "/docs",
			wantType: "text/html",
			wantPart: []string{`<script src="/docs/redoc.standalone.js">`, `Redoc.init("/docs/openapi.yaml"`, `id="redoc"`},
		},
		{
			name:     "page with trailing slash",
			path:     "/docs/",
			wantType: "text/html",
			wantPart: []string{`<script src="/docs/redoc.standalone.js">`},
		},
		{name: "bundle", path: "/docs/redoc.standalone.js", wantType: "text/javascript", wantBody: readFile(t, bundlePath)},
		{name: "spec", path: "/docs/openapi.yaml", wantType: "application/yaml", wantBody: spec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := get(t, srv, tt.path)
			if status != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200", tt.path, status)
			}
			if !strings.HasPrefix(ctype, tt.wantType) {
				t.Errorf("GET %s: Content-Type %q, want %s", tt.path, ctype, tt.wantType)
			}
			if tt.wantBody != nil && !bytes.Equal(body, tt.wantBody) {
				t.Errorf("GET %s: body of %d bytes differs from the %d bytes expected", tt.path, len(body), len(tt.wantBody))
			}
			for _, part := range tt.wantPart {
				if !bytes.Contains(body, []byte(part)) {
					t.Errorf("GET %s: body lacks %q", tt.path, part)
				}
			}
			// No CDN: the page must work offline.
			if bytes.Contains(body, []byte("cdn.")) && tt.name != "bundle" {
				t.Errorf("GET %s: body refers to a CDN", tt.path)
			}
		})
	}

	t.Run("every route in the served spec", func(t *testing.T) {
		_, _, body := get(t, srv, apidocs.SpecPath)
		for _, r := range api.Routes() {
			if !bytes.Contains(body, []byte(r.Path+":")) {
				t.Errorf("served spec lacks path %s (%s %s)", r.Path, r.Method, r.OperationID)
			}
			if !bytes.Contains(body, []byte(r.OperationID)) {
				t.Errorf("served spec lacks operationId %s (%s %s)", r.OperationID, r.Method, r.Path)
			}
		}
	})

	t.Run("unknown path", func(t *testing.T) {
		if status, _, _ := get(t, srv, "/docs/other.js"); status != http.StatusNotFound {
			t.Errorf("GET /docs/other.js: status %d, want 404", status)
		}
	})
}

func TestHandlerRejects(t *testing.T) {
	spec := readFile(t, filepath.Join("testdata", "minimal.yaml"))
	tests := []struct {
		name   string
		spec   []byte
		bundle string
		want   string
	}{
		{name: "empty spec", spec: nil, bundle: bundle(t), want: "empty"},
		{name: "not OpenAPI", spec: []byte("openapi: [1, 2"), bundle: bundle(t), want: "parse"},
		{name: "no paths", spec: []byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n"), bundle: bundle(t), want: "no paths"},
		{name: "dangling reference", spec: []byte("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    $ref: '#/nope'\n"), bundle: bundle(t), want: "parse"},
		{name: "missing bundle", spec: spec, bundle: filepath.Join(t.TempDir(), "nope.js"), want: "make deps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := apidocs.Handler(tt.spec, tt.bundle)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Handler error = %v, want one containing %q", err, tt.want)
			}
			err = apidocs.Build(t.TempDir(), tt.spec, tt.bundle)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBuildWritesOfflineSite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "site")
	spec := api.OpenAPI()
	bundlePath := bundle(t)
	if err := apidocs.Build(out, spec, bundlePath); err != nil {
		t.Fatalf("Build: %v", err)
	}
	index := readFile(t, filepath.Join(out, "index.html"))
	for _, part := range []string{`<script src="redoc.standalone.js">`, `Redoc.init({`, `"openapi":"3.`} {
		if !bytes.Contains(index, []byte(part)) {
			t.Errorf("index.html lacks %q", part)
		}
	}
	// The description is inlined (browsers do not fetch file:// URLs), so every
	// route must be in index.html itself.
	for _, r := range api.Routes() {
		if !bytes.Contains(index, []byte(`"`+r.Path+`"`)) {
			t.Errorf("index.html lacks path %s (%s %s)", r.Path, r.Method, r.OperationID)
		}
	}
	if got, want := readFile(t, filepath.Join(out, "redoc.standalone.js")), readFile(t, bundlePath); !bytes.Equal(got, want) {
		t.Errorf("redoc.standalone.js: %d bytes, want a copy of the %d-byte bundle", len(got), len(want))
	}
	if got := readFile(t, filepath.Join(out, "openapi.yaml")); !bytes.Equal(got, spec) {
		t.Errorf("openapi.yaml differs from the description")
	}
}

// TestBuildEscapesSpec checks that text in the description cannot end the
// script element it is inlined in.
func TestBuildEscapesSpec(t *testing.T) {
	out := t.TempDir()
	if err := apidocs.Build(out, readFile(t, filepath.Join("testdata", "minimal.yaml")), bundle(t)); err != nil {
		t.Fatalf("Build: %v", err)
	}
	index := readFile(t, filepath.Join(out, "index.html"))
	if got, want := bytes.Count(index, []byte("</script>")), 2; got != want {
		t.Errorf("index.html has %d </script> tags, want %d (the description must be escaped)", got, want)
	}
	if !bytes.Contains(index, []byte("A greeting")) {
		t.Errorf("index.html lacks the description's text")
	}
}
