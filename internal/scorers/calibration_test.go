package scorers

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestECE(t *testing.T) {
	// Bin 0.6-0.7: 4 at 0.65, 2 right (0.50) -> |0.50-0.65| = 0.15 over 4 of 6;
	// bin 0.9-1.0: 2 at 0.95, both right -> 0.05 over 2 of 6.
	conf := []float64{0.65, 0.65, 0.65, 0.65, 0.95, 0.95}
	correct := []bool{true, true, false, false, true, true}
	if got, want := ECE(conf, correct), 4.0/6*0.15+2.0/6*0.05; math.Abs(got-want) > 1e-12 {
		t.Fatalf("ECE = %v, want %v", got, want)
	}
	// Underconfident like the safety detectors before calibration: right
	// every time at 0.6 is off by 0.4; right 60% of the time at 0.6 is not off.
	if got := ECE([]float64{0.6, 0.6, 0.6, 0.6, 0.6}, []bool{true, true, true, true, true}); math.Abs(got-0.4) > 1e-12 {
		t.Fatalf("underconfident ECE = %v, want 0.4", got)
	}
	if got := ECE([]float64{0.6, 0.6, 0.6, 0.6, 0.6}, []bool{true, true, true, false, false}); math.Abs(got) > 1e-12 {
		t.Fatalf("calibrated ECE = %v, want 0", got)
	}
	if got := ECE([]float64{1.0}, []bool{true}); got != 0 { // a probability of 1 falls in the last bin
		t.Fatalf("ECE at 1.0 = %v", got)
	}
	if !math.IsNaN(ECE(nil, nil)) {
		t.Fatal("ECE of nothing should be NaN")
	}
}

func TestCalibrationRow(t *testing.T) {
	set := Set{Dir: t.TempDir()}
	if err := os.MkdirAll(set.heads(), 0o755); err != nil {
		t.Fatal(err)
	}
	heads := map[string]string{
		"safety_x":      `{"c": 1, "temperature": 0.35, "temperature_folds": 5}`,
		"old":           `{"c": 1}`,
		"tiny":          `{"c": 1, "temperature": 1.0, "temperature_folds": 0}`,
		"persona":       `{"kind": "finetuned", "short_turns": {"head": "persona.short", "max_words": 3}}`,
		"persona.short": `{"c": 1, "temperature": 1.2, "temperature_folds": 5}`,
	}
	for name, js := range heads {
		if err := os.WriteFile(filepath.Join(set.heads(), name+".json"), []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var held []Example
	var probs []Prediction
	var gold []string
	for i := 0; i < 10; i++ { // 0.6 on the top class, right 9 times of 10: underconfident
		id := string(rune('a' + i))
		label := "1"
		if i == 9 {
			label = "0"
		}
		held, gold = append(held, Example{ID: id, Group: id, Label: label}), append(gold, label)
		probs = append(probs, Prediction{ID: id, Probs: map[string]float64{"1": 0.6, "0": 0.4}})
	}
	r, err := calibrationRow(set, &Task{Name: "safety_x", Scorer: "safety", Heldout: held, HeldoutData: "test half"}, gold, probs)
	if err != nil {
		t.Fatal(err)
	}
	if r.Scorer != "safety" || r.Metric != "ECE" || !r.LowerIsBetter || r.Goal != nil || r.Pass != nil || r.N != 10 {
		t.Fatalf("row %+v", r)
	}
	if math.Abs(*r.Value-0.3) > 1e-9 || r.CI == nil {
		t.Fatalf("ECE %v CI %v, want 0.3 with an interval", *r.Value, r.CI)
	}
	for _, want := range []string{"mean top probability 0.600, accuracy 0.900: underconfident", "temperature 0.35 fitted on 5-fold"} {
		if !strings.Contains(r.Note, want) {
			t.Errorf("note %q lacks %q", r.Note, want)
		}
	}
	r, err = calibrationRow(set, &Task{Name: "old", Scorer: "mi", Heldout: held}, gold, probs)
	if err != nil || !strings.Contains(r.Note, "no temperature fitted (scorers.calibration_folds 0") {
		t.Errorf("a head without a temperature: %q %v", r.Note, err)
	}
	r, err = calibrationRow(set, &Task{Name: "tiny", Scorer: "mi", Heldout: held}, gold, probs)
	if err != nil || !strings.Contains(r.Note, "no temperature fitted (a label has under 2 training rows)") {
		t.Errorf("a head too small to calibrate: %q %v", r.Note, err)
	}
	r, err = calibrationRow(set, &Task{Name: "persona", Scorer: "persona", Heldout: held}, gold, probs)
	if err != nil || !strings.Contains(r.Note, "fine-tuned, no temperature fitted; its short turns' frozen head: temperature 1.2") {
		t.Errorf("a fine-tuned head with a short-turn head: %q %v", r.Note, err)
	}
	if _, err := calibrationRow(set, &Task{Name: "missing", Scorer: "mi"}, nil, nil); err == nil || !strings.Contains(err.Error(), "scorers train") {
		t.Errorf("missing head: %v", err)
	}
}
