package imagetest

import (
	"crypto/sha256"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// ServeIndex serves the wheels of dir as a PEP 503 simple index on loopback and returns its URL (for
// PIP_INDEX_URL). Wheel files are sent with the long cache lifetime public indexes give them, so pip's own
// cache keeps them as it keeps PyPI's.
func ServeIndex(t testing.TB, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.whl"))
	if err != nil {
		t.Fatal(err)
	}
	projects := map[string][]string{}
	for _, f := range files {
		base := filepath.Base(f)
		project := strings.ToLower(nonName.ReplaceAllString(strings.SplitN(base, "-", 2)[0], "-"))
		projects[project] = append(projects[project], base)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/", func(w http.ResponseWriter, r *http.Request) {
		project := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Cache-Control", "max-age=0")
		var b strings.Builder
		b.WriteString("<!DOCTYPE html><html><body>\n")
		if project == "" {
			var names []string
			for p := range projects {
				names = append(names, p)
			}
			sort.Strings(names)
			for _, p := range names {
				fmt.Fprintf(&b, "<a href=\"%s/\">%s</a>\n", p, p)
			}
		} else if wheels, ok := projects[project]; ok {
			for _, whl := range wheels {
				data, err := os.ReadFile(filepath.Join(dir, whl))
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				fmt.Fprintf(&b, "<a href=\"/files/%s#sha256=%x\">%s</a>\n", html.EscapeString(whl), sha256.Sum256(data), html.EscapeString(whl))
			}
		} else {
			http.NotFound(w, r)
			return
		}
		b.WriteString("</body></html>\n")
		w.Write([]byte(b.String()))
	})
	files0 := http.StripPrefix("/files/", http.FileServer(http.Dir(dir)))
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=365000000, immutable, public")
		files0.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/simple/"
}
