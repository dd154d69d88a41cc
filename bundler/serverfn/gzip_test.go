package serverfn

import "testing"

// TestIndexPyGzip runs testdata/test_gzip.py: the handler compresses large text answers for viewers that
// accept gzip (CloudFront does not compress what it does not cache).
func TestIndexPyGzip(t *testing.T) { runHandlerTests(t, "test_gzip.py", 2) }
