// Package workdir ships opendash_workdir.py: the Python helper that runs a Dash app in a writable current
// directory whose entries link to the app's files (AWS Lambda's task root is read-only, and Dash's own
// background callback examples create ./cache at import). The server function holds it beside the handler,
// which calls it before importing the app; the extraction script prepends it and calls it while bundling,
// so files an app writes then land in a temporary folder, not in the source folder or the bundle.
package workdir

import _ "embed"

// File is the helper's name in the server function folder (the handler imports it by this name).
const File = "opendash_workdir.py"

// Py is the helper's source.
//
//go:embed opendash_workdir.py
var Py []byte
