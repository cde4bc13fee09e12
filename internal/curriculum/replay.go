package curriculum

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"pixel/internal/artifact"
)

// withReplay writes the training file of a later stage: the stage's own
// conversations plus a seeded sample of earlier stages' training
// conversations, share × as many, so the adapter keeps seeing what earlier
// stages taught. It returns the file and how many replayed conversations it holds.
func withReplay(lay Layout, stage string, earlier []string, share float64, seed uint64, out string) (string, int, error) {
	own, err := readLines(filepath.Join(lay.DataDir, stage, "train.jsonl"))
	if err != nil {
		return "", 0, err
	}
	var pool [][]byte
	for _, e := range earlier {
		lines, err := readLines(filepath.Join(lay.DataDir, e, "train.jsonl"))
		if err != nil {
			return "", 0, err
		}
		pool = append(pool, lines...)
	}
	k := min(int(math.Round(share*float64(len(own)))), len(pool))
	// Smallest seeded hash first: a sample that depends only on the seed and
	// the lines, never on file order.
	keys := make([]uint64, len(pool))
	for i, l := range pool {
		h := sha256.New()
		binary.Write(h, binary.LittleEndian, seed)
		h.Write(l)
		keys[i] = binary.LittleEndian.Uint64(h.Sum(nil)[:8])
	}
	idx := make([]int, len(pool))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	err = artifact.WriteFile(out, func(w io.Writer) error {
		for _, l := range own {
			if _, err := w.Write(append(l, '\n')); err != nil {
				return err
			}
		}
		for _, i := range idx[:k] {
			if _, err := w.Write(append(pool[i], '\n')); err != nil {
				return err
			}
		}
		return nil
	})
	return out, k, err
}

func readLines(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			out = append(out, append([]byte(nil), l...))
		}
	}
	return out, sc.Err()
}
