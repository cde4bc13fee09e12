package scorers

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Small talk comes from Synthetic-Persona-Chat's test split, user turns
// only, capped evenly and the same on every read.
func TestSmallTalkTurns(t *testing.T) {
	o := smallOptions(t)
	a, err := smallTalk(context.Background(), o.DataRoot, "test", 80)
	if err != nil {
		t.Fatal(err)
	}
	b, err := smallTalk(context.Background(), o.DataRoot, "test", 80)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 80 || !slices.EqualFunc(a, b, func(x, y Example) bool { return x.ID == y.ID }) {
		t.Fatalf("%d turns, or a different draw on a second read", len(a))
	}
	convs := map[string]bool{}
	for _, e := range a {
		if !strings.Contains(e.ID, "test-") || !e.Heldout || e.Label != "" || strings.TrimSpace(e.Texts["text"]) == "" || !strings.HasPrefix(e.ID, e.Group) {
			t.Fatalf("turn %s (group %s): not a test-split user turn of its conversation", e.ID, e.Group)
		}
		convs[e.Group] = true
	}
	if len(convs) < 40 {
		t.Errorf("80 turns from %d conversations: not spread", len(convs))
	}
}

// scorers.smalltalk_train puts that many valid-split turns into the crisis
// head's training as "none", kept in full under its cap; never a test-split
// turn, so the false-alarm row stays on conversations the head never saw.
func TestCrisisTrainsOnValidSmallTalk(t *testing.T) {
	o := smallOptions(t)
	talk := func(n int) (train, held []string) {
		o.SmallTalkTrain = n
		task, err := crisisTask(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		task.Train = capKeeping(task.Train, 4000)
		for _, e := range task.Train {
			if e.Meta["source"] == smallTalkSource {
				if !strings.Contains(e.ID, "valid-") || e.Label != "none" {
					t.Fatalf("training turn %s labelled %q: want a valid-split turn as none", e.ID, e.Label)
				}
				train = append(train, e.ID)
			}
		}
		for _, e := range task.Heldout {
			if e.Meta["source"] == smallTalkSource {
				held = append(held, e.ID)
			}
		}
		return train, held
	}
	if train, held := talk(0); len(train)+len(held) != 0 {
		t.Fatalf("off, yet %d turns train and %d are held out", len(train), len(held))
	}
	train, held := talk(300)
	if len(train) != 300 || len(held) != 0 {
		t.Fatalf("300 asked: %d train, %d held out", len(train), len(held))
	}
	if n := smallTalkTrained([]*Task{{Name: "crisis_level", Train: []Example{{Meta: map[string]string{"source": smallTalkSource}}}},
		{Name: "persona", Train: []Example{{Meta: map[string]string{"source": smallTalkSource}}}}}); n != 1 {
		t.Errorf("counted %d trained turns, want 1 (the crisis head's)", n)
	}
	test, err := smallTalk(context.Background(), o.DataRoot, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	convs := map[string]bool{}
	for _, e := range test {
		convs[e.Group] = true
	}
	for _, id := range train {
		if convs[id[:strings.LastIndex(id, "-")]] {
			t.Fatalf("training turn %s is from a test conversation", id)
		}
	}
	// The same data root without Synthetic-Persona-Chat, then with a valid
	// split that holds no conversation: each a clear error, never a set
	// trained on no small talk.
	full, err := filepath.Abs(o.DataRoot)
	if err != nil {
		t.Fatal(err)
	}
	o.SmallTalkTrain = 10
	o.DataRoot = rootWithout(t, full, smallTalkSource)
	if _, err := crisisTask(context.Background(), o); err == nil || !strings.Contains(err.Error(), "scorers.smalltalk_train: 0") {
		t.Errorf("no small-talk data: %v", err)
	}
	spc := filepath.Join(o.DataRoot, smallTalkSource)
	if err := os.Mkdir(spc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(spc, "Synthetic-Persona-Chat_valid.csv"), []byte("user 1 personas,user 2 personas,Best Generated Conversation\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testCSV := "Synthetic-Persona-Chat_test.csv"
	if err := os.Symlink(filepath.Join(full, smallTalkSource, testCSV), filepath.Join(spc, testCSV)); err != nil {
		t.Fatal(err)
	}
	if _, err := crisisTask(context.Background(), o); err == nil || !strings.Contains(err.Error(), "no user turns in its valid split") {
		t.Errorf("an empty valid split: %v", err)
	}
}

// rootWithout is a data root linking every dataset folder of full but skip.
func rootWithout(t *testing.T, full, skip string) string {
	root := t.TempDir()
	ents, err := os.ReadDir(full)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ents {
		if d.Name() != skip {
			if err := os.Symlink(filepath.Join(full, d.Name()), filepath.Join(root, d.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// The false-alarm row counts a turn rated high, and says how many were
// raised to imminent and rated above none.
func TestSmallTalkRows(t *testing.T) {
	test := []Example{{ID: "a", Group: "c1"}, {ID: "b", Group: "c1"}, {ID: "c", Group: "c2"}, {ID: "d", Group: "c3"}}
	lv := func(top string) Prediction { return Prediction{Probs: map[string]float64{top: 0.9}} }
	level := map[string]Prediction{"a": lv("high"), "b": lv("low"), "c": lv("none"), "d": lv("none")}
	imm := map[string]Prediction{"a": {Probs: map[string]float64{"1": 0.7}}, "b": {Probs: map[string]float64{"1": 0.9}},
		"c": {Probs: map[string]float64{"1": 0}}, "d": {Probs: map[string]float64{"1": 0}}}
	rows, err := smallTalkRows(test, level, imm, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.Value == nil || math.Abs(*r.Value-0.25) > 1e-9 || !r.LowerIsBetter || r.Goal != nil {
		t.Fatalf("row %+v", r)
	}
	// b's detector says near, but b is not rated high, so it is not imminent
	if !strings.Contains(r.Note, "1 of 4 rated high, 1 imminent") || !strings.Contains(r.Note, "above none (low or more) 0.500") {
		t.Errorf("note %q", r.Note)
	}
	if strings.Contains(r.Note, "valid split") {
		t.Errorf("untrained, yet the note says %q", r.Note)
	}
	if rows, _ := smallTalkRows(test, level, imm, 300); !strings.Contains(rows[0].Note, "trained on 300 turns of the valid split") {
		t.Errorf("trained note %q", rows[0].Note)
	}
	delete(level, "d")
	if _, err := smallTalkRows(test, level, imm, 0); err == nil {
		t.Error("a turn without a prediction passed")
	}
}
