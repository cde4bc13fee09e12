package scorers

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
)

// Small talk comes from Synthetic-Persona-Chat's test split, user turns
// only, capped evenly and the same on every read.
func TestSmallTalkTurns(t *testing.T) {
	o := smallOptions(t)
	a, err := smallTalk(context.Background(), o.DataRoot, 80)
	if err != nil {
		t.Fatal(err)
	}
	b, err := smallTalk(context.Background(), o.DataRoot, 80)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 80 || !slices.EqualFunc(a, b, func(x, y Example) bool { return x.ID == y.ID }) {
		t.Fatalf("%d turns, or a different draw on a second read", len(a))
	}
	convs := map[string]bool{}
	for _, e := range a {
		if !strings.Contains(e.ID, "test-") || strings.TrimSpace(e.Texts["text"]) == "" || !strings.HasPrefix(e.ID, e.Group) {
			t.Fatalf("turn %s (group %s): not a test-split user turn of its conversation", e.ID, e.Group)
		}
		convs[e.Group] = true
	}
	if len(convs) < 40 {
		t.Errorf("80 turns from %d conversations: not spread", len(convs))
	}
}

// The false-alarm row counts a turn rated high, and says how many were
// raised to imminent and rated above none.
func TestSmallTalkRows(t *testing.T) {
	test := []Example{{ID: "a", Group: "c1"}, {ID: "b", Group: "c1"}, {ID: "c", Group: "c2"}, {ID: "d", Group: "c3"}}
	lv := func(top string) Prediction { return Prediction{Probs: map[string]float64{top: 0.9}} }
	level := map[string]Prediction{"a": lv("high"), "b": lv("low"), "c": lv("none"), "d": lv("none")}
	imm := map[string]Prediction{"a": {Probs: map[string]float64{"1": 0.7}}, "b": {Probs: map[string]float64{"1": 0.9}},
		"c": {Probs: map[string]float64{"1": 0}}, "d": {Probs: map[string]float64{"1": 0}}}
	rows, err := smallTalkRows(test, level, imm)
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
	delete(level, "d")
	if _, err := smallTalkRows(test, level, imm); err == nil {
		t.Error("a turn without a prediction passed")
	}
}
