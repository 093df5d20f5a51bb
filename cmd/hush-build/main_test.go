package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// module writes a module with one dependency-free handler.
func module(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                 "module example.com/fixture\n\ngo 1.22\n",
		"handlers/hello/main.go": "package main\n\nfunc main() {}\n",
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

func TestRun(t *testing.T) {
	dir := module(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-module", dir, "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	bootstrap := filepath.Join(out, "hello", "bootstrap")
	if _, err := os.Stat(bootstrap); err != nil {
		t.Errorf("no bootstrap: %v", err)
	}
	if want := bootstrap + "  "; !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), "bytes (linux/arm64)") {
		t.Errorf("output %q, want a line naming %s, its size and linux/arm64", stdout.String(), bootstrap)
	}

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"unknown architecture", []string{"-module", dir, "-out", out, "-arch", "mips"}, `architecture "mips"`},
		{"unknown function", []string{"-module", dir, "-out", out, "read"}, "no package at ./handlers/read"},
		{"no handlers", []string{"-module", t.TempDir(), "-out", out}, "no handlers"},
		{"unknown flag", []string{"-zip"}, "-zip"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tt.args, &bytes.Buffer{}, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
