package bundler

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/python"
)

// TestInstallOnlyIntoVirtualEnv: pip runs only in a virtual environment or in a Python named by --python;
// an already-satisfied system Python bundles without being asked anything.
func TestInstallOnlyIntoVirtualEnv(t *testing.T) {
	tests := []struct {
		name     string
		explicit bool
		venv     bool
		reqs     string
		wantPip  bool
		wantErr  []string
	}{
		{name: "system python, satisfied", reqs: "dash==9.9.9\n"},
		{name: "system python, missing", reqs: "odt-extra\n", wantErr: []string{
			"is not a virtual environment", "missing odt-extra", "python3 -m venv .venv && . .venv/bin/activate",
			"--skip-install", "--python "}},
		{name: "virtual env, missing", venv: true, reqs: "odt-extra\n", wantPip: true},
		{name: "explicit --python, missing", explicit: true, reqs: "odt-extra\n", wantPip: true},
	}
	cacheTests(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCacheEnv(t)
			mustWrite(t, filepath.Join(e.src, "requirements.txt"), tt.reqs)
			o := e.opts
			o.SkipInstall, o.NoCache = false, true
			if !tt.explicit {
				o.Python = ""
				oldEnv := pythonEnv
				pythonEnv = python.Env{Getenv: func(string) string { return "" },
					LookPath: func(string) (string, error) { return e.python, nil }}
				t.Cleanup(func() { pythonEnv = oldEnv })
			}
			oldVenv, oldPip := virtualEnv, pipInstall
			virtualEnv = func(context.Context, string) (bool, error) { return tt.venv, nil }
			pipRan := false
			pipInstall = func(context.Context, string, string) (bool, error) {
				pipRan = true
				return true, errors.New("stop after pip") // enough to know it ran
			}
			t.Cleanup(func() { virtualEnv, pipInstall = oldVenv, oldPip })

			_, err := Bundle(context.Background(), o)
			if pipRan != tt.wantPip {
				t.Errorf("pip ran: %v, want %v (err %v)", pipRan, tt.wantPip, err)
			}
			switch {
			case tt.wantPip:
				if err == nil || !strings.Contains(err.Error(), "stop after pip") {
					t.Errorf("err = %v", err)
				}
			case tt.wantErr != nil:
				for _, want := range tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("err = %v, want it to contain %q", err, want)
					}
				}
			case err != nil:
				t.Errorf("err = %v", err)
			}
		})
	}
}
