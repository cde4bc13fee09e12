package sources

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"pixel/internal/record"
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

// loadAll runs a source's adapter and gathers what it emits and rejects.
func loadAll(t *testing.T, src Source, dir string) ([]record.Conversation, []Rejected) {
	t.Helper()
	var recs []record.Conversation
	var rejects []Rejected
	err := src.Load(context.Background(), dir,
		func(c record.Conversation) error { recs = append(recs, c); return nil },
		func(r Rejected) error { rejects = append(rejects, r); return nil })
	if err != nil {
		t.Fatalf("%s: load %s: %v", src.Name, dir, err)
	}
	return recs, rejects
}
