package scorers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sort"

	"pixel/internal/artifact"
)

// Example is one labelled item of a task. Texts holds the fields the task's
// head reads (e.g. "context" and "response"); Group is what the held-out
// split is drawn by (conversation, transcript or post), so no group is on
// both sides.
type Example struct {
	ID      string            `json:"id"`
	Texts   map[string]string `json:"texts"`
	Label   string            `json:"label"`
	Aux     map[string]string `json:"aux,omitempty"` // extra supervision, e.g. "rationale": EPITOME's evidence spans, "|"-separated
	Group   string            `json:"-"`
	Heldout bool              `json:"-"`
	Meta    map[string]string `json:"-"`
	// Keep marks the project's own small sets, which a task's cap keeps in
	// full up to half of it (capKeeping) instead of thinning them as it
	// thins public data.
	Keep bool `json:"-"`
}

// Task is one classification head and its data.
type Task struct {
	Name   string   // file name of the head, e.g. "empathy_er"
	Scorer string   // the scorer it belongs to, e.g. "empathy"
	Inputs []string // fields of Example.Texts, in feature order
	NGrams bool     // add hashed word n-grams of the last input
	// NGramInputs, when set, are the fields whose hashed n-grams are added
	// instead (each its own block), read whether or not they are Inputs:
	// the permission detector reads the turns before only as words.
	NGramInputs []string
	// CGrid: a frozen head whose C is chosen from these by cross-validation
	// on its training rows (the worker's one-standard-error rule); empty:
	// scorers.c.
	CGrid   []float64
	Train   []Example
	Heldout []Example
	// Calibration holds training-side rows beyond the cap whose group no
	// training row shares (calibrationRows), on which a fine-tuned head's
	// temperature is fitted; Spare is how many such rows there were.
	Calibration []Example
	Spare       int
	// HeldoutData names the held-out data for the validity table.
	HeldoutData string
}

// side is one of a task's data files: its name ("train") and rows.
type side struct {
	name string
	rows []Example
}

// sides are the task's data files, in a fixed order: train, heldout and,
// when it has rows, calibration.
func (t *Task) sides() []side {
	out := []side{{"train", t.Train}, {"heldout", t.Heldout}}
	if len(t.Calibration) > 0 {
		out = append(out, side{"calibration", t.Calibration})
	}
	return out
}

// heldoutByHash puts a group in the held-out share: FNV-1a 64 of the group
// mod 100 below pct. Stable across runs and machines.
func heldoutByHash(group string, pct int) bool {
	h := fnv.New64a()
	_, _ = h.Write([]byte(group))
	return int(h.Sum64()%100) < pct
}

// split sorts examples into a task's train and held-out sides.
func (t *Task) split(all []Example) {
	for _, e := range all {
		if e.Heldout {
			t.Heldout = append(t.Heldout, e)
		} else {
			t.Train = append(t.Train, e)
		}
	}
}

// capEven keeps at most n examples, evenly spaced in an order shuffled by a
// hash of the id (so every source and label keeps its share); n <= 0 keeps all.
func capEven(exs []Example, n int) []Example {
	if n <= 0 || len(exs) <= n {
		return exs
	}
	idx := make([]int, len(exs))
	keys := make([]uint64, len(exs))
	for i := range exs {
		idx[i] = i
		h := fnv.New64a()
		_, _ = h.Write([]byte(exs[i].ID))
		keys[i] = h.Sum64()
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	out := make([]Example, 0, n)
	step := float64(len(exs)) / float64(n)
	for i := 0; i < n; i++ {
		out = append(out, exs[idx[int(float64(i)*step)]])
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// capKeeping caps exs at n as capEven does, but keeps the examples marked
// Keep in full, up to half of n (capEven among them beyond that), and
// fills the rest of the n with the others; n <= 0 keeps all.
func capKeeping(exs []Example, n int) []Example {
	if n <= 0 || len(exs) <= n {
		return exs
	}
	var kept, rest []Example
	for _, e := range exs {
		if e.Keep {
			kept = append(kept, e)
		} else {
			rest = append(rest, e)
		}
	}
	if half := n / 2; half > 0 {
		kept = capEven(kept, half)
	} else {
		kept = nil
	}
	kept = append(kept, capEven(rest, n-len(kept))...)
	sort.SliceStable(kept, func(a, b int) bool { return kept[a].ID < kept[b].ID })
	return kept
}

// calibrationRows are the rows of all (a task's training side) that kept
// (its capped training rows) left out and whose group none of kept shares:
// no encoder trained on them or on their conversation. It returns n of
// them (capEven) and how many there were, or none when there are fewer
// than n: a temperature is fitted on enough rows or not at all.
func calibrationRows(all, kept []Example, n int) ([]Example, int) {
	ids, groups := map[string]bool{}, map[string]bool{}
	for _, e := range kept {
		ids[e.ID], groups[e.Group] = true, true
	}
	var spare []Example
	for _, e := range all {
		if !ids[e.ID] && !groups[e.Group] {
			spare = append(spare, e)
		}
	}
	if n <= 0 || len(spare) < n {
		return nil, len(spare)
	}
	return capEven(spare, n), len(spare)
}

// writeExamples writes examples as the worker's JSONL rows, atomically.
func writeExamples(path string, exs []Example) error {
	return artifact.WriteFile(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for i := range exs {
			if err := enc.Encode(&exs[i]); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}

// Prediction is the worker's output for one example.
type Prediction struct {
	ID    string             `json:"id"`
	Probs map[string]float64 `json:"probs"`
}

// Top is the most probable class (ties: the smallest name, for stability).
func (p Prediction) Top() string {
	best, bp := "", -1.0
	for c, v := range p.Probs {
		if v > bp || (v == bp && c < best) {
			best, bp = c, v
		}
	}
	return best
}

// readPredictions reads the worker's predictions file into a map by id.
func readPredictions(path string) (map[string]Prediction, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]Prediction{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var p Prediction
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("%s line %d: %v (fix: the file is written by the worker; rerun the command)", path, n, err)
		}
		out[p.ID] = p
	}
	return out, sc.Err()
}
