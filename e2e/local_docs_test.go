package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hush-scores/hush/api"
)

var (
	scriptSrc = regexp.MustCompile(`<script src="([^"]+)"`)
	specLink  = regexp.MustCompile(`<a href="([^"]+\.yaml)"`)
)

// TestDocs fetches the documentation page from every region's gateway of
// the local stack (API Gateway serves no such page, so a deployed target
// skips it, saying so), follows its links to Redoc's bundle and the OpenAPI
// description as a browser would, and checks that the description documents
// every route of api.Routes() and nothing else. Importing api.Routes() is
// this black-box suite's one exception: the list of routes is the contract
// the page must cover.
func TestDocs(t *testing.T) {
	stack := requireLocal(t, "the documentation page is served by the local gateways")
	for _, r := range stack.Info().Regions {
		t.Run(r.Name, func(t *testing.T) {
			base := fmt.Sprintf("http://127.0.0.1:%d", r.Port)

			page := do(t, "GET", base+"/docs", "", nil)
			wantStatus(t, "GET /docs", page, 200)
			wantContentType(t, "GET /docs", page, "text/html")
			html := string(page.Body)
			if !strings.Contains(html, `id="redoc"`) || !strings.Contains(html, "Redoc.init(") {
				t.Fatalf("GET /docs is not a Redoc page:\n%s", html)
			}
			src := scriptSrc.FindStringSubmatch(html)
			link := specLink.FindStringSubmatch(html)
			if src == nil || link == nil {
				t.Fatalf("GET /docs: no script src or link to the description in the page:\n%s", html)
			}

			bundle := do(t, "GET", base+src[1], "", nil)
			wantStatus(t, "GET "+src[1], bundle, 200)
			wantContentType(t, "GET "+src[1], bundle, "javascript")
			// Redoc's standalone bundle is about 1 MB; a stub or an error
			// page is far smaller.
			if len(bundle.Body) < 100<<10 || !bytes.Contains(bundle.Body, []byte("Redoc")) {
				t.Errorf("GET %s: %d bytes, want Redoc's standalone bundle (over 100 KiB, naming Redoc)", src[1], len(bundle.Body))
			}

			spec := do(t, "GET", base+link[1], "", nil)
			wantStatus(t, "GET "+link[1], spec, 200)
			wantContentType(t, "GET "+link[1], spec, "yaml")
			doc, err := openapi3.NewLoader().LoadFromData(spec.Body)
			if err != nil {
				t.Fatalf("GET %s: not an OpenAPI description: %v", link[1], err)
			}
			if err := doc.Validate(t.Context()); err != nil {
				t.Errorf("GET %s: invalid OpenAPI description: %v", link[1], err)
			}
			var documented []string
			for path, item := range doc.Paths.Map() {
				for method := range item.Operations() {
					documented = append(documented, method+" "+path)
				}
			}
			slices.Sort(documented)
			var routes []string
			for _, rt := range api.Routes() {
				routes = append(routes, rt.Method+" "+rt.Path)
			}
			slices.Sort(routes)
			for _, rt := range routes {
				if !slices.Contains(documented, rt) {
					t.Errorf("route %s is missing from %s", rt, link[1])
				}
			}
			for _, d := range documented {
				if !slices.Contains(routes, d) {
					t.Errorf("%s documents %s, which is not a route", link[1], d)
				}
			}
			if !t.Failed() {
				t.Logf("%s documents all %d routes", link[1], len(routes))
			}

			// The description is also at the gateway's root, for tools.
			root := do(t, "GET", base+"/openapi.yaml", "", nil)
			wantStatus(t, "GET /openapi.yaml", root, 200)
			if !bytes.Equal(root.Body, spec.Body) {
				t.Errorf("GET /openapi.yaml differs from %s", link[1])
			}
			// Under the stage, where only API v1 lives, the page is an
			// unknown route like any other.
			staged := do(t, "GET", r.URL+"/docs", "", nil)
			wantStatus(t, "GET <stage>/docs", staged, http.StatusForbidden)
			if string(staged.Body) != missingTokenBody {
				t.Errorf("GET <stage>/docs body = %q, want %q", staged.Body, missingTokenBody)
			}
		})
	}
}

func wantContentType(t *testing.T, what string, r response, want string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, want) {
		t.Errorf("%s: Content-Type %q, want %s", what, ct, want)
	}
}
