package curriculum

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeStage(t *testing.T, dataDir, stage string, n int) {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "{\"id\":\"%s-%03d\"}\n", stage, i)
	}
	os.MkdirAll(filepath.Join(dataDir, stage), 0o755)
	if err := os.WriteFile(filepath.Join(dataDir, stage, "train.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWithReplay(t *testing.T) {
	dir := t.TempDir()
	lay := Layout{RunDir: dir, DataDir: filepath.Join(dir, "data")}
	writeStage(t, lay.DataDir, "foundation", 50)
	writeStage(t, lay.DataDir, "expertise", 30)
	writeStage(t, lay.DataDir, "edge", 20)
	out := filepath.Join(dir, "replay", "3-edge.jsonl")
	path, k, err := withReplay(lay, "edge", []string{"foundation", "expertise"}, 0.25, 7, out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(mustRead(t, path))), "\n")
	if k != 5 || len(lines) != 25 {
		t.Fatalf("replayed %d, file has %d lines; want 5 replayed after the stage's 20", k, len(lines))
	}
	for i, l := range lines {
		own := strings.Contains(l, `"edge-`)
		if own != (i < 20) {
			t.Fatalf("line %d = %s: the stage's own conversations come first, then only earlier stages'", i, l)
		}
	}
	again, _, _ := withReplay(lay, "edge", []string{"foundation", "expertise"}, 0.25, 7, out+".2")
	if !bytes.Equal(mustRead(t, path), mustRead(t, again)) {
		t.Fatal("the replay sample is not deterministic")
	}
	other, _, _ := withReplay(lay, "edge", []string{"foundation", "expertise"}, 0.25, 8, out+".3")
	if bytes.Equal(mustRead(t, path), mustRead(t, other)) {
		t.Fatal("another seed drew the same replay sample")
	}
	// More replay than earlier stages hold: everything once, never repeats.
	_, k, _ = withReplay(lay, "expertise", []string{"foundation"}, 1, 7, out+".4")
	if k != 30 {
		t.Fatalf("replayed %d of 50 foundation conversations for 30 expertise ones, want 30", k)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
