package entry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Spec
		wantErr string
	}{
		{"", Spec{Module: "app"}, ""},
		{"app", Spec{Module: "app"}, ""},
		{"index:app", Spec{Module: "index", Attribute: "app"}, ""},
		{"index.py:app", Spec{Module: "index", Attribute: "app"}, ""},
		{"pkg.app:make_app()", Spec{Module: "pkg.app", Attribute: "make_app", Call: true}, ""},
		{" app:create_app ", Spec{Module: "app", Attribute: "create_app"}, ""},
		{"my-app:app", Spec{}, `"my-app" is not a Python module name`},
		{"extend-data", Spec{}, "hint: Python imports a file only by a name of letters, digits and underscores: " +
			"rename extend-data.py to extend_data.py and pass --app extend_data"},
		{"extend-data.py:app", Spec{}, "rename extend-data.py to extend_data.py"},
		{"apps.sales report", Spec{}, "rename apps/sales report.py to apps/sales_report.py and pass --app apps.sales_report"},
		{"pkg/app:app", Spec{}, "dotted module path"},
		{"app:", Spec{}, `"" is not an attribute name`},
		{"app:make_app(1)", Spec{}, `"make_app(1)" is not an attribute name`},
		{"app:a.b", Spec{}, "MODULE:NAME()"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want it to mention %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if again, _ := Parse(got.String()); again != got {
				t.Errorf("String() %q does not parse back: %+v", got.String(), again)
			}
		})
	}
}

func TestFind(t *testing.T) {
	src := t.TempDir()
	for _, f := range []string{"app.py", "index.py", "pkg/app.py", "pkg2/app/__init__.py"} {
		p := filepath.Join(src, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(src, "dir.py"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec    string
		want    string
		wantErr string
	}{
		{"", "app.py", ""},
		{"index:app", "index.py", ""},
		{"pkg.app", "pkg/app.py", ""},
		{"pkg2.app:create_app()", "pkg2/app/__init__.py", ""},
		{"main:app", "", "has neither main.py nor main/__init__.py"},
		{"dir", "", "has neither dir.py"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Find(src)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Find error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Find = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := (Spec{Module: "app"}).Find(t.TempDir()); err == nil || !strings.Contains(err.Error(), "has no app.py") ||
		!strings.Contains(err.Error(), "--app") {
		t.Errorf("default module missing: %v", err)
	}
}
