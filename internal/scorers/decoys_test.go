package scorers

import (
	"math"
	"strings"
	"testing"

	pixel "pixel"
)

// The embedded decoys have both halves and both labels, and share no text
// with each other's half, the chat-distress set or the rule-cue set, so a
// decoy trained on is never a message measured on.
func TestDecoySetIsWellFormed(t *testing.T) {
	o := Options{DecoySet: pixel.DecoySet, DecoySetName: "embedded"}
	dev, test, err := decoyExamples(o)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	seen := map[string]string{}
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	for _, e := range append(dev, test...) {
		n[map[bool]string{true: "test", false: "dev"}[e.Heldout]+"/"+e.Label]++
		if prev, ok := seen[norm(e.Texts["text"])]; ok {
			t.Errorf("%s repeats %s", e.ID, prev)
		}
		seen[norm(e.Texts["text"])] = e.ID
	}
	for _, k := range []string{"dev/none", "dev/low", "test/none", "test/low"} {
		if n[k] < 10 {
			t.Errorf("%s: %d decoys", k, n[k])
		}
	}
	chat, err := readChatSet(pixel.ChatSet, "chat")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := readRuleSet(pixel.RuleSet, "rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range chat {
		if id, ok := seen[norm(r.Text)]; ok {
			t.Errorf("decoy %s is chat message %s", id, r.ID)
		}
	}
	for _, r := range rules {
		if id, ok := seen[norm(r.Text)]; ok {
			t.Errorf("decoy %s is rule-cue message %s", id, r.ID)
		}
	}
	_, _, err = decoyExamples(Options{DecoySet: []byte(`{"id":"d","split":"train","text":"x","label":"none"}`), DecoySetName: "decoys.jsonl"})
	if err == nil || !strings.Contains(err.Error(), "decoys.jsonl line 1") || !strings.Contains(err.Error(), "fix:") {
		t.Errorf("a bad split: %v", err)
	}
}

// The rows, worked out by hand: the share of test decoys rated high, and
// of those the detector then calls near, end to end.
func TestDecoyRows(t *testing.T) {
	ex := func(id string) Example { return Example{ID: id, Label: "low", Group: id} }
	test := []Example{ex("a"), ex("b"), ex("c"), ex("d")}
	pr := func(high float64) Prediction {
		return Prediction{Probs: map[string]float64{"high": high, "low": 1 - high}}
	}
	near := func(p float64) Prediction { return Prediction{Probs: map[string]float64{"0": 1 - p, "1": p}} }
	level := map[string]Prediction{"a": pr(0.9), "b": pr(0.7), "c": pr(0.2), "d": pr(0.1)}
	// a: high and near; b: high, not near; c: near by the detector but
	// not rated high, so not imminent; d: neither.
	imm := map[string]Prediction{"a": near(0.6), "b": near(0.4), "c": near(0.9), "d": near(0.1)}
	rows, err := decoyRows(test, level, imm, "decoys")
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(*rows[0].Value-0.5) > 1e-9 || !rows[0].LowerIsBetter || !strings.Contains(rows[0].Note, "2 of 4") {
		t.Errorf("rated high: %+v", rows[0])
	}
	if math.Abs(*rows[1].Value-0.25) > 1e-9 || !strings.Contains(rows[1].Note, "1 of 4") || rows[1].CI == nil {
		t.Errorf("rated imminent: %+v", rows[1])
	}
	delete(imm, "d")
	if _, err := decoyRows(test, level, imm, "decoys"); err == nil || !strings.Contains(err.Error(), "decoy d") {
		t.Errorf("missing prediction: %v", err)
	}
	if rows, _ := decoyRows(nil, nil, nil, "decoys"); rows[0].Value != nil || !strings.Contains(rows[0].Note, "no test half") {
		t.Errorf("no test half: %+v", rows[0])
	}
}
