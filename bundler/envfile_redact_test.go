package bundler

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/extract"
)

// TestBundleEnvFileValueNotInErrors: an app that fails at import with a value of the env file in its
// message (a connection error naming the URL, a bad int) fails the bundle without that value in the error,
// which goes to the terminal, --json and CI logs: the variable is named instead.
func TestBundleEnvFileValueNotInErrors(t *testing.T) {
	fakeDash(t)
	for name, app := range map[string]string{
		"raised": "import os\nraise RuntimeError('cannot reach ' + os.environ['DATABASE_URL'])\n",
		"killed": "import os, sys\nsys.stderr.write('connecting to %s\\n' % os.environ['DATABASE_URL'])\nsys.stderr.flush()\nos._exit(3)\n",
	} {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "app")
			mustWrite(t, filepath.Join(src, "app.py"), app)
			envFile := filepath.Join(t.TempDir(), "bundle.env")
			mustWrite(t, envFile, "DATABASE_URL='"+secretValue+"'\n")
			_, err := bundle(t, src, Options{EnvFiles: []string{envFile}})
			if err == nil {
				t.Fatal("the app's failure did not fail the bundle")
			}
			if strings.Contains(err.Error(), secretValue) || strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error holds the env file's value:\n%v", err)
			}
			var appErr *extract.AppError
			if errors.As(err, &appErr) && strings.Contains(appErr.Message+appErr.Traceback, secretValue) {
				t.Errorf("the app error (--json's message and traceback) holds the env file's value: %q", appErr.Message)
			}
			if !strings.Contains(err.Error(), "<value of DATABASE_URL>") {
				t.Errorf("the error does not name the variable whose value it hides:\n%v", err)
			}
		})
	}
}
