// Package warmer writes the warmer function: a small zip Lambda, run on a schedule, that invokes the
// server function several times at once so that many instances stay warm. The server answers these calls
// without touching the app (see bundler/serverfn's index.py).
package warmer

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// Names shared with the Pulumi component, which creates the function and sets its environment.
const (
	IndexFile = "index.py"
	Handler   = "index.handler"
	// Runtime is the Lambda runtime of the warmer: it ships boto3, which is all index.py imports.
	Runtime = "python3.13"
	// DefaultSchedule is the EventBridge schedule expression the component uses unless told otherwise.
	DefaultSchedule = "rate(5 minutes)"

	// EnvTargets holds the comma-separated names or ARNs of the functions to warm.
	EnvTargets = "OPENDASH_WARM_TARGETS"
	// EnvConcurrency is how many instances to keep warm per target (1..100, default 1).
	EnvConcurrency = "OPENDASH_WARM_CONCURRENCY"
	// EnvDelayMS is how long, in ms, each server holds a warmer call so that calls overlap (0..1000).
	EnvDelayMS = "OPENDASH_WARM_DELAY_MS"

	DefaultConcurrency = 1
	DefaultDelayMS     = 75
)

//go:embed lambda/index.py
var indexPy []byte

// Result tells what Write wrote.
type Result struct {
	Files    int
	Bytes    int64
	Warnings []string
	SHA256   string // of index.py, the one file written (mode 0644)
}

// Write writes the warmer's index.py into dir, an already-created folder.
func Write(dir string) (Result, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Result{}, fmt.Errorf("warmer: output folder: %w (the bundler creates it before Write)", err)
	}
	if !st.IsDir() {
		return Result{}, fmt.Errorf("warmer: output %s is not a folder", dir)
	}
	name := filepath.Join(dir, IndexFile)
	if err := os.WriteFile(name, indexPy, 0o644); err != nil {
		return Result{}, fmt.Errorf("warmer: %w", err)
	}
	if err := os.Chmod(name, 0o644); err != nil {
		return Result{}, fmt.Errorf("warmer: %w", err)
	}
	sum := sha256.Sum256(indexPy)
	return Result{Files: 1, Bytes: int64(len(indexPy)), SHA256: hex.EncodeToString(sum[:])}, nil
}
