// Package e2e holds the browser end-to-end tests: the examples are bundled with a real Dash, served by the
// local preview exactly as CloudFront would route them, and loaded in headless Chromium. The tests skip with a
// message saying what to set or install when Dash (OPENDASH_TEST_PYTHON) or Chromium is missing.
package e2e
