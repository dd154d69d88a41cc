// Package bodyhash ships the in-page script that adds x-amz-content-sha256 to a Dash page's requests with a
// body (what a Lambda function URL behind CloudFront origin access control requires), and the Python hook
// that makes the app render a tag for it in every page: at bundle time (extract.py) and in the server
// function (the handler imports Module).
package bodyhash

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opendash/opendash/manifest"
)

//go:embed body-hash.js
var script []byte

//go:embed opendash_bodyhash.py
var module string

// ModuleFile is the hook's file name in the server function folder; the handler imports it by that name.
const ModuleFile = "opendash_bodyhash.py"

// placeholder is the script path opendash_bodyhash.py carries until Module fills in the fingerprinted one.
const placeholder = `BODY_HASH_SCRIPT = "_opendash/body-hash.js"`

// Script is the JavaScript file's content.
func Script() []byte { return script }

// Path is the script's URL path below the app's requests_pathname_prefix, fingerprinted by its content:
// it is served as immutable, and a new script gets a new URL.
func Path() string {
	sum := sha256.Sum256(script)
	return "_opendash/body-hash." + hex.EncodeToString(sum[:])[:12] + ".js"
}

// Key is the script's S3 key for an app whose requests_pathname_prefix is prefix ("/" or "/app/").
func Key(prefix string) string {
	return strings.TrimPrefix(prefix, "/") + Path()
}

// Module is opendash_bodyhash.py with Path filled in, for the server function.
func Module() []byte {
	return []byte(strings.Replace(module, placeholder, fmt.Sprintf("BODY_HASH_SCRIPT = %q", Path()), 1))
}

// Source is opendash_bodyhash.py as is, for the extraction script (which passes Path as an argument).
func Source() string { return module }

// Write puts the script into the static site folder dir for an app at prefix and returns its manifest entry.
func Write(dir, prefix string) (manifest.File, error) {
	key := Key(prefix)
	name := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return manifest.File{}, err
	}
	if err := os.WriteFile(name, script, 0o644); err != nil {
		return manifest.File{}, fmt.Errorf("writing the body-hash script %s: %w", name, err)
	}
	sum := sha256.Sum256(script)
	return manifest.File{
		Key: key, Path: key, ContentType: "application/javascript; charset=utf-8", // as static.ContentType types .js
		CacheControl: manifest.CacheImmutable, Class: manifest.ClassImmutable,
		Size: int64(len(script)), SHA256: hex.EncodeToString(sum[:]),
	}, nil
}
