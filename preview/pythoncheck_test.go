package preview

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
)

// TestCheckPython runs the version probe in python3 with the stand-in Dash (which reports 9.9.9) against
// manifests that claim other versions.
func TestCheckPython(t *testing.T) {
	py := needPython(t)
	fake, err := filepath.Abs("../bundler/testdata/fakedash")
	if err != nil {
		t.Fatal(err)
	}
	realDash := exec.Command(py, "-c", "import dash").Run() == nil
	tests := []struct {
		name     string
		dash     string
		reqs     string
		noFake   bool
		wantErr  []string
		wantWarn []string
	}{
		{name: "same Dash", dash: "9.9.9"},
		{name: "nothing to compare", dash: ""},
		{name: "same minor, other patch", dash: "9.9.1", wantWarn: []string{"dash is 9.9.9 here, 9.9.1 in the bundle", "--python"}},
		{name: "other major", dash: "4.3.0", wantErr: []string{"has Dash 9.9.9", "made with Dash 4.3.0", "hint: pass --python", "-m pip install -r "}},
		{name: "other minor", dash: "9.8.0", wantErr: []string{"has Dash 9.9.9", "made with Dash 9.8.0"}},
		{name: "no Dash", dash: "9.9.9", noFake: true, wantErr: []string{"has no Dash", "made with Dash 9.9.9", "--python"}},
		{name: "other pinned packages", dash: "9.9.9", reqs: "dash==9.9.9\nodt-nowhere==1.0 ; python_version >= '3'\n# comment\n--index-url x\n",
			wantWarn: []string{"odt-nowhere 1.0 is not installed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.noFake {
				if realDash {
					t.Skip("python3 has a real Dash")
				}
				t.Setenv("PYTHONPATH", "")
			} else {
				t.Setenv("PYTHONPATH", fake)
			}
			dir := t.TempDir()
			m := &manifest.Manifest{App: manifest.App{DashVersion: tt.dash},
				Origins: manifest.Origins{Server: manifest.FunctionOrigin{Dir: "server-functions/default"}}}
			writeFile(t, filepath.Join(dir, "server-functions", "default", "requirements.txt"), []byte(tt.reqs))
			warnings, err := checkPython(context.Background(), py, dir, m)
			if tt.wantErr != nil {
				for _, want := range tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("err = %v, want it to contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(warnings, "\n")
			if len(tt.wantWarn) == 0 && got != "" {
				t.Errorf("unexpected warning %q", got)
			}
			for _, want := range tt.wantWarn {
				if !strings.Contains(got, want) {
					t.Errorf("warnings %q lack %q", got, want)
				}
			}
		})
	}
}

// TestStartRefusesOtherDash: the check runs before the worker starts, so a wrong Python never serves.
func TestStartRefusesOtherDash(t *testing.T) {
	py := needPython(t)
	fake, _ := filepath.Abs("../bundler/testdata/fakedash")
	t.Setenv("PYTHONPATH", fake)
	src, _ := os.ReadFile(filepath.Join("testdata", "echo_index.py"))
	dir, m := writeBundle(t, src)
	m.App.DashVersion = "4.3.0"
	data, _ := m.Marshal()
	writeFile(t, filepath.Join(dir, manifest.FileName), data)
	s, err := Start(context.Background(), Options{Dir: dir, Addr: "127.0.0.1:0", Python: py})
	if err == nil {
		s.Close()
		t.Fatal("Start served a bundle of Dash 4.3.0 with Dash 9.9.9")
	}
	if !strings.Contains(err.Error(), "made with Dash 4.3.0") {
		t.Errorf("err = %v", err)
	}
}

func TestMinorOf(t *testing.T) {
	for in, want := range map[string]string{"4.3.0": "4.3", "2.18.2": "2.18", "4.3.0rc1": "4.3", "4.3rc1": "4.3", "4": "4"} {
		if got := minorOf(in); got != want {
			t.Errorf("minorOf(%q) = %q, want %q", in, got, want)
		}
	}
}
