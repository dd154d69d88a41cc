// Package writeevents holds one Python list of the audit events that change the file system, shared by the
// two programs that keep an app from writing into a folder that is read-only on AWS Lambda: the bundle's
// guard of the source folder (bundler/extract, at bundle time) and the preview's read-only server function
// folder (preview, in each worker). Both prepend Py to their own Python.
package writeevents

import _ "embed"

// Py defines _OPENDASH_WRITE_EVENTS, _opendash_written_paths(event, args) and _opendash_written_path(path,
// follows); only private names, so it can be
// prepended to any program.
//
//go:embed writeevents.py
var Py string
