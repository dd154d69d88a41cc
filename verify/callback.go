package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// dependency is one entry of _dash-dependencies, as far as a round trip needs it.
type dependency struct {
	Output             string          `json:"output"`
	Inputs             []dependencyRef `json:"inputs"`
	State              []dependencyRef `json:"state"`
	ClientsideFunction json.RawMessage `json:"clientside_function"`
	Background         json.RawMessage `json:"background"` // background callbacks answer through a job queue
	Long               json.RawMessage `json:"long"`       // their name before Dash 2.6
	// PreventInitialCall: the page never calls it by itself, only on a user's action.
	PreventInitialCall bool `json:"prevent_initial_call"`
}

type dependencyRef struct {
	ID       any    `json:"id"` // a string, or (pattern matching) an object
	Property string `json:"property"`
}

// callbackRequest is the body Dash's renderer POSTs to _dash-update-component.
type callbackRequest struct {
	Output         string      `json:"output"`
	Outputs        any         `json:"outputs"` // one target, or a list for a multi-output callback
	Inputs         []propValue `json:"inputs"`
	ChangedPropIDs []string    `json:"changedPropIds"`
	State          []propValue `json:"state"`
}

type target struct {
	ID       string `json:"id"`
	Property string `json:"property"`
}

type propValue struct {
	ID       string `json:"id"`
	Property string `json:"property"`
	Value    any    `json:"value,omitempty"`
}

// page is the URL the browser loaded, which it gives every dcc.Location in the layout.
type page struct {
	path, href string
}

// layoutProps maps every component id in a _dash-layout tree to its props, with what the renderer fills in
// before the first callbacks: a dcc.Location gets the loaded page's pathname, search, hash and href (Dash
// Pages' router takes its input from one), and is listed in locations.
func layoutProps(node any, loaded page, out map[string]map[string]any, locations map[string]bool) {
	switch n := node.(type) {
	case []any:
		for _, child := range n {
			layoutProps(child, loaded, out, locations)
		}
	case map[string]any:
		props, ok := n["props"].(map[string]any)
		if !ok {
			return
		}
		if id, ok := props["id"].(string); ok {
			if n["type"] == "Location" && n["namespace"] == "dash_core_components" {
				locations[id] = true
				withURL := map[string]any{"pathname": loaded.path, "search": "", "hash": "", "href": loaded.href}
				for k, v := range props {
					withURL[k] = v
				}
				props = withURL
			}
			out[id] = props
		}
		for _, v := range props { // children, and components held by other props (a Tab's label, ...)
			layoutProps(v, loaded, out, locations)
		}
	}
}

// pickCallback returns the renderer's request for a server callback the loaded page calls by itself, every
// input a component of the first layout: an initial call (not prevent_initial_call), or one a dcc.Location
// sets off when it mounts with the page's URL (Dash Pages' router is prevent_initial_call, yet runs at every
// load). One whose inputs all have values there comes first; else one with an input the layout leaves
// undefined, sent without a value as the renderer sends it (a button's n_clicks before any click). False
// when the page calls none (every callback waits for a user's action): then there is no round trip verify
// can make without acting for a user.
func pickCallback(deps []dependency, layout any, loaded page) (callbackRequest, bool) {
	props, locations := map[string]map[string]any{}, map[string]bool{}
	layoutProps(layout, loaded, props, locations)
	for _, undefinedOK := range []bool{false, true} {
		if req, ok := firstCallback(deps, props, locations, undefinedOK); ok {
			return req, true
		}
	}
	return callbackRequest{}, false
}

// urlProps are the props a dcc.Location sets when it mounts.
var urlProps = map[string]bool{"pathname": true, "search": true, "hash": true, "href": true}

func firstCallback(deps []dependency, props map[string]map[string]any, locations map[string]bool, undefinedOK bool) (callbackRequest, bool) {
	mountedByURL := func(d dependency) bool {
		for _, in := range d.Inputs {
			if id, ok := in.ID.(string); ok && locations[id] && urlProps[in.Property] {
				return true
			}
		}
		return false
	}
	value := func(ref dependencyRef) (propValue, bool) {
		if isPattern(ref) {
			return propValue{}, false
		}
		id := ref.ID.(string)
		component, inLayout := props[id]
		v, defined := component[ref.Property]
		return propValue{ID: id, Property: ref.Property, Value: v}, defined || undefinedOK && inLayout
	}
next:
	for _, d := range deps {
		if !isNull(d.ClientsideFunction) || !isNull(d.Background) || !isNull(d.Long) || len(d.Inputs) == 0 ||
			d.PreventInitialCall && !mountedByURL(d) {
			continue
		}
		outputs, ok := parseOutputs(d.Output)
		if !ok {
			continue
		}
		req := callbackRequest{Output: d.Output, ChangedPropIDs: []string{}, Inputs: []propValue{}, State: []propValue{}}
		if len(outputs) == 1 && !strings.HasPrefix(d.Output, "..") {
			req.Outputs = outputs[0]
		} else {
			req.Outputs = outputs
		}
		for _, in := range d.Inputs {
			v, ok := value(in)
			if !ok {
				continue next
			}
			req.Inputs = append(req.Inputs, v)
		}
		for _, st := range d.State {
			if isPattern(st) {
				continue next
			}
			v, ok := value(st)
			if !ok {
				v = propValue{ID: st.ID.(string), Property: st.Property} // undefined in the page: sent without value
			}
			req.State = append(req.State, v)
		}
		return req, true
	}
	return callbackRequest{}, false
}

// isPattern: a pattern-matching id (ALL, MATCH, ALLSMALLER), which _dash-dependencies writes as a string of
// JSON ("{\"index\":[\"ALL\"]}"). The renderer sends such a state or input as the list of the components it
// matches in the page (an empty list for none), never as one value: only the renderer can expand it.
func isPattern(ref dependencyRef) bool {
	id, ok := ref.ID.(string)
	return !ok || strings.HasPrefix(id, "{")
}

// parseOutputs splits a callback's output id: "graph.figure", or "..a.children...b.style.." for several.
// A property may carry Dash's "@<hash>" for allow_duplicate. Pattern-matching outputs are refused.
func parseOutputs(output string) ([]target, bool) {
	if output == "" || strings.Contains(output, "{") {
		return nil, false
	}
	parts := []string{output}
	if strings.HasPrefix(output, "..") && strings.HasSuffix(output, "..") {
		parts = strings.Split(strings.TrimSuffix(strings.TrimPrefix(output, ".."), ".."), "...")
	}
	var out []target
	for _, p := range parts {
		i := strings.LastIndex(p, ".")
		if i <= 0 || i == len(p)-1 {
			return nil, false
		}
		prop, _, _ := strings.Cut(p[i+1:], "@")
		out = append(out, target{ID: p[:i], Property: prop})
	}
	return out, true
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null" || s == "false"
}

// checkCallback makes one real callback round trip: the first callback the page would call, POSTed as the
// renderer would, must answer 200 with JSON (or 204, Dash's answer when the callback prevents the update).
// Without such a callback the check is skipped with a note: any other request would be one the app never
// gets from its pages (Dash logs an unknown output as an exception, which trips error alarms).
func (r *runner) checkCallback(ctx context.Context) (Check, error) {
	path := r.prefix() + "_dash-update-component"
	c := Check{Kind: KindCallback, Method: http.MethodPost, URL: path}
	var deps []dependency
	var layout any
	for _, get := range []struct {
		name string
		into any
	}{{"_dash-dependencies", &deps}, {"_dash-layout", &layout}} {
		p := r.prefix() + get.name
		a, err := r.f.fetch(ctx, http.MethodGet, r.site+escape(p), nil, http.Header{"Accept": {"application/json"}})
		if err != nil {
			return c, r.siteError(p, err)
		}
		if a.status != http.StatusOK || a.decodeErr != nil {
			problem, fix := diagnose(a)
			return fail(c, fmt.Sprintf("could not read %s for the round trip: %s", p, problem), fix), nil
		}
		if err := json.Unmarshal(a.body, get.into); err != nil {
			return fail(c, fmt.Sprintf("%s is not the JSON Dash writes: %v", p, err), "re-bundle and deploy; check what the path answers"), nil
		}
	}

	req, ok := pickCallback(deps, layout, page{path: r.prefix(), href: r.site + r.prefix()})
	if !ok {
		c.OK = true
		c.Skipped = "the page calls no server callback by itself (each has prevent_initial_call or inputs that are " +
			"not in the first layout), and a round trip on a user's behalf could change the app's data: click " +
			"through the page to try one"
		return c, nil
	}
	c.Detail = "callback " + req.Output
	body, err := json.Marshal(req)
	if err != nil {
		return c, err
	}
	a, err := r.f.fetch(ctx, http.MethodPost, r.site+escape(path), body,
		http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}})
	if err != nil {
		return c, r.siteError(path, err)
	}
	c.Status = a.status
	// Dash answers an exception in a callback with its own 500; the handler's 500 says the app did not start.
	appError := a.status == http.StatusInternalServerError && !strings.Contains(snippet(a.body), "failed to start")
	if problem, fix := notFromServer(a); problem != "" && !appError {
		return fail(c, problem, fix), nil
	}
	switch {
	case a.status == http.StatusNoContent:
	case a.status != http.StatusOK:
		return fail(c, fmt.Sprintf("callback %s answered %d: %s", req.Output, a.status, snippet(a.body)),
			"the callback raised or refused the request: "+logsHint(a)+" for the callback's error"), nil
	case !json.Valid(a.body):
		return fail(c, fmt.Sprintf("callback %s answered 200 without JSON: %s", req.Output, snippet(a.body)),
			"something between CloudFront and Dash rewrote the answer: "+logsHint(a)), nil
	}
	c.OK = true
	return c, nil
}
