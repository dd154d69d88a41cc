package serverfn

import (
	"path/filepath"
	"testing"
)

// TestIndexPyGzip runs testdata/test_gzip.py: the handler compresses large text answers for viewers that
// accept gzip (CloudFront does not compress what it does not cache).
func TestIndexPyGzip(t *testing.T) {
	python := pythonFor(t, "flask")
	src := t.TempDir()
	writeTree(t, src, map[string]string{"app.py": "x"})
	dst := t.TempDir()
	if _, err := mustPlan(t, testOptions(src)).Write(dst); err != nil {
		t.Fatal(err)
	}
	runUnittest(t, python, filepath.Join("testdata", "test_gzip.py"), 2,
		"OPENDASH_INDEX_PY="+filepath.Join(dst, IndexFile))
}
