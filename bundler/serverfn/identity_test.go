package serverfn

import (
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/background"
	"github.com/opendash/opendash/component/edgeoidc"
)

// TestIdentityHeadersAgree: the handler trusts the edge's identity headers under the variable the component
// and the preview set, and drops the prefix the sign-in function sets.
func TestIdentityHeadersAgree(t *testing.T) {
	for _, want := range []string{`IDENTITY_ENV = "` + edgeoidc.IdentityHeadersEnv + `"`, `n.startswith("` + edgeoidc.IdentityHeaderPrefix + `")`} {
		if !strings.Contains(string(wsgiPy), want) {
			t.Errorf("lambda/wsgi.py lacks %s", want)
		}
	}
}

// TestHandlerNamesAgree: the handler's modules read the files and variables under the names Go writes and
// sets them by.
func TestHandlerNamesAgree(t *testing.T) {
	for _, tt := range []struct {
		file string
		src  []byte
		want string
	}{
		{"lambda/wsgi.py", wsgiPy, `PREFIX_FILE = "` + PrefixFile + `"`},
		{"lambda/wsgi.py", wsgiPy, `os.environ.get("` + DomainNameEnv + `"`},
		{"lambda/load.py", loadPy, `ENTRY_FILE = "` + EntryFile + `"`},
		{"lambda/load.py", loadPy, `JOB_EVENT = "` + background.EventType + `"`},
	} {
		if !strings.Contains(string(tt.src), tt.want) {
			t.Errorf("%s lacks %s", tt.file, tt.want)
		}
	}
}
