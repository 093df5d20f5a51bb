// Package lambdabuild builds the deployment package of each Hush Lambda
// function: a linux/arm64 Go binary named bootstrap, zipped deterministically.
//
// The Pulumi program builds every function on every run, so `pulumi up` can
// never deploy a stale binary; the Go build cache keeps that cheap. The zip is
// written here rather than by Pulumi because Pulumi's archive writer drops the
// executable bit that provided.al2023 needs on bootstrap, and because an
// unchanged handler must give byte-identical bytes, so `pulumi preview` shows
// no change.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Asset is one function's deployment package on disk.
type Asset struct {
	// Function is the function's name, as in api.Functions().
	Function string
	// ZipPath is the zip to upload as the function's code.
	ZipPath string
	// SourceCodeHash is the base64 SHA-256 of the zip, which is what Lambda's
	// source_code_hash compares.
	SourceCodeHash string
}

// Builder builds the deployment package of one function. The Pulumi program
// takes it as a dependency so that mock tests can use a fake one.
type Builder interface {
	Build(ctx context.Context, function string) (Asset, error)
}

// GoBuilder builds handlers/<function> of a Go module with the Go toolchain.
type GoBuilder struct {
	// ModuleDir is the root of the module that holds handlers/.
	ModuleDir string
	// OutDir receives <function>.zip; by default ModuleDir/.hush/build.
	OutDir string
	// Go is the go command; by default "go" from PATH.
	Go string
}

// New returns a GoBuilder for the module at moduleDir.
func New(moduleDir string) *GoBuilder {
	return &GoBuilder{ModuleDir: moduleDir}
}

// zipTime is the modification time of every zip entry: the earliest a zip can
// hold, so that the bytes never depend on when the build ran.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Arch is the architecture of Hush's Lambda functions (Graviton).
const Arch = "arm64"

// Arches are the architectures Lambda runs; Compile builds for either, so
// that a bootstrap can also run on this machine (make coldstart).
var Arches = []string{"arm64", "amd64"}

// Build compiles ./handlers/<function> for linux/arm64 and writes its zip.
func (b *GoBuilder) Build(ctx context.Context, function string) (Asset, error) {
	tmp, err := os.MkdirTemp("", "hush-lambdabuild-")
	if err != nil {
		return Asset{}, fmt.Errorf("lambdabuild: %w", err)
	}
	defer os.RemoveAll(tmp)
	binary := filepath.Join(tmp, "bootstrap")
	if err := b.Compile(ctx, function, Arch, binary); err != nil {
		return Asset{}, err
	}

	data, err := os.ReadFile(binary)
	if err != nil {
		return Asset{}, fmt.Errorf("lambdabuild: %w", err)
	}
	var buf bytes.Buffer
	if err := WriteZip(&buf, data); err != nil {
		return Asset{}, fmt.Errorf("lambdabuild: zip %s: %w", function, err)
	}

	outDir := b.OutDir
	if outDir == "" {
		outDir = filepath.Join(b.ModuleDir, ".hush", "build")
	}
	zipPath, err := writeFileAtomic(outDir, function+".zip", buf.Bytes())
	if err != nil {
		return Asset{}, fmt.Errorf("lambdabuild: %w", err)
	}
	return Asset{Function: function, ZipPath: zipPath, SourceCodeHash: Hash(buf.Bytes())}, nil
}

// Compile builds ./handlers/<function> of the module as a Lambda bootstrap
// for linux/<arch> and writes it to out. It is the one place that says how
// a handler is built: the Pulumi program (Build), make build and make
// coldstart (cmd/hush-build) all come here.
func (b *GoBuilder) Compile(ctx context.Context, function, arch, out string) error {
	if function == "" || strings.ContainsAny(function, `/\.`) {
		return fmt.Errorf("lambdabuild: invalid function name %q", function)
	}
	if !slices.Contains(Arches, arch) {
		return fmt.Errorf("lambdabuild: architecture %q: Lambda runs %s", arch, strings.Join(Arches, " or "))
	}
	goCmd := b.Go
	if goCmd == "" {
		goCmd = "go"
	}
	if _, err := exec.LookPath(goCmd); err != nil {
		return fmt.Errorf("lambdabuild: the Go toolchain is needed to build the Lambda handlers (install Go 1.26+ from https://go.dev/dl/): %w", err)
	}
	pkg := "./handlers/" + function
	if _, err := os.Stat(filepath.Join(b.ModuleDir, "handlers", function)); err != nil {
		return fmt.Errorf("lambdabuild: function %s: no package at %s: %w", function, pkg, err)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("lambdabuild: %w", err)
	}
	// These flags make the binary depend only on the sources and the
	// toolchain: no paths, no VCS stamp, no build ID. lambda.norpc drops the
	// RPC mode that only the retired go1.x runtime used.
	cmd := exec.CommandContext(ctx, goCmd, "build",
		"-tags", "lambda.norpc",
		"-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=",
		"-o", abs, pkg)
	cmd.Dir = b.ModuleDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("lambdabuild: go build %s: %w\n%s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Functions lists the functions whose handlers the module at moduleDir
// holds: every folder under handlers/ with a main.go, sorted.
func Functions(moduleDir string) ([]string, error) {
	mains, err := filepath.Glob(filepath.Join(moduleDir, "handlers", "*", "main.go"))
	if err != nil {
		return nil, fmt.Errorf("lambdabuild: %w", err)
	}
	var fns []string
	for _, m := range mains {
		fns = append(fns, filepath.Base(filepath.Dir(m)))
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("lambdabuild: no handlers under %s", filepath.Join(moduleDir, "handlers"))
	}
	slices.Sort(fns)
	return fns, nil
}

// WriteZip writes a zip holding one entry, bootstrap, with mode 0755 and a
// fixed time, so that the same binary always gives the same bytes.
func WriteZip(w io.Writer, binary []byte) error {
	zw := zip.NewWriter(w)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipTime}
	// SetMode also marks the entry as made on Unix (CreatorVersion), which is
	// what makes unzip and Lambda honour the mode bits.
	h.SetMode(0o755)
	f, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := f.Write(binary); err != nil {
		return err
	}
	return zw.Close()
}

// Hash returns the base64 SHA-256 of data, the form of Lambda's source code hash.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// writeFileAtomic writes data to dir/name through a temporary file, so that an
// interrupted build never leaves half a zip for the next run to upload.
func writeFileAtomic(dir, name string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, name+".tmp-*")
	if err != nil {
		return "", err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return path, nil
}
