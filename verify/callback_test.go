package verify

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPickCallback(t *testing.T) {
	layout := `{"type":"Div","props":{"children":[
		{"type":"Dropdown","props":{"id":"city","value":"Oslo"}},
		{"type":"Tabs","props":{"id":"tabs","value":"a","children":[{"type":"Tab","props":{"label":{"type":"Span","props":{"id":"deep","children":"x"}}}}]}},
		{"type":"Store","props":{"id":"store","data":null}},
		{"type":"Location","namespace":"dash_core_components","props":{"id":"url","refresh":"callback-nav"}},
		{"type":"Location","namespace":"other_library","props":{"id":"not-dcc"}},
		"text"]}}`
	tests := []struct {
		name string
		deps string
		want string // the request body, "" for none
	}{
		{"first with values wins", `[
			{"output":"a.children","inputs":[{"id":"missing","property":"value"}],"state":[]},
			{"output":"graph.figure","inputs":[{"id":"city","property":"value"}],"state":[{"id":"tabs","property":"value"},{"id":"tabs","property":"nope"}]}]`,
			`{"output":"graph.figure","outputs":{"id":"graph","property":"figure"},"inputs":[{"id":"city","property":"value","value":"Oslo"}],"changedPropIds":[],"state":[{"id":"tabs","property":"value","value":"a"},{"id":"tabs","property":"nope"}]}`},
		{"multi output and allow_duplicate", `[{"output":"..a.children...b.style@7f3a..","inputs":[{"id":"deep","property":"children"}]}]`,
			`{"output":"..a.children...b.style@7f3a..","outputs":[{"id":"a","property":"children"},{"id":"b","property":"style"}],"inputs":[{"id":"deep","property":"children","value":"x"}],"changedPropIds":[],"state":[]}`},
		{"a null value counts: the prop is in the layout", `[{"output":"x.children","inputs":[{"id":"store","property":"data"}]}]`,
			`{"output":"x.children","outputs":{"id":"x","property":"children"},"inputs":[{"id":"store","property":"data"}],"changedPropIds":[],"state":[]}`},
		{"dcc.Location gets the page's URL, as the renderer gives it", `[
			{"output":"x.children","inputs":[{"id":"not-dcc","property":"pathname"}]},
			{"output":"content.children","inputs":[{"id":"url","property":"pathname"},{"id":"url","property":"search"}],"state":[{"id":"url","property":"href"}]}]`,
			`{"output":"content.children","outputs":{"id":"content","property":"children"},"inputs":[{"id":"url","property":"pathname","value":"/app/"},{"id":"url","property":"search","value":""}],"changedPropIds":[],"state":[{"id":"url","property":"href","value":"https://example.com/app/"}]}`},
		{"prevent_initial_call fed by a dcc.Location runs at load: Dash Pages' router", `[
			{"output":"..content.children...store.data..","inputs":[{"id":"url","property":"pathname"}],"prevent_initial_call":true}]`,
			`{"output":"..content.children...store.data..","outputs":[{"id":"content","property":"children"},{"id":"store","property":"data"}],"inputs":[{"id":"url","property":"pathname","value":"/app/"}],"changedPropIds":[],"state":[]}`},
		{"prevent_initial_call is never picked: the page does not call it", `[
			{"output":"graph.figure","inputs":[{"id":"city","property":"value"}],"prevent_initial_call":true}]`, ""},
		{"an input the layout leaves undefined is sent without a value, as the renderer does", `[
			{"output":"a.children","inputs":[{"id":"missing","property":"value"}]},
			{"output":"b.children","inputs":[{"id":"city","property":"n_clicks"}],"prevent_initial_call":false}]`,
			`{"output":"b.children","outputs":{"id":"b","property":"children"},"inputs":[{"id":"city","property":"n_clicks"}],"changedPropIds":[],"state":[]}`},
		{"clientside, background and pattern-matching skipped", `[
			{"output":"x.children","inputs":[{"id":"city","property":"value"}],"clientside_function":{"namespace":"n","function_name":"f"}},
			{"output":"x.children","inputs":[{"id":"city","property":"value"}],"background":{"interval":1000}},
			{"output":"{\"index\":[\"ALL\"],\"type\":\"o\"}.children","inputs":[{"id":"city","property":"value"}]},
			{"output":"y.children","inputs":[{"id":{"index":["ALL"],"type":"i"},"property":"value"}]},
			{"output":"z.children","inputs":[]}]`, ""},
		{"a pattern-matching state, as _dash-dependencies writes it, is the renderer's to expand: skipped", `[
			{"output":"..list.children...city.value..","inputs":[{"id":"city","property":"value"}],"state":[{"id":"{\"index\":[\"ALL\"]}","property":"children"}]},
			{"output":"w.children","inputs":[{"id":"city","property":"value"}],"state":[{"id":{"index":["ALL"]},"property":"value"}]}]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var deps []dependency
			var tree any
			if err := json.Unmarshal([]byte(tt.deps), &deps); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(layout), &tree); err != nil {
				t.Fatal(err)
			}
			req, ok := pickCallback(deps, tree, page{path: "/app/", href: "https://example.com/app/"})
			got := ""
			if ok {
				b, _ := json.Marshal(req)
				got = string(b)
			}
			if got != tt.want {
				t.Errorf("request\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestSkippedCallbackNote: a callback check verify could not make is counted as skipped, with its reason.
func TestSkippedCallbackNote(t *testing.T) {
	rep := &Report{URL: "http://127.0.0.1:8080", BuildID: "b", OK: true,
		Counts: map[string]Count{KindCallback: {Skipped: 1}},
		Checks: []Check{{Kind: KindCallback, Method: "POST", URL: "/_dash-update-component", OK: true, Skipped: "no callback"}}}
	var buf strings.Builder
	rep.WriteSummary(&buf)
	for _, want := range []string{"callback     0 passed, 1 skipped", "note: callback POST /_dash-update-component skipped: no callback"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}
