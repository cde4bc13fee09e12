package pii

import (
	"os"
	"path/filepath"
	"testing"
)

// esconvUtterances reads the first limit utterances of an ESConv split under
// $PIXEL_DATA_ROOT (default /work/shared/data) with ReadUtterances, the
// reader `pixel data pii-eval` uses, so the test measures the same texts.
func esconvUtterances(t testing.TB, split string, limit int) []string {
	t.Helper()
	root := os.Getenv("PIXEL_DATA_ROOT")
	if root == "" {
		root = "/work/shared/data"
	}
	path := filepath.Join(root, "esconv", split)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("ESConv split %s is missing (%v); set PIXEL_DATA_ROOT to the folder that holds esconv/%s", path, err, split)
	}
	texts, err := ReadUtterances(path, limit)
	if err != nil {
		t.Fatalf("read ESConv: %v", err)
	}
	if len(texts) < limit {
		t.Fatalf("%s holds %d utterances, want at least %d", path, len(texts), limit)
	}
	return texts
}
