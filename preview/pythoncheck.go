package preview

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/opendash/opendash/manifest"
)

// The preview's Python must be able to run the bundle: the Dash it was bundled with (a different Dash serves
// different callbacks and component files than the static site holds) and, less strictly, the versions
// requirements.txt pins for the image. Checked once at start, before the worker imports the app.

// versionsProbe prints {"name": "installed version" or null} for the distributions named in argv.
const versionsProbe = `import json, sys
from importlib import metadata
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        found[name] = None
print(json.dumps(found))`

// pinnedLine is one `name==version` line of the bundle's requirements.txt (extras and markers allowed).
var pinnedLine = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)`)

// checkPython compares py's installed distributions with what the bundle was made from. It refuses a
// missing Dash or another Dash major.minor, and returns a warning for anything else that differs.
func checkPython(ctx context.Context, py, dir string, m *manifest.Manifest) ([]string, error) {
	reqFile := filepath.Join(dir, filepath.FromSlash(m.Origins.Server.Dir), "requirements.txt")
	pins := pinned(reqFile)
	if m.App.DashVersion != "" {
		pins["dash"] = m.App.DashVersion // the manifest says which Dash the static site came from
	}
	if len(pins) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(pins))
	for n := range pins {
		names = append(names, n)
	}
	sort.Strings(names)
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", versionsProbe}, names...)...)
	cmd.Dir = filepath.Join(dir, filepath.FromSlash(m.Origins.Server.Dir))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var have map[string]*string
	if err == nil {
		err = json.Unmarshal(out, &have)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot ask %s which packages it has (%v): %s; pass a working interpreter with --python", py, err, strings.TrimSpace(stderr.String()))
	}
	fix := fmt.Sprintf("pass --python with the Python you bundled with, or install the bundle's requirements into this one: %s -m pip install -r %s", py, reqFile)
	if want := pins["dash"]; want != "" {
		got := have["dash"]
		switch {
		case got == nil:
			return nil, fmt.Errorf("%s has no Dash, and the bundle %s was made with Dash %s: every callback would fail\n  hint: %s", py, dir, want, fix)
		case minorOf(*got) != minorOf(want):
			return nil, fmt.Errorf("%s has Dash %s, and the bundle %s was made with Dash %s: its callbacks and component files would not match the static site\n  hint: %s", py, *got, dir, want, fix)
		}
	}
	var differ []string
	for _, n := range names {
		switch got := have[n]; {
		case got == nil:
			differ = append(differ, fmt.Sprintf("%s %s is not installed", n, pins[n]))
		case *got != pins[n]:
			differ = append(differ, fmt.Sprintf("%s is %s here, %s in the bundle", n, *got, pins[n]))
		}
	}
	if len(differ) == 0 {
		return nil, nil
	}
	return []string{fmt.Sprintf("THE PREVIEW'S PYTHON DIFFERS FROM THE BUNDLE: %s differs from the bundle's pinned requirements (%s); the deployed app may behave differently. Fix: %s",
		py, strings.Join(differ, "; "), fix)}, nil
}

// pinned reads name==version lines; a missing file (an older or hand-made bundle) pins nothing.
func pinned(file string) map[string]string {
	pins := map[string]string{}
	f, err := os.Open(file)
	if err != nil {
		return pins
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := pinnedLine.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			pins[strings.ToLower(m[1])] = m[2]
		}
	}
	return pins
}

// minorOf is "4.3" for "4.3.0", "4.3.0rc1" and "4.3rc1" (a version without a dot stays as it is).
func minorOf(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	minor := parts[1]
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	return parts[0] + "." + minor
}
