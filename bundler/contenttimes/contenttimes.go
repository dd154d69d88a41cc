// Package contenttimes ships opendash_times.py: the Python helper that makes Dash's cache-busting values
// (asset `?m=` queries, component-suite fingerprints) follow file content rather than modification times,
// so a bundle, and the pages the server function renders, are the same for every checkout and install.
// The extraction script prepends it and the server function holds it beside the handler; both call its
// install_content_times() before the app is created.
package contenttimes

import _ "embed"

// File is the helper's name in the server function folder (the handler imports it by this name).
const File = "opendash_times.py"

// Py is the helper's source.
//
//go:embed opendash_times.py
var Py []byte
