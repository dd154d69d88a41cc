package serverfn

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExclusions(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"app.py": "x", "pages/home.py": "x", "pages/__pycache__/home.cpython-311.pyc": "x", "stale.pyc": "x",
		".git/config": "x", ".hg/store": "x", ".venv/lib/x.py": "x", "venv/lib/x.py": "x",
		"env/pyvenv.cfg": "x", "env/lib/x.py": "x", // env is a venv: left out
		"tools/env/settings.py": "x",                          // a plain folder named env: kept
		"myenv/pyvenv.cfg":      "x", "myenv/bin/python": "x", // any venv, by pyvenv.cfg
		".open-dash/assets/x": "x", "node_modules/x/index.js": "x", ".mypy_cache/x": "x",
		".pytest_cache/x": "x", ".ruff_cache/x": "x", ".tox/x": "x", "nb/.ipynb_checkpoints/x": "x",
		".DS_Store": "x", "assets/.DS_Store": "x", "assets/style.css": "x",
		"data/big.csv": "x", "sub/data/more.csv": "x", // --exclude-dirs data (a name, any depth)
		"assets/private/notes.txt": "x", "assets/private2/keep.txt": "x", // --exclude-dirs ./assets/private/
		"debug.log": "x", "logs/old.log": "x", // --exclude-dirs *.log
	})
	o := testOptions(src)
	o.ExcludeDirs = []string{"data", "./assets/private/", "*.log", "nothing-here"}
	b := mustPlan(t, o)
	want := []string{"app.py", "assets/private2/keep.txt", "assets/style.css", "pages/home.py", "tools/env/settings.py"}
	if got := b.SourceFiles(); !slices.Equal(got, want) {
		t.Errorf("SourceFiles() = %q\nwant %q", got, want)
	}
	if !slices.ContainsFunc(b.warnings, func(w string) bool { return strings.Contains(w, "nothing-here matched nothing") }) {
		t.Errorf("no warning for an exclusion that matched nothing: %q", b.warnings)
	}
}

func TestExcludeAbsolutePath(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"app.py": "x", "cache/x.bin": "x"})
	o := testOptions(src)
	o.ExcludeDirs = []string{filepath.Join(src, "cache"), "/elsewhere/entirely"}
	b := mustPlan(t, o)
	if got := b.SourceFiles(); !slices.Equal(got, []string{"app.py"}) {
		t.Errorf("SourceFiles() = %q", got)
	}
	if len(b.warnings) != 1 || !strings.Contains(b.warnings[0], "outside the source folder") {
		t.Errorf("warnings = %q, want one about /elsewhere/entirely", b.warnings)
	}
}

func TestSymlinksAreFollowed(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"shared.py": "SHARED", "lib/util.py": "UTIL"})
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"app.py":     "APP",
		"alias.py":   "->app.py",                                 // file inside
		"shared.py":  "->" + filepath.Join(outside, "shared.py"), // file outside
		"lib":        "->" + filepath.Join(outside, "lib"),       // folder outside
		"pages/x.py": "X",
		"pages2":     "->pages", // folder inside, twice is fine
	})
	b := mustPlan(t, testOptions(src))
	want := []string{"alias.py", "app.py", "lib/util.py", "pages/x.py", "pages2/x.py", "shared.py"}
	if got := b.SourceFiles(); !slices.Equal(got, want) {
		t.Fatalf("SourceFiles() = %q\nwant %q", got, want)
	}
	dst := t.TempDir()
	if _, err := b.Write(dst); err != nil {
		t.Fatal(err)
	}
	tree := readTree(t, dst)
	for key, content := range map[string]string{
		"alias.py -rw-r--r--": "APP", "shared.py -rw-r--r--": "SHARED", "lib/util.py -rw-r--r--": "UTIL",
		"pages2/x.py -rw-r--r--": "X", "lib drwxr-xr-x": "DIR",
	} {
		if tree[key] != content {
			t.Errorf("%s = %q, want %q (links are copied as real files and folders)", key, tree[key], content)
		}
	}
}

func TestSymlinkErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		link  string // the link the error must name
		want  string
	}{
		{"link to itself's folder", map[string]string{"loop": "->."}, "loop", "loop forever"},
		{"link to parent", map[string]string{"sub/up": "->.."}, "sub/up", "loop forever"},
		{"link above the source", map[string]string{"sub/up": "->../.."}, "sub/up", "loop forever"},
		{"deep link to an ancestor", map[string]string{"a/b/c/back": "->../../.."}, "a/b/c/back", "loop forever"},
		{"broken link", map[string]string{"gone.py": "->missing.py"}, "gone.py", "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := t.TempDir()
			tt.files["app.py"] = "x"
			writeTree(t, src, tt.files)
			_, err := Plan(testOptions(src))
			if err == nil {
				t.Fatal("Plan succeeded, want an error")
			}
			containsAll(t, "error", err.Error(), tt.link, tt.want, "--exclude-dirs "+tt.link)
			// The fix the error suggests works.
			o := testOptions(src)
			o.ExcludeDirs = []string{tt.link}
			if _, err := Plan(o); err != nil {
				t.Errorf("with --exclude-dirs %s: %v", tt.link, err)
			}
		})
	}
}

func TestUnreadableFile(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"app.py": "x", "private/data.bin": "x"})
	bad := filepath.Join(src, "private/data.bin")
	if os.Geteuid() == 0 { // root reads any file: simulate the permission error instead
		openForRead = func(p string) (*os.File, error) {
			if p == bad {
				return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrPermission}
			}
			return os.Open(p)
		}
		defer func() { openForRead = os.Open }()
	} else if err := os.Chmod(bad, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Plan(testOptions(src))
	if err == nil {
		t.Fatal("Plan succeeded on an unreadable file")
	}
	containsAll(t, "error", err.Error(), "private/data.bin", "permission denied", "--exclude-dirs private/data.bin")
}

func TestSecretWarnings(t *testing.T) {
	secrets := []string{".env", ".env.production", "server.pem", "tls.key", "id_rsa", "id_ed25519", "credentials",
		"cert.p12", "store.pfx", ".netrc", "credentials.json", "bundle.env", "prod.env"}
	harmless := []string{".env.example", "example.env", "id_rsa.pub", "app.py", "keys.py", "environment.yml", "env.py", "README.md"}
	for _, n := range secrets {
		if !looksSecret(n) {
			t.Errorf("looksSecret(%q) = false", n)
		}
	}
	for _, n := range harmless {
		if looksSecret(n) {
			t.Errorf("looksSecret(%q) = true", n)
		}
	}
	src := t.TempDir()
	writeTree(t, src, map[string]string{"app.py": "x", ".env": "KEY=1", "certs/server.pem": "x", ".env.example": "x"})
	b := mustPlan(t, testOptions(src))
	res, err := b.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(res.Warnings, "\n")
	containsAll(t, "warnings", all, ".env looks like a secret", "--exclude-dirs .env",
		"certs/server.pem looks like a secret", "--exclude-dirs certs/server.pem")
	if strings.Contains(all, ".env.example") {
		t.Errorf("warned about .env.example: %s", all)
	}
	if !slices.Contains(b.SourceFiles(), ".env") {
		t.Error("a secret-looking file must still be copied (warned, not dropped)")
	}
}

func TestRootChecks(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		exclude []string
		wantErr string // "" for success
	}{
		{"the user's index.py is theirs", map[string]string{"app.py": "x", "index.py": "x"}, nil, ""},
		{"handler clashes", map[string]string{"app.py": "x", HandlerFile: "x"}, nil, HandlerFile + " at its root"},
		{"loader clashes", map[string]string{"app.py": "x", "opendash_entry.py": "x"}, nil, "opendash_entry.py at its root"},
		{"request path clashes", map[string]string{"app.py": "x", WSGIFile: "x"}, nil, WSGIFile + " at its root"},
		{"app loading clashes", map[string]string{"app.py": "x", LoadFile: "x"}, nil, LoadFile + " at its root"},
		{"job slots clash", map[string]string{"app.py": "x", "opendash_jobslots.py": "x"}, nil, "opendash_jobslots.py at its root"},
		{"entry file clashes", map[string]string{"app.py": "x", EntryFile: "x"}, nil, EntryFile + " at its root"},
		{"prefix file clashes", map[string]string{"app.py": "x", PrefixFile: "x"}, nil, PrefixFile + " at its root"},
		{"nested names are fine", map[string]string{"app.py": "x", "pages/opendash_handler.py": "x", "ops/Dockerfile": "x"}, nil, ""},
		{"excluding the clash fixes it", map[string]string{"app.py": "x", HandlerFile: "x"}, []string{HandlerFile}, ""},
		{"no app.py", map[string]string{"main.py": "x"}, nil, "has no app.py"},
		{"another entry module", map[string]string{"main.py": "x"}, nil, ""},
		{"entry module excluded", map[string]string{"main.py": "x", "app.py": "x"}, []string{"main.py"}, "has no main.py"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := t.TempDir()
			writeTree(t, src, tt.files)
			o := testOptions(src)
			o.ExcludeDirs = tt.exclude
			if strings.Contains(tt.name, "entry module") {
				o.AppFile = "main.py"
			}
			_, err := Plan(o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Plan: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Plan succeeded, want error with %q", tt.wantErr)
			case tt.wantErr != "":
				containsAll(t, "error", err.Error(), tt.wantErr)
			}
		})
	}
}
