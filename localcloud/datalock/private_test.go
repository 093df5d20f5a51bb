package datalock

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestNewDataDirIsPrivate: a new data dir, its parents made for it, its
// lock file and whatever the stack creates there afterwards are its user's
// alone.
func TestNewDataDirIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "local", "dev")
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	// What an emulator writes later, asking for the usual 0644 and 0755.
	if err := os.WriteFile(filepath.Join(dir, "shared-local-instance.db"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "cognito"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{
		dir: 0o700, filepath.Dir(dir): 0o700, filepath.Join(dir, FileName): 0o600,
		filepath.Join(dir, "shared-local-instance.db"): 0o600, filepath.Join(dir, "cognito"): 0o700,
	} {
		if got := mode(t, path); got != want {
			t.Errorf("mode of %s = %04o, want %04o", path, got, want)
		}
	}
}

// TestOldDataDirBecomesPrivate: a data dir made before the rule (0755,
// files 0644) is made private on its next start; an executable keeps its
// owner's execute bit.
func TestOldDataDirBecomesPrivate(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "cognito", "db")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]fs.FileMode{filepath.Join(sub, "local_1.json"): 0o644, filepath.Join(dir, "run.sh"): 0o755}
	for f, m := range files {
		if err := os.WriteFile(f, []byte("{}"), m); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{dir, filepath.Dir(sub), sub} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	for path, want := range map[string]fs.FileMode{
		dir: 0o700, filepath.Dir(sub): 0o700, sub: 0o700,
		filepath.Join(sub, "local_1.json"): 0o600, filepath.Join(dir, "run.sh"): 0o700,
	} {
		if got := mode(t, path); got != want {
			t.Errorf("mode of %s = %04o, want %04o", path, got, want)
		}
	}
}

// TestRefusesDataDirsOthersControl: a data dir others may write, or that
// another user owns, is neither used nor trusted by `hush-local token`.
func TestRefusesDataDirsOthersControl(t *testing.T) {
	t.Run("writable by others", func(t *testing.T) {
		for _, m := range []fs.FileMode{0o777, 0o775, 0o757, 0o1777} {
			dir := t.TempDir()
			if err := os.Chmod(dir, m); err != nil {
				t.Fatal(err)
			}
			_, err := Acquire(dir)
			var np *NotPrivateError
			if !errors.As(err, &np) || !strings.Contains(err.Error(), "may be written by other users") || !strings.Contains(err.Error(), dir) {
				t.Errorf("Acquire of a dir of mode %04o = %v, want a *NotPrivateError naming the dir and why", m, err)
			}
			if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Acquire of a refused dir created its lock file (%v)", err)
			}
			if _, err := Running(dir); !errors.As(err, &np) {
				t.Errorf("Running on a dir of mode %04o = %v, want a *NotPrivateError", m, err)
			}
		}
	})
	t.Run("owned by another user", func(t *testing.T) {
		dir := t.TempDir()
		other := os.Getuid() + 1
		err := checkPrivate(dir, true, other)
		var np *NotPrivateError
		if !errors.As(err, &np) || !strings.Contains(err.Error(), "belongs to another user") {
			t.Errorf("checkPrivate as uid %d of a dir of uid %d = %v, want it refused as another user's", other, os.Getuid(), err)
		}
		if err := checkPrivate(dir, true, os.Getuid()); err != nil {
			t.Errorf("checkPrivate of one's own 0700 dir = %v, want nil", err)
		}
	})
	t.Run("lock file writable by others", func(t *testing.T) {
		dir := t.TempDir()
		l, err := Acquire(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		if err := os.Chmod(filepath.Join(dir, FileName), 0o666); err != nil {
			t.Fatal(err)
		}
		var np *NotPrivateError
		if _, err := Running(dir); !errors.As(err, &np) {
			t.Errorf("Running with a lock file of mode 0666 = %v, want a *NotPrivateError", err)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Acquire(f); err == nil {
			t.Errorf("Acquire of a regular file succeeded")
		}
	})
}
