package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/hush-scores/hush/api"
)

// maxBootstrapBytes is the size each handler binary must stay under: a small
// binary loads faster on a cold start, and 10 MiB is the project's target.
const maxBootstrapBytes = 10 << 20

// TestEveryHandlerBuildsForArm64 builds the real handler of every function of
// the route declaration, as `pulumi up` does, and checks that each package
// holds a linux/arm64 bootstrap under the size target.
func TestEveryHandlerBuildsForArm64(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	b := &GoBuilder{ModuleDir: root, OutDir: t.TempDir()}
	for _, fn := range api.Functions() {
		t.Run(string(fn.Name), func(t *testing.T) {
			asset, err := b.Build(context.Background(), string(fn.Name))
			if err != nil {
				t.Fatalf("Build(%s): %v", fn.Name, err)
			}
			zr, err := zip.OpenReader(asset.ZipPath)
			if err != nil {
				t.Fatalf("open %s: %v", asset.ZipPath, err)
			}
			defer func() { _ = zr.Close() }()
			if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
				t.Fatalf("%s holds %d entries, want only bootstrap", asset.ZipPath, len(zr.File))
			}
			f := zr.File[0]
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = rc.Close() }()
			head := make([]byte, 20)
			if _, err := io.ReadFull(rc, head); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(head, []byte("\x7fELF")) || head[18] != 0xB7 {
				t.Errorf("bootstrap header = % x, want an arm64 ELF binary", head)
			}
			size := f.UncompressedSize64
			t.Logf("%s: bootstrap %d bytes, zip %d bytes", fn.Name, size, f.CompressedSize64)
			if size >= maxBootstrapBytes {
				t.Errorf("bootstrap of %s is %d bytes, want under %d (10 MiB)", fn.Name, size, maxBootstrapBytes)
			}
		})
	}
}
