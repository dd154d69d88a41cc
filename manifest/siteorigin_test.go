package manifest

import "testing"

func TestWithOriginAndOriginIn(t *testing.T) {
	page := []byte(`<meta property="twitter:url" content="` + OriginPlaceholder + `/reports/annual">` +
		`<meta property="og:image" content="` + OriginPlaceholder + `/assets/a.png"><p>` + PlaceholderHost + `</p>`)
	tests := []struct{ origin, want string }{
		{"https://d111111abcdef8.cloudfront.net", `<meta property="twitter:url" content="https://d111111abcdef8.cloudfront.net/reports/annual">` +
			`<meta property="og:image" content="https://d111111abcdef8.cloudfront.net/assets/a.png"><p>d111111abcdef8.cloudfront.net</p>`},
		{"http://127.0.0.1:8080", `<meta property="twitter:url" content="http://127.0.0.1:8080/reports/annual">` +
			`<meta property="og:image" content="http://127.0.0.1:8080/assets/a.png"><p>127.0.0.1:8080</p>`},
	}
	for _, tt := range tests {
		got := WithOrigin(page, tt.origin)
		if string(got) != tt.want {
			t.Errorf("WithOrigin(%s):\n got %s\nwant %s", tt.origin, got, tt.want)
		}
		if o, ok := OriginIn(page, got); !ok || o != tt.origin {
			t.Errorf("OriginIn = %q, %v; want %s", o, ok, tt.origin)
		}
	}
	for _, served := range []string{string(page), "other", `<meta property="twitter:url" content="https://a.example/reports/annual">` +
		`<meta property="og:image" content="https://b.example/assets/a.png"><p>a.example</p>`} {
		if o, ok := OriginIn(page, []byte(served)); ok {
			t.Errorf("OriginIn(%.40q) = %q: a page that is no copy of the template with one origin", served, o)
		}
	}
}
