// Package apidocs renders Hush's OpenAPI description as a Redoc page that works
// offline: the page, Redoc's standalone bundle and the description are all
// served (or written) together, so nothing is loaded from a CDN.
package apidocs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// BundleFile is where npm puts Redoc's standalone bundle, relative to the
// folder that holds package.json (`make deps` installs it).
const BundleFile = "node_modules/redoc/bundles/redoc.standalone.js"

// The paths Handler serves. The page refers to the other two by absolute path,
// so the handler can be mounted on any mux that routes /docs and /docs/ to it.
const (
	PagePath   = "/docs"
	BundlePath = "/docs/redoc.standalone.js"
	SpecPath   = "/docs/openapi.yaml"
)

// The names Build writes into its output folder.
const (
	indexName  = "index.html"
	bundleName = "redoc.standalone.js"
	specName   = "openapi.yaml"
)

// page is the HTML around Redoc. Spec is either the URL of the description
// (a string) or the description itself as JSON (json.RawMessage); html/template
// escapes both for the script context, so a description can never close the
// script element.
var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<noscript>This page needs JavaScript. The OpenAPI description is at <a href="{{.SpecLink}}">{{.SpecLink}}</a>.</noscript>
<div id="redoc"></div>
<script src="{{.BundleURL}}"></script>
<script>
Redoc.init({{.Spec}}, {
  disableSearch: false,
  expandResponses: "200,201,204",
  hideDownloadButton: false,
  jsonSampleExpandLevel: 3,
  pathInMiddlePanel: true,
  requiredPropsFirst: true
}, document.getElementById("redoc"));
</script>
</body>
</html>
`))

type pageData struct {
	Title     string
	BundleURL string
	SpecLink  string
	Spec      any
}

// FindBundle looks for Redoc's standalone bundle in dir and its parents, so
// that tests (which run in their package folder), the local stack and `make
// docs` all find the copy npm installed at the module root.
func FindBundle(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("docs: find redoc bundle: %w", err)
	}
	for {
		p := filepath.Join(dir, filepath.FromSlash(BundleFile))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("docs: %s not found in %s or its parents: run `make deps` (npm ci) at the repository root", BundleFile, dir)
		}
		dir = parent
	}
}

// Handler serves the documentation page at /docs (and /docs/), Redoc's bundle
// at /docs/redoc.standalone.js and spec, the OpenAPI description in YAML, at
// /docs/openapi.yaml. It reads the bundle from bundlePath once, and fails when
// the bundle is missing or spec is not an OpenAPI 3 description, so a broken
// page shows up when the server starts rather than in a browser.
func Handler(spec []byte, bundlePath string) (http.Handler, error) {
	doc, err := load(spec)
	if err != nil {
		return nil, err
	}
	bundle, err := os.ReadFile(bundlePath)
	if err != nil {
		return nil, fmt.Errorf("docs: read redoc bundle (run `make deps`): %w", err)
	}
	var html bytes.Buffer
	if err := page.Execute(&html, pageData{
		Title:     title(doc),
		BundleURL: BundlePath,
		SpecLink:  SpecPath,
		Spec:      SpecPath,
	}); err != nil {
		return nil, fmt.Errorf("docs: render page: %w", err)
	}

	// One fixed time, so browsers can revalidate with If-Modified-Since.
	modified := time.Now()
	serve := func(name, contentType string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			http.ServeContent(w, r, name, modified, bytes.NewReader(body))
		}
	}
	mux := http.NewServeMux()
	index := serve(indexName, "text/html; charset=utf-8", html.Bytes())
	mux.HandleFunc("GET "+PagePath, index)
	mux.HandleFunc("GET "+PagePath+"/{$}", index)
	mux.HandleFunc("GET "+BundlePath, serve(bundleName, "text/javascript; charset=utf-8", bundle))
	mux.HandleFunc("GET "+SpecPath, serve(specName, "application/yaml; charset=utf-8", spec))
	return mux, nil
}

// Build writes a documentation site into outDir that opens from the file
// system with no server: index.html with the description inlined as JSON
// (browsers refuse to fetch a file:// URL), beside a copy of Redoc's bundle and
// of the description.
func Build(outDir string, spec []byte, bundlePath string) error {
	doc, err := load(spec)
	if err != nil {
		return err
	}
	specJSON, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("docs: encode description as JSON: %w", err)
	}
	bundle, err := os.ReadFile(bundlePath)
	if err != nil {
		return fmt.Errorf("docs: read redoc bundle (run `make deps`): %w", err)
	}
	var html bytes.Buffer
	if err := page.Execute(&html, pageData{
		Title:     title(doc),
		BundleURL: bundleName,
		SpecLink:  specName,
		Spec:      json.RawMessage(specJSON),
	}); err != nil {
		return fmt.Errorf("docs: render page: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("docs: create %s: %w", outDir, err)
	}
	for name, body := range map[string][]byte{indexName: html.Bytes(), bundleName: bundle, specName: spec} {
		if err := os.WriteFile(filepath.Join(outDir, name), body, 0o644); err != nil {
			return fmt.Errorf("docs: write %s: %w", name, err)
		}
	}
	return nil
}

// load parses an OpenAPI 3 description and resolves its references. It does
// not run the full validation (examples against schemas and so on): api's own
// tests do that, and it would need a context that these callers do not have.
func load(spec []byte) (*openapi3.T, error) {
	if len(bytes.TrimSpace(spec)) == 0 {
		return nil, errors.New("docs: the OpenAPI description is empty")
	}
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("docs: parse OpenAPI description: %w", err)
	}
	if doc.OpenAPI == "" || doc.Paths == nil || doc.Paths.Len() == 0 {
		return nil, errors.New("docs: not an OpenAPI 3 description: no openapi version or no paths")
	}
	return doc, nil
}

// title names the page after the description.
func title(doc *openapi3.T) string {
	if doc.Info != nil && doc.Info.Title != "" {
		return doc.Info.Title + " " + doc.Info.Version
	}
	return "API documentation"
}
