// Command hush-docs writes Hush's API documentation (Redoc, offline) into a
// folder: `make docs` runs it as `go run ./cmd/hush-docs -out .hush/docs`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/apidocs"
)

func main() {
	out := flag.String("out", filepath.Join(".hush", "docs"), "folder to write index.html, redoc.standalone.js and openapi.yaml into")
	bundle := flag.String("bundle", "", "path of Redoc's standalone bundle (default: "+apidocs.BundleFile+" in this folder or a parent)")
	flag.Parse()

	if err := run(*out, *bundle); err != nil {
		fmt.Fprintln(os.Stderr, "hush-docs:", err)
		os.Exit(1)
	}
}

func run(out, bundle string) error {
	if bundle == "" {
		var err error
		if bundle, err = apidocs.FindBundle("."); err != nil {
			return err
		}
	}
	if err := apidocs.Build(out, api.OpenAPI(), bundle); err != nil {
		return err
	}
	fmt.Printf("docs: wrote %s (open it in a browser; it needs no server)\n", filepath.Join(out, "index.html"))
	return nil
}
