// Package datatest finds the public datasets for tests: ../shared/data
// beside the checkout, or $PIXEL_DATA_ROOT.
package datatest

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the dataset folder, failing the test with the fix when it
// is missing. It is called from a package folder two levels below the
// checkout (internal/<pkg>).
func Root(t testing.TB) string {
	t.Helper()
	root := os.Getenv("PIXEL_DATA_ROOT")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "data")
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		t.Fatalf("dataset folder %s not found; place ../shared/data beside the checkout or set PIXEL_DATA_ROOT to the folder holding the dataset folders", root)
	}
	return root
}
