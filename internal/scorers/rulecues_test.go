package scorers

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pixel "pixel"
)

// The embedded set can measure both rules: each has dev and test records
// with both labels.
func TestRuleSetIsWellFormed(t *testing.T) {
	recs, err := readRuleSet(pixel.RuleSet, "embedded")
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{ruleImminence, rulePermission} {
		for _, sp := range []string{"dev", "test"} {
			n, ones := 0, 0
			for _, r := range recs {
				if r.Rule == rule && r.Split == sp {
					n++
					ones += *r.Label
				}
			}
			if n < 50 || ones == 0 || ones == n {
				t.Errorf("%s/%s: %d of %d positive; the rule cannot be measured", rule, sp, ones, n)
			}
		}
	}
}

func TestReadRuleSetErrors(t *testing.T) {
	good := `{"id":"a","rule":"imminence","split":"dev","context":[],"text":"x","label":1,"note":""}`
	cases := map[string]string{
		`{"id":"b","rule":"imminence","split":"dev","text":"x"}`:                                                           "label missing",
		`{"id":"b","rule":"other","split":"dev","text":"x","label":0}`:                                                     `rule "other"`,
		`{"id":"b","rule":"imminence","split":"train","text":"x","label":0}`:                                               `split "train"`,
		`{"id":"b","rule":"imminence","split":"dev","text":" ","label":0}`:                                                 "empty text",
		`{"id":"b","rule":"imminence","split":"dev","text":"x","label":2}`:                                                 "not 0/1",
		`{"id":"b","rule":"imminence","split":"dev","text":"x","label":0,"labels":{}}`:                                     "unknown field",
		`{"id":"b","rule":"permission","split":"dev","context":[{"role":"therapist","content":"y"}],"text":"x","label":0}`: `role "therapist"`,
		good: "already on line 1",
	}
	for line, want := range cases {
		_, err := readRuleSet([]byte(good+"\n"+line+"\n"), "cues.jsonl")
		if err == nil || !strings.Contains(err.Error(), "cues.jsonl line 2") || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "fix:") {
			t.Errorf("%s: error %v, want line 2, %q and a fix", line, err, want)
		}
	}
}

// The detectors' tasks: dev fits, test is held out, labels as strings, and
// the permission detector reads the two turns before the therapist's, the
// newest first.
func TestRuleTasks(t *testing.T) {
	set := `{"id":"1","rule":"imminence","split":"dev","context":[],"text":"a","label":1}
{"id":"2","rule":"imminence","split":"test","context":[],"text":"b","label":0}
{"id":"3","rule":"permission","split":"test","context":[{"role":"assistant","content":"old"},{"role":"user","content":"mid"},{"role":"assistant","content":"May I share an idea?"},{"role":"user","content":"Sure."}],"text":"Some people keep a diary.","label":1}
`
	tasks, err := ruleTasks(Options{RuleSet: []byte(set), RuleSetName: "cues.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	imm, perm := tasks[0], tasks[1]
	if imm.Name != crisisImminent || len(imm.Train) != 1 || len(imm.Heldout) != 1 || imm.Heldout[0].Label != "0" || imm.Train[0].Texts["text"] != "a" {
		t.Fatalf("imminence task %+v", imm)
	}
	if perm.Name != miPermission || len(perm.Heldout) != 1 || perm.Heldout[0].Texts["before"] != "Sure.\nMay I share an idea?" || perm.Heldout[0].Label != "1" {
		t.Fatalf("permission task %+v", perm)
	}
	// Both detectors have their C chosen by cross-validation; other heads
	// keep scorers.c.
	if len(imm.CGrid) == 0 || len(perm.CGrid) == 0 {
		t.Errorf("detector C grids: imminence %v, permission %v", imm.CGrid, perm.CGrid)
	}
	if spec := (Options{C: 1}).taskSpec(perm, "train.jsonl", nil); spec["c_grid"] == nil || spec["c"] != 1.0 {
		t.Errorf("permission spec %v", spec)
	}
	if spec := (Options{C: 1}).taskSpec(&Task{Name: "persona"}, "train.jsonl", nil); spec["c_grid"] != nil {
		t.Errorf("a head without a grid got one: %v", spec)
	}
	k1, err := setKey(Options{}, []*Task{perm})
	if err != nil {
		t.Fatal(err)
	}
	perm.CGrid = nil
	if k2, _ := setKey(Options{}, []*Task{perm}); k1 == k2 {
		t.Error("the C grid is not part of the set key")
	}
	if !strings.Contains(perm.HeldoutData, "cues.jsonl") {
		t.Errorf("held-out data %q does not name the set", perm.HeldoutData)
	}
	// Chat messages without suicidal thoughts train the imminence detector
	// as "not near", dev half only.
	chat := `{"id":"c1","split":"dev","text":"exam tomorrow, dying inside","label":"low"}
{"id":"c2","split":"test","text":"lovely walk today","label":"none"}
`
	tasks, err = ruleTasks(Options{RuleSet: []byte(set), RuleSetName: "cues.jsonl", ChatSet: []byte(chat), ChatSetName: "chat.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	imm = tasks[0]
	if len(imm.Train) != 2 || imm.Train[1].ID != "c1" || imm.Train[1].Label != "0" || len(imm.Heldout) != 1 {
		t.Errorf("imminence task with the chat set: train %+v, held out %d", imm.Train, len(imm.Heldout))
	}
	// So do the decoys' dev messages where scorers.decoys_train names the
	// detector (not by default); their test half trains nothing.
	decoys := `{"id":"d1","split":"dev","text":"said goodbye at the airport tonight","label":"low"}
{"id":"d2","split":"test","text":"letters to my pen pal done","label":"none"}
`
	o := Options{RuleSet: []byte(set), RuleSetName: "cues.jsonl", ChatSet: []byte(chat), ChatSetName: "chat.jsonl",
		DecoySet: []byte(decoys), DecoySetName: "decoys.jsonl"}
	for _, train := range [][]string{nil, {"crisis_level"}, {crisisImminent}} {
		o.DecoysTrain = train
		tasks, err = ruleTasks(o)
		if err != nil {
			t.Fatal(err)
		}
		imm, want := tasks[0], 2
		if slices.Contains(train, crisisImminent) {
			want = 3
		}
		if len(imm.Train) != want || imm.Train[want-1].Label != "0" || len(imm.Heldout) != 1 || (want == 3 && imm.Train[2].ID != "d1") {
			t.Errorf("imminence task, decoys training %v: train %+v, held out %d", train, imm.Train, len(imm.Heldout))
		}
	}
}

// A detector's row: accuracy of its test predictions, worked out by hand,
// with precision, recall, the majority baseline and the keyword rule on the
// same test records in the note.
func TestRuleRow(t *testing.T) {
	set := `{"id":"1","rule":"imminence","split":"test","text":"I have the pills in front of me","label":1}
{"id":"2","rule":"imminence","split":"test","text":"I keep wishing I was dead","label":0}
{"id":"3","rule":"imminence","split":"test","text":"Everything is sorted and my family will be fine without me","label":1}
{"id":"4","rule":"imminence","split":"test","text":"I feel like dying today","label":0}
{"id":"5","rule":"imminence","split":"dev","text":"tonight","label":0}
`
	o := Options{RuleSet: []byte(set), RuleSetName: "cues.jsonl"}
	recs, err := readRuleSet(o.RuleSet, o.RuleSetName)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := ruleTasks(o)
	if err != nil {
		t.Fatal(err)
	}
	// The detector gets 1, 2 and 3 right and 4 wrong: accuracy 0.75,
	// precision 2/3, recall 1. The keyword rule gets 1 and 2 right, misses 3
	// and fires on "today" in 4: 0.5.
	row := ruleRow(tasks[0], recs, []string{"1", "0", "1", "0"}, []string{"1", "0", "1", "1"}, chosen{C: 0.1, Folds: 10})
	if row.Scorer != "crisis" || row.N != 4 || math.Abs(*row.Value-0.75) > 1e-9 || *row.Pass || row.CI == nil {
		t.Fatalf("row %+v", row)
	}
	for _, want := range []string{"precision 0.667, recall 1.000", "majority label 0.500", "keyword rule 0.500", "length ", "docs/rule-labels.md", "C 0.1, chosen by 10-fold"} {
		if !strings.Contains(row.Note, want) {
			t.Errorf("note %q lacks %q", row.Note, want)
		}
	}
	// A capped held-out side: the baselines use the same records as the
	// detector (without 4, the keyword rule gets 2 of 3).
	var kept []Example
	for _, e := range tasks[0].Heldout {
		if e.ID != "4" {
			kept = append(kept, e)
		}
	}
	tasks[0].Heldout = kept
	if row = ruleRow(tasks[0], recs, []string{"1", "0", "1"}, []string{"1", "0", "1"}, chosen{}); !strings.Contains(row.Note, "keyword rule 0.667") || strings.Contains(row.Note, "C ") {
		t.Errorf("baselines not on the detector's records: %q", row.Note)
	}
	if row = ruleRow(tasks[1], recs, nil, nil, chosen{}); row.Value != nil || !strings.Contains(row.Note, "no test records") {
		t.Errorf("empty detector row %+v", row)
	}
}

// The C the worker chose is read from the head's json with its folds; a
// head fitted at scorers.c records no choice, and a missing head is an
// error.
func TestChosenC(t *testing.T) {
	set := Set{Dir: t.TempDir()}
	if err := os.MkdirAll(set.heads(), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(set.heads(), "a.json"), []byte(`{"c": 0.3, "c_cv": {"0.3": [0.8, 0.03]}, "c_cv_folds": 7}`), 0o644)
	_ = os.WriteFile(filepath.Join(set.heads(), "b.json"), []byte(`{"name": "b", "c": 1}`), 0o644)
	if c, err := chosenC(set, "a"); err != nil || c != (chosen{C: 0.3, Folds: 7}) {
		t.Errorf("a: %v %v", c, err)
	}
	if c, err := chosenC(set, "b"); err != nil || c != (chosen{}) {
		t.Errorf("b: %v %v", c, err)
	}
	if _, err := chosenC(set, "missing"); err == nil || !strings.Contains(err.Error(), "scorers train") {
		t.Errorf("missing head: %v", err)
	}
}
