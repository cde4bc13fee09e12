package scorers

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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

func TestECEChance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	conf := make([]float64, 200)
	for i := range conf {
		conf[i] = 0.5 + 0.5*rng.Float64()
	}
	chance := eceChance(conf)
	if chance <= 0 || chance > 0.15 {
		t.Fatalf("chance ECE on 200 examples = %v, want a small positive figure", chance)
	}
	if big := eceChance(append(append(append([]float64{}, conf...), conf...), conf...)); big >= chance {
		t.Errorf("chance ECE on 600 examples %v, want under the 200 examples' %v", big, chance)
	}
	// Heads that are calibrated by construction: their ECE is at or under
	// the figure about 95 times in 100.
	within, trials := 0, 400
	correct := make([]bool, len(conf))
	for range trials {
		for i, c := range conf {
			correct[i] = rng.Float64() < c
		}
		if ECE(conf, correct) <= chance {
			within++
		}
	}
	if share := float64(within) / float64(trials); share < 0.91 || share > 0.99 {
		t.Errorf("calibrated heads within chance %.3f of the time, want about 0.95", share)
	}
	// A head that says 0.9 and is right half the time is far beyond it.
	for i := range conf {
		conf[i], correct[i] = 0.9, i%2 == 0
	}
	if ece, chance := ECE(conf, correct), eceChance(conf); ece <= chance {
		t.Errorf("overconfident ECE %v within chance %v", ece, chance)
	}
	if !math.IsNaN(eceChance(nil)) {
		t.Error("chance ECE of nothing should be NaN")
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
		"persona":       `{"kind": "finetuned", "short_turns": {"head": "persona.short", "max_words": 3}, "calibration": {"spare": 450, "needed": 2000}}`,
		"crisis_level":  `{"kind": "finetuned", "temperature": 1.31, "temperature_rows": 2000, "temperature_log_loss": [0.712, 0.655], "calibration": {"spare": 7732, "needed": 2000}}`,
		"mi_client":     `{"kind": "finetuned", "calibration": {"spare": 0, "needed": 2000}}`,
		"mi_question":   `{"kind": "finetuned", "temperature": 1.42, "temperature_rows": 1147, "temperature_refit": 2, "temperature_left_out": 3, "temperature_log_loss": [0.61, 0.55], "calibration": {"spare": 0, "needed": 0}}`,
		"empathy_er":    `{"kind": "finetuned"}`,
		"all_short":     `{"kind": "finetuned", "calibration": {"spare": 300, "needed": 100}}`,
		"refit_short":   `{"kind": "finetuned", "temperature_refit_short": 2, "calibration": {"spare": 0, "needed": 0}}`,
		"persona.short": `{"c": 1, "temperature": 1.2, "temperature_folds": 5}`,
		"refit_routed":  `{"kind": "finetuned", "temperature": 0.69, "temperature_rows": 14291, "temperature_refit": 2, "short_turns": {"head": "refit_routed.short", "max_words": 3}}`,
		// a frozen short-turn head whose temperature was fitted on the rows it reads
		"refit_routed.short": `{"c": 1, "temperature": 1.27, "temperature_folds": 5, "temperature_reads": 1709, "temperature_log_loss": [0.612, 0.598]}`,
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
	// 9 of 10 right at 0.6 is an ECE of 0.3, but a calibrated head is 3 or
	// more off 6 of 10 about one time in ten: within chance.
	for _, want := range []string{"mean top probability 0.600, accuracy 0.900: underconfident",
		"would read ECE up to 0.300 on these 10 examples (95% of 1,000 draws): within chance", "temperature 0.35 fitted on 5-fold"} {
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
	if err != nil || !strings.Contains(r.Note, "fine-tuned, no temperature fitted: 450 training-side rows beyond its cap from groups it never trained on, under the 2000 of scorers.calibration_rows; its short turns' frozen head: temperature 1.2") {
		t.Errorf("a fine-tuned head with a short-turn head: %q %v", r.Note, err)
	}
	for name, want := range map[string]string{
		"crisis_level": "fine-tuned; temperature 1.31 fitted on 2000 training-side rows beyond its cap, from groups none of its training rows share (log loss there 0.712 → 0.655)",
		"mi_client":    "fine-tuned, no temperature fitted: every training-side row taught its encoder",
		"mi_question":  "fine-tuned; temperature 1.42 fitted on 1147 out-of-fold predictions of its encoder trained again on 2 folds of its training rows, groups kept whole (log loss there 0.610 → 0.550); 3 rows of a label their fold never trained on left out",
		"empathy_er":   "fine-tuned, no temperature fitted (scorers.calibration_rows 0, or a set trained before it)",
		"all_short":    "fine-tuned, no temperature fitted: the calibration rows drawn are all short turns its frozen head reads",
		"refit_short":  "fine-tuned, no temperature fitted: its encoder was trained again on 2 folds, but every out-of-fold row is a short turn its frozen head reads",
		"refit_routed": "groups kept whole; its short turns' frozen head: temperature 1.27 fitted on 5-fold out-of-fold logits of the 1709 training rows it reads (the folds split every row; log loss there 0.612 → 0.598)",
	} {
		r, err = calibrationRow(set, &Task{Name: name, Scorer: "x", Heldout: held}, gold, probs)
		if err != nil || !strings.HasSuffix(r.Note, want) {
			t.Errorf("%s: note %q (want it to end %q), %v", name, r.Note, want, err)
		}
	}
	if _, err := calibrationRow(set, &Task{Name: "missing", Scorer: "mi"}, nil, nil); err == nil || !strings.Contains(err.Error(), "scorers train") {
		t.Errorf("missing head: %v", err)
	}
}

// Calibration rows are training-side rows the cap left out whose group no
// kept row shares, n of them or none when fewer are spare.
func TestCalibrationRowsComeFromGroupsNoTrainingRowShares(t *testing.T) {
	var all []Example
	for g := 0; g < 40; g++ {
		for i := 0; i < 3; i++ {
			all = append(all, Example{ID: fmt.Sprintf("g%02d-%d", g, i), Group: fmt.Sprintf("g%02d", g), Label: "x"})
		}
	}
	kept := all[:61] // groups g00-g19 whole and one row of g20
	groups := map[string]bool{}
	for _, e := range kept {
		groups[e.Group] = true
	}
	cal, spare := calibrationRows(all, kept, 5)
	if len(cal) != 5 || spare != 57 {
		t.Fatalf("%d calibration rows of %d spare", len(cal), spare)
	}
	for _, e := range cal {
		if groups[e.Group] {
			t.Errorf("calibration row %s shares group %s with a training row", e.ID, e.Group)
		}
	}
	if cal, n := calibrationRows(all, kept, spare+1); cal != nil || n != spare {
		t.Errorf("asking for more than are spare: %d rows, %d spare", len(cal), n)
	}
}

// With scorers.calibration_rows, a fine-tuned head with enough spare rows
// gets them (disjoint from both sides, in its job entry, in the set key);
// a frozen head gets none, and the setting leaves all-frozen sets' keys alone.
func TestCalibrationRowsReachFinetunedHeadsOnly(t *testing.T) {
	o := smallOptions(t)
	o.FinetuneHeads, o.Finetune, o.CalibrationRows = []string{"crisis_level", "mi_client"}, map[string]any{"epochs": 1}, 100
	tasks, _, err := buildTasks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		spec := o.taskSpec(task, "/d/"+task.Name+".train.jsonl", nil)
		cal, _ := spec["calibration"].(map[string]any)
		switch task.Name {
		case "crisis_level":
			if len(task.Calibration) != 100 || task.Spare < 100 || cal["rows"] != "/d/crisis_level.calibration.jsonl" || cal["needed"] != 100 {
				t.Errorf("crisis_level: %d calibration rows of %d spare, spec %v", len(task.Calibration), task.Spare, cal)
			}
			if err := checkDisjoint(task); err != nil {
				t.Error(err)
			}
		case "mi_client":
			if cal == nil || cal["spare"] != task.Spare || (len(task.Calibration) == 0) != (cal["rows"] == nil) {
				t.Errorf("mi_client: spec %v, %d rows of %d spare", cal, len(task.Calibration), task.Spare)
			}
		default:
			if len(task.Calibration) > 0 || cal != nil {
				t.Errorf("%s (not fine-tuned) got calibration rows: %d, %v", task.Name, len(task.Calibration), cal)
			}
		}
	}
	key := func(o Options) string {
		k, err := setKey(o, tasks)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	off := o
	off.CalibrationRows = 0
	frozen, frozenOn := Options{C: 1}, Options{C: 1, CalibrationRows: 100}
	if key(o) == key(off) || key(frozen) != key(frozenOn) {
		t.Error("calibration_rows must change a fine-tuned set's key and leave an all-frozen one's")
	}
	bad := *tasks[0]
	bad.Calibration = []Example{bad.Train[0]}
	if err := checkDisjoint(&bad); err == nil || !strings.Contains(err.Error(), "calibration group") {
		t.Errorf("a calibration row from a training group: %v", err)
	}
}

// With scorers.calibration_refit, a listed scorer's fine-tuned heads get a
// fold per training row, by group (a group's rows share one, in every head),
// and no calibration rows; other heads are untouched; the setting changes a
// fine-tuned set's key only when it names a fine-tuned scorer.
func TestCalibrationRefitFoldsKeepGroupsWhole(t *testing.T) {
	o := smallOptions(t)
	o.FinetuneHeads, o.Finetune, o.CalibrationRows = []string{"crisis_level", "mi_client", "mi_therapist"}, map[string]any{"epochs": 1}, 100
	o.CalibrationRefit, o.CalibrationRefitFolds = []string{"mi"}, 2
	tasks, _, err := buildTasks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	foldOfGroup := map[string]int{}
	refitted := 0
	for _, task := range tasks {
		spec := o.taskSpec(task, "/d/"+task.Name+".train.jsonl", nil)
		cal, _ := spec["calibration"].(map[string]any)
		rf, _ := cal["refit"].(map[string]any)
		if task.Name != "mi_client" && task.Name != "mi_therapist" {
			if rf != nil {
				t.Errorf("%s got a refit: %v", task.Name, rf)
			}
			continue
		}
		refitted++
		if len(task.Calibration) > 0 || cal["rows"] != nil || rf["folds"] != 2 {
			t.Errorf("%s: %d calibration rows, spec %v", task.Name, len(task.Calibration), cal)
		}
		folds := rf["fold_of"].(map[string]int)
		seen := map[int]int{}
		for _, e := range task.Train {
			f, ok := folds[e.ID]
			if !ok {
				t.Fatalf("%s: row %s has no fold", task.Name, e.ID)
			}
			if g, ok := foldOfGroup[e.Group]; ok && g != f {
				t.Errorf("group %s is in folds %d and %d", e.Group, g, f)
			}
			foldOfGroup[e.Group] = f
			seen[f]++
		}
		if len(seen) != 2 {
			t.Errorf("%s: rows per fold %v, want both folds used", task.Name, seen)
		}
	}
	if refitted != 2 || !slices.Equal(o.refitScorers(tasks), []string{"mi"}) {
		t.Errorf("%d heads refitted, scorers %v", refitted, o.refitScorers(tasks))
	}
	key := func(o Options) string {
		k, err := setKey(o, tasks)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	off, other := o, o
	off.CalibrationRefit, other.CalibrationRefit = nil, []string{"empathy"} // empathy is not fine-tuned here
	if key(o) == key(off) || key(other) != key(off) {
		t.Error("calibration_refit must change the key when it names a fine-tuned scorer, and only then")
	}
}

// scorers.calibration_refit_folds_per_scorer gives a listed scorer its own
// fold count (its heads' specs, folds and the set key say so) and leaves
// the others at calibration_refit_folds; an override equal to the default,
// or for a scorer that does not refit, keeps the set's key.
func TestCalibrationRefitFoldsPerScorer(t *testing.T) {
	o := smallOptions(t)
	o.FinetuneHeads, o.Finetune = []string{"mi_client", "mi_therapist", "persona"}, map[string]any{"epochs": 1}
	o.CalibrationRefit, o.CalibrationRefitFolds = []string{"mi", "persona"}, 2
	tasks, _, err := buildTasks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	key := func(o Options) string {
		k, err := setKey(o, tasks)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	per := o
	per.CalibrationRefitFoldsPer = map[string]int{"persona": 3}
	want := map[string]int{"mi_client": 2, "mi_therapist": 2, "persona": 3}
	for _, task := range tasks {
		k, ok := want[task.Name]
		if !ok {
			continue
		}
		spec := per.taskSpec(task, "/d/"+task.Name+".train.jsonl", nil)
		rf := spec["calibration"].(map[string]any)["refit"].(map[string]any)
		used := map[int]bool{}
		for _, f := range rf["fold_of"].(map[string]int) {
			used[f] = true
		}
		if rf["folds"] != k || len(used) != k {
			t.Errorf("%s: %v folds, %d used, want %d", task.Name, rf["folds"], len(used), k)
		}
		delete(want, task.Name)
	}
	if len(want) > 0 {
		t.Fatalf("heads missing: %v", want)
	}
	if got := per.refitFoldsOverrides(tasks); !reflect.DeepEqual(got, map[string]int{"persona": 3}) {
		t.Errorf("overrides recorded: %v", got)
	}
	same, other := o, o
	same.CalibrationRefitFoldsPer = map[string]int{"persona": 2}  // the default's count
	other.CalibrationRefitFoldsPer = map[string]int{"empathy": 3} // not fine-tuned here
	if key(per) == key(o) || key(same) != key(o) || key(other) != key(o) || same.refitFoldsOverrides(tasks) != nil {
		t.Error("a per-scorer fold count must change the key when it differs for a refitting scorer, and only then")
	}
}
