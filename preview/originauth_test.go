package preview

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opendash/opendash/component/edgesigner"
)

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestOriginAuthBodies posts to a server route as the deployed site would be called, in both modes.
func TestOriginAuthBodies(t *testing.T) {
	small, over1MB := []byte(`{"output":"x.children"}`), []byte(strings.Repeat("a", MaxViewerBody+1))
	big := []byte(strings.Repeat("b", 5*1024*1024)) // a 3.75 MB upload, base64-encoded in a callback
	over6MB := []byte(strings.Repeat("c", MaxPayload+1))
	tests := []struct {
		name, mode, method string
		body               []byte
		hash               string // "" sends none; "right" the body's SHA-256
		wantStatus         int
		wantCalled         bool
		wantBody, wantLog  string
	}{
		{"edge: no hash needed", OriginAuthEdge, "POST", small, "", 200, true, "", ""},
		{"edge: over 1 MB", OriginAuthEdge, "POST", over1MB, "right", 413, false, edgesigner.BodyTooLarge, `originAuth "oac" allows up to 6 MB`},
		{"default mode is edge", "", "POST", over1MB, "right", 413, false, edgesigner.BodyTooLarge, ""},
		{"oac: missing hash", OriginAuthOAC, "POST", small, "", 403, false, invalidSignatureJSON, "no X-Amz-Content-Sha256 header"},
		{"oac: wrong hash", OriginAuthOAC, "POST", small, hexSHA256([]byte("other")), 403, false, invalidSignatureJSON, "does not match"},
		{"oac: right hash", OriginAuthOAC, "POST", small, "right", 200, true, "", ""},
		{"oac: right hash in upper case", OriginAuthOAC, "POST", small, "RIGHT", 200, true, "", ""},
		{"oac: PUT without hash", OriginAuthOAC, "PUT", small, "", 403, false, invalidSignatureJSON, ""},
		{"oac: PATCH without hash", OriginAuthOAC, "PATCH", small, "", 403, false, invalidSignatureJSON, ""},
		{"oac: DELETE with a body needs none", OriginAuthOAC, "DELETE", small, "", 200, true, "", ""},
		{"oac: POST without a body needs none", OriginAuthOAC, "POST", nil, "", 200, true, "", ""},
		{"oac: 5 MB reaches the app", OriginAuthOAC, "POST", big, "right", 200, true, "", ""},
		{"oac: 6 MB + 1 byte", OriginAuthOAC, "POST", over6MB, "right", 413, false, oacBodyTooLarge, `originAuth "oac"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, fake, log := newRoutingServer(t)
			ts.Config.Handler.(*Server).originAuth = tt.mode
			req, err := http.NewRequest(tt.method, ts.URL+"/_dash-update-component", strings.NewReader(string(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json") // a text body travels as is in the event
			switch tt.hash {
			case "":
			case "right":
				req.Header.Set(ContentSHA256Header, hexSHA256(tt.body))
			case "RIGHT":
				req.Header.Set(ContentSHA256Header, strings.ToUpper(hexSHA256(tt.body)))
			default:
				req.Header.Set(ContentSHA256Header, tt.hash)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, got)
			}
			if tt.wantBody != "" && string(got) != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
			e, n := fake.last()
			if (n > 0) != tt.wantCalled {
				t.Fatalf("function called = %v, want %v", n > 0, tt.wantCalled)
			}
			if n > 0 && len(tt.body) > 0 && len(e.Body) < len(tt.body) {
				t.Errorf("the function got %d bytes of body, want %d", len(e.Body), len(tt.body))
			}
			if tt.wantLog != "" && !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, log)
			}
		})
	}
}

func TestCheckOriginAuth(t *testing.T) {
	for in, want := range map[string]string{"": OriginAuthEdge, "edge": OriginAuthEdge, "oac": OriginAuthOAC} {
		if got, err := checkOriginAuth(in); err != nil || got != want {
			t.Errorf("checkOriginAuth(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := checkOriginAuth("iam"); err == nil || !strings.Contains(err.Error(), `"iam"`) || !strings.Contains(err.Error(), `"oac"`) {
		t.Errorf("checkOriginAuth(iam) error = %v, want one naming the value and the modes", err)
	}
}
