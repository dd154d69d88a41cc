package serverfn

import (
	"strings"
	"testing"

	"github.com/opendash/opendash/component/edgeoidc"
)

// TestIdentityHeadersAgree: the handler trusts the edge's identity headers under the variable the component
// and the preview set, and drops the prefix the sign-in function sets.
func TestIdentityHeadersAgree(t *testing.T) {
	for _, want := range []string{`IDENTITY_ENV = "` + edgeoidc.IdentityHeadersEnv + `"`, `n.startswith("` + edgeoidc.IdentityHeaderPrefix + `")`} {
		if !strings.Contains(string(indexPy), want) {
			t.Errorf("lambda/index.py lacks %s", want)
		}
	}
}
