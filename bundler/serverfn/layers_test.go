package serverfn

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAppLayers(t *testing.T) {
	tests := []struct {
		name string
		tree map[string]string
		// copies are the COPY instructions after the dependency layer, in order.
		copies []string
	}{
		{"assets last, in a layer of their own",
			map[string]string{"app.py": "x", "pages/home.py": "x", "data/a.csv": "x", "assets/style.css": "x",
				"assets/img/logo.png": "x", "requirements.txt": "dash\n"},
			[]string{"app.py opendash_background.py opendash_bodyhash.py opendash_entry.py opendash_handler.py opendash_jobslots.py opendash_jobstore.py opendash_load.py opendash_secrets.py opendash_times.py opendash_workdir.py opendash_wsgi.py ${LAMBDA_TASK_ROOT}/", "data ${LAMBDA_TASK_ROOT}/data/",
				"pages ${LAMBDA_TASK_ROOT}/pages/", "assets ${LAMBDA_TASK_ROOT}/assets/"}},
		{"only app.py and assets",
			map[string]string{"app.py": "x", "assets/style.css": "x"},
			[]string{"app.py opendash_background.py opendash_bodyhash.py opendash_entry.py opendash_handler.py opendash_jobslots.py opendash_jobstore.py opendash_load.py opendash_secrets.py opendash_times.py opendash_workdir.py opendash_wsgi.py ${LAMBDA_TASK_ROOT}/", "assets ${LAMBDA_TASK_ROOT}/assets/"}},
		{"no assets folder: one layer",
			map[string]string{"app.py": "x", "pages/home.py": "x"},
			[]string{". ${LAMBDA_TASK_ROOT}/"}},
		{"a name COPY would misread: one layer",
			map[string]string{"app.py": "x", "my data/a.csv": "x", "assets/style.css": "x"},
			[]string{". ${LAMBDA_TASK_ROOT}/"}},
		{"a glob character: one layer",
			map[string]string{"app.py": "x", "[x].py": "x", "assets/style.css": "x"},
			[]string{". ${LAMBDA_TASK_ROOT}/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := t.TempDir()
			writeTree(t, src, tt.tree)
			o := testOptions(src)
			dst := t.TempDir()
			if _, err := mustPlan(t, o).Write(dst); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dst, DockerfileName))
			if err != nil {
				t.Fatal(err)
			}
			ins := parseDockerfile(t, string(data))
			var copies []string
			for _, i := range ins {
				if i.cmd == "COPY" && !strings.HasPrefix(i.args, RequirementsFile+" ") {
					copies = append(copies, i.args)
				}
			}
			if !slices.Equal(copies, tt.copies) {
				t.Errorf("COPY instructions:\n got %q\nwant %q\n%s", copies, tt.copies, data)
			}
			// Whatever the layout, every top-level entry the image needs is copied.
			entries, _ := os.ReadDir(dst)
			for _, e := range entries {
				n := e.Name()
				if n == DockerfileName || n == DockerignoreFile || n == RequirementsFile {
					continue
				}
				if !slices.ContainsFunc(copies, func(c string) bool {
					return strings.HasPrefix(c, ". ") || slices.Contains(strings.Fields(c), n)
				}) {
					t.Errorf("%s is in the server function folder but no COPY takes it", n)
				}
			}
		})
	}
}

func TestAppLayersFallBackPastManyFolders(t *testing.T) {
	dirs := []string{"assets"}
	for i := range maxAppLayers {
		dirs = append(dirs, "d"+strings.Repeat("x", i))
	}
	if got, _ := appLayers([]string{"app.py"}, dirs); !strings.Contains(got, "COPY . ${LAMBDA_TASK_ROOT}/") {
		t.Errorf("%d folders: %s, want one COPY .", len(dirs), got)
	}
}
