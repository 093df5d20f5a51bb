package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixtureModule writes a module with one dependency-free handler, so the
// test exercises the real toolchain without depending on the real handlers'
// build time.
func fixtureModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                 "module example.com/fixture\n\ngo 1.22\n",
		"handlers/hello/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBuildIsDeterministicAndExecutable builds the same sources in two
// different directories, one of them touched: a path, a build ID or a time
// leaking into the binary would make the zips differ, and a checkout in
// another directory (a CI runner, a colleague's machine) would redeploy
// every function.
func TestBuildIsDeterministicAndExecutable(t *testing.T) {
	dir, other := fixtureModule(t), fixtureModule(t)
	if dir == other {
		t.Fatal("the two fixture modules share a directory")
	}
	ctx := context.Background()

	first, err := New(dir).Build(ctx, "hello")
	if err != nil {
		t.Fatalf("first Build: %v", err)
	}
	firstBytes, err := os.ReadFile(first.ZipPath)
	if err != nil {
		t.Fatal(err)
	}
	// Touch the source so a build keyed on time would differ.
	if err := os.Chtimes(filepath.Join(other, "handlers/hello/main.go"), zipTime.AddDate(50, 0, 0), zipTime.AddDate(50, 0, 0)); err != nil {
		t.Fatal(err)
	}
	second, err := New(other).Build(ctx, "hello")
	if err != nil {
		t.Fatalf("second Build: %v", err)
	}
	secondBytes, err := os.ReadFile(second.ZipPath)
	if err != nil {
		t.Fatal(err)
	}

	if want := filepath.Join(dir, ".hush", "build", "hello.zip"); first.ZipPath != want {
		t.Errorf("ZipPath = %q, want %q", first.ZipPath, want)
	}
	if !bytes.Equal(firstBytes, secondBytes) {
		t.Errorf("builds of the same sources in %s and %s differ: %d and %d bytes", dir, other, len(firstBytes), len(secondBytes))
	}
	if first.SourceCodeHash != second.SourceCodeHash || first.SourceCodeHash != Hash(firstBytes) {
		t.Errorf("SourceCodeHash = %q then %q, want both %q", first.SourceCodeHash, second.SourceCodeHash, Hash(firstBytes))
	}

	zr, err := zip.NewReader(bytes.NewReader(firstBytes), int64(len(firstBytes)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		t.Fatalf("zip entries = %v, want [bootstrap]", names)
	}
	f := zr.File[0]
	if got := f.Mode().Perm(); got != 0o755 {
		t.Errorf("bootstrap mode = %v, want 0755", got)
	}
	if got := f.CreatorVersion >> 8; got != 3 {
		t.Errorf("creator OS = %d, want 3 (Unix)", got)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, 20)
	if _, err := rc.Read(head); err != nil {
		t.Fatal(err)
	}
	// An ELF header with e_machine 0xB7 is a linux/arm64 binary.
	if !bytes.HasPrefix(head, []byte("\x7fELF")) || head[18] != 0xB7 {
		t.Errorf("bootstrap header = % x, want an arm64 ELF binary", head)
	}
}

func TestBuildChangesWithSource(t *testing.T) {
	dir := fixtureModule(t)
	b := New(dir)
	before, err := b.Build(context.Background(), "hello")
	if err != nil {
		t.Fatal(err)
	}
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"changed\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "handlers/hello/main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := b.Build(context.Background(), "hello")
	if err != nil {
		t.Fatal(err)
	}
	if before.SourceCodeHash == after.SourceCodeHash {
		t.Error("SourceCodeHash did not change with the source; a stale binary would be deployed")
	}
}

func TestBuildErrors(t *testing.T) {
	dir := fixtureModule(t)
	tests := []struct {
		name, function, want string
	}{
		{"missing handler", "read", "no package at ./handlers/read"},
		{"path in name", "../hello", "invalid function name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(dir).Build(context.Background(), tt.function)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build(%q) error = %v, want it to contain %q", tt.function, err, tt.want)
			}
		})
	}
	broken := filepath.Join(dir, "handlers/hello/main.go")
	if err := os.WriteFile(broken, []byte("package main\n\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(dir).Build(context.Background(), "hello")
	if err == nil || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("Build of broken source error = %v, want the compiler's message", err)
	}
}

// TestCompileForEachArch builds the fixture for both of Lambda's
// architectures: the ELF header must name the one asked for (make coldstart
// runs the bootstraps on this machine's).
func TestCompileForEachArch(t *testing.T) {
	dir := fixtureModule(t)
	tests := []struct {
		arch    string
		machine byte // ELF e_machine
	}{
		{"arm64", 0xB7},
		{"amd64", 0x3E},
	}
	for _, tt := range tests {
		t.Run(tt.arch, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "hello", "bootstrap")
			if err := New(dir).Compile(context.Background(), "hello", tt.arch, out); err != nil {
				t.Fatalf("Compile: %v", err)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) < 20 || !bytes.HasPrefix(data, []byte("\x7fELF")) || data[18] != tt.machine {
				t.Errorf("bootstrap header = % x, want an ELF binary with machine %#x", data[:min(20, len(data))], tt.machine)
			}
		})
	}
	err := New(dir).Compile(context.Background(), "hello", "386", filepath.Join(t.TempDir(), "b"))
	if err == nil || !strings.Contains(err.Error(), `architecture "386"`) {
		t.Errorf("Compile for 386: %v, want an error naming the architecture", err)
	}
}

func TestFunctions(t *testing.T) {
	dir := fixtureModule(t)
	// A folder without main.go (a shared package) is no function.
	if err := os.MkdirAll(filepath.Join(dir, "handlers", "internal"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "handlers", "write"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "handlers", "write", "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Functions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"hello", "write"}; !slices.Equal(got, want) {
		t.Errorf("Functions = %v, want %v", got, want)
	}
	if _, err := Functions(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no handlers") {
		t.Errorf("Functions of an empty module: %v, want an error saying there are no handlers", err)
	}
}
