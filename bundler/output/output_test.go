package output

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCommitReplacesAtomically(t *testing.T) {
	parent := t.TempDir()
	final := filepath.Join(parent, ".open-dash")
	write(t, filepath.Join(final, "old.txt"), "old")

	s, err := Begin(final)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(s.Dir, "new.txt"), "new")
	if _, err := os.Stat(filepath.Join(final, "old.txt")); err != nil {
		t.Fatal("the previous bundle must stay in place until Commit")
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(final, "new.txt")); err != nil {
		t.Fatal("new bundle not in place")
	}
	if _, err := os.Stat(filepath.Join(final, "old.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("old bundle content survived the swap")
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("leftovers beside the bundle: %v", entries)
	}
	if fi, _ := os.Stat(final); fi.Mode().Perm() != 0o755 {
		t.Fatalf("bundle folder mode = %v, want 0755", fi.Mode().Perm())
	}
}

func TestAbortKeepsPrevious(t *testing.T) {
	parent := t.TempDir()
	final := filepath.Join(parent, ".open-dash")
	write(t, filepath.Join(final, "old.txt"), "old")
	s, err := Begin(final)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(s.Dir, "half.txt"), "half")
	s.Abort()
	if data, err := os.ReadFile(filepath.Join(final, "old.txt")); err != nil || string(data) != "old" {
		t.Fatal("abort damaged the previous bundle")
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("leftovers beside the bundle: %v", entries)
	}
}

func TestBeginErrors(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	write(t, file, "x")
	tests := []struct {
		name  string
		final string
		fail  bool // simulate an unwritable parent (root ignores permission bits)
		want  string
	}{
		{"parent missing", filepath.Join(parent, "nope", ".open-dash"), false, "create it or choose another --out"},
		{"parent is a file", filepath.Join(file, ".open-dash"), false, "is not a folder"},
		{"final is a file", file, false, "exists and is not a folder"},
		{"parent unwritable", filepath.Join(parent, ".open-dash"), true, "make " + parent + " writable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fail {
				mkdirTemp = func(string, string) (string, error) { return "", os.ErrPermission }
				defer func() { mkdirTemp = os.MkdirTemp }()
			}
			_, err := Begin(tt.final)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "record.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFile(name, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(name); string(data) != content {
			t.Fatalf("content = %q, want %q", data, content)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), nil); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
}
