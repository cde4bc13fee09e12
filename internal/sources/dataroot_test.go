package sources

import (
	"os"
	"path/filepath"
	"testing"
)

// testDataRoot is the folder holding the public datasets: ../shared/data
// beside the checkout, or $PIXEL_DATA_ROOT.
func testDataRoot(t *testing.T) string {
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
