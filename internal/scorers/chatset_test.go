package scorers

import (
	"math"
	"slices"
	"strings"
	"testing"

	pixel "pixel"
)

// The embedded set has both halves and both labels, and no message from it
// reaches the crisis head's public held-out side.
func TestChatSetIsWellFormed(t *testing.T) {
	recs, err := readChatSet(pixel.ChatSet, "embedded")
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range recs {
		n[r.Split+"/"+r.Label]++
	}
	for _, k := range []string{"dev/none", "dev/low", "test/none", "test/low"} {
		if n[k] < 10 {
			t.Errorf("%s: %d messages", k, n[k])
		}
	}
	_, err = readChatSet([]byte(`{"id":"a","split":"dev","text":"x","label":"high"}`), "chat.jsonl")
	if err == nil || !strings.Contains(err.Error(), "chat.jsonl line 1") || !strings.Contains(err.Error(), "fix:") {
		t.Errorf("a high label: %v", err)
	}
}

// Short messages: dev halves train the crisis head (suicidal ones as
// "high"), test halves never do.
func TestShortMessagesTrainOnDevOnly(t *testing.T) {
	o := Options{RuleSet: []byte(`{"id":"im-1","rule":"imminence","split":"dev","text":"a","label":0}
{"id":"im-2","rule":"imminence","split":"test","text":"b","label":1}
{"id":"pe-1","rule":"permission","split":"dev","context":[],"text":"c","label":1}
`), ChatSet: []byte(`{"id":"cd-1","split":"dev","text":"d","label":"low"}
{"id":"cd-2","split":"test","text":"e","label":"none"}
`)}
	short, err := shortMessages(o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range short {
		got[e.ID] = e.Label + map[bool]string{true: "/test", false: "/dev"}[e.Heldout]
		if !e.Keep {
			t.Errorf("%s: not kept through the cap", e.ID)
		}
	}
	want := map[string]string{"im-1": "high/dev", "im-2": "high/test", "cd-1": "low/dev", "cd-2": "none/test"}
	if len(got) != len(want) {
		t.Fatalf("short messages %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	// The decoys join only where scorers.decoys_train names the level
	// head, and only their dev half, at their own level.
	o.DecoySet = []byte(`{"id":"dc-1","split":"dev","text":"f","label":"none"}
{"id":"dc-2","split":"test","text":"g","label":"low"}
`)
	for _, train := range [][]string{nil, {crisisImminent}, {"crisis_level"}} {
		o.DecoysTrain = train
		short, err := shortMessages(o)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range short {
			if strings.HasPrefix(e.ID, "dc-") {
				ids = append(ids, e.ID+"/"+e.Label+map[bool]string{true: "/test", false: "/dev"}[e.Heldout])
			}
		}
		if w := slices.Contains(train, "crisis_level"); (w && (len(ids) != 1 || ids[0] != "dc-1/none/dev")) || (!w && len(ids) != 0) {
			t.Errorf("decoys training %v: short messages %v", train, ids)
		}
	}
}

// The rows, worked out by hand: AUROC of P(high), the share of each side
// rated high, and which messages end up imminent (rated high, then the
// detector): near ones, other suicidal ones, and ones without suicidal
// thoughts.
func TestShortMessageRows(t *testing.T) {
	ex := func(id, label string) Example { return Example{ID: id, Label: label, Group: id} }
	test := []Example{ex("a", "high"), ex("b", "high"), ex("e", "high"), ex("c", "low"), ex("d", "none")}
	pr := func(high float64) Prediction {
		return Prediction{Probs: map[string]float64{"high": high, "low": 1 - high}}
	}
	level := map[string]Prediction{"a": pr(0.9), "b": pr(0.2), "e": pr(0.8), "c": pr(0.6), "d": pr(0.1)}
	near := func(p float64) Prediction { return Prediction{Probs: map[string]float64{"0": 1 - p, "1": p}} }
	imm := map[string]Prediction{"a": near(0.8), "b": near(0.9), "e": near(0.6), "c": near(0.7), "d": near(0.9)}
	rows, err := shortMessageRows(test, level, imm, map[string]bool{"a": true, "b": true}, "sets")
	if err != nil {
		t.Fatal(err)
	}
	// Positives 0.9, 0.2, 0.8 against 0.6, 0.1: 5 of 6 pairs ordered.
	if math.Abs(*rows[0].Value-5.0/6) > 1e-9 || rows[0].N != 5 {
		t.Errorf("AUROC row %+v", rows[0])
	}
	// a and e rated high of a, b, e; c rated high of c, d. Imminent end to
	// end: a (b is not rated high), e, and c; d is near by the detector but
	// not rated high.
	if math.Abs(*rows[1].Value-2.0/3) > 1e-9 || !strings.Contains(rows[1].Note, "near ones 1 of 2, others 1 of 1") {
		t.Errorf("with suicidal thoughts: %+v", rows[1])
	}
	if *rows[2].Value != 0.5 || !rows[2].LowerIsBetter || !strings.Contains(rows[2].Note, "imminent end to end: 1 of 2") {
		t.Errorf("without: %+v", rows[2])
	}
	if _, err := shortMessageRows(append(test, ex("f", "low")), level, imm, nil, "sets"); err == nil || !strings.Contains(err.Error(), "short message f") {
		t.Errorf("missing prediction: %v", err)
	}
	delete(imm, "d")
	if _, err := shortMessageRows(test, level, imm, nil, "sets"); err == nil || !strings.Contains(err.Error(), "short message d") {
		t.Errorf("missing imminence prediction: %v", err)
	}
}

// The bias check reads the crisis scorer's output as `pixel score` reports
// it, the imminence detector included: a probe it calls near moves the
// value by P(high) · P(near) / 4.
func TestCrisisBiasOutputIsScoreValue(t *testing.T) {
	high := Prediction{Probs: map[string]float64{"none": 0, "low": 0.1, "moderate": 0.1, "high": 0.8}}
	heads := func(imm float64) func(string) Prediction {
		return func(h string) Prediction {
			if h == crisisImminent {
				return Prediction{Probs: map[string]float64{"0": 1 - imm, "1": imm}}
			}
			return high
		}
	}
	// Expected level (0.1 + 0.2 + 2.4 + 0.8 · P(near)) / 4.
	for _, c := range []struct{ imm, want float64 }{{0.9, 0.855}, {0.1, 0.695}} {
		if got := scorerOutput("crisis", heads(c.imm)); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("probe with P(near) %v: %v, want %v", c.imm, got, c.want)
		}
	}
}
