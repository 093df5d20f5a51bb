package datalock

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	first, err := Secret(dir)
	if err != nil || len(first) < 20 {
		t.Fatalf("Secret = %q, %v; want a fresh random secret", first, err)
	}
	again, err := Secret(dir)
	if err != nil || again != first {
		t.Errorf("second Secret = %q, %v; want the same %q: clients started before must keep signing", again, err, first)
	}
	if got := mode(t, filepath.Join(dir, SecretFile)); got != 0o600 {
		t.Errorf("mode of the secret file = %04o, want 0600", got)
	}
	other, err := Secret(t.TempDir())
	if err != nil || other == first {
		t.Errorf("another data dir's secret = %q, %v; want a different one", other, err)
	}
	if err := os.Chmod(filepath.Join(dir, SecretFile), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSecret(dir); err == nil {
		t.Errorf("ReadSecret of a secret file others may write succeeded; want it refused")
	}
}
