package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixel/internal/curriculum"
	"pixel/internal/eval"
	"pixel/internal/scorers"
)

func syntheticRun() Run {
	history := func(losses ...float64) []curriculum.Point {
		var h []curriculum.Point
		for i, l := range losses {
			h = append(h, curriculum.Point{Step: i + 1, Split: "train", Loss: l})
		}
		return append(h, curriculum.Point{Step: len(losses), Split: "val", Loss: losses[len(losses)-1] + 0.1})
	}
	samples := func(text string) []eval.Sample {
		return []eval.Sample{{ID: "prompt-foundation-1", Stage: "foundation", Persona: "therapist", CompletionTokens: 5, Completion: text}}
	}
	return Run{
		ID:          "demo-20250101-000000",
		Created:     "2025-01-01T00:00:00Z",
		CodeVersion: "devel",
		ConfigHash:  "sha256:abc",
		Config:      "run:\n  name: demo\n",
		BaseModel:   "tiny-mistral",
		StageNames:  []string{"foundation", "expertise"},
		Data: map[string]map[string]int{
			"foundation": {"train": 38, "val": 5, "test": 5},
			"expertise":  {"train": 24, "val": 3, "test": 3},
		},
		Quarantined: map[string]int{"bad_json": 2},
		Stages: []curriculum.StageResult{
			{Index: 1, Name: "foundation", Checkpoint: "checkpoints/1-foundation", Steps: 3, FinalTrainLoss: 2.5, FinalValLoss: 2.6, History: history(4, 3, 2.5)},
			{Index: 2, Name: "expertise", Checkpoint: "checkpoints/2-expertise", Steps: 2, FinalTrainLoss: 2.1, FinalValLoss: 2.2, History: history(2.4, 2.1)},
		},
		Evals: []eval.ModelEval{
			{Model: "base", Loss: map[string]eval.Split{"foundation": {Loss: 5, Perplexity: 148}}, Samples: samples(`<script>alert("base")</script> & more`)},
			{Model: "foundation", Loss: map[string]eval.Split{"foundation": {Loss: 2.5, Perplexity: 12}, "expertise": {Loss: 3, Perplexity: 20}}, Samples: samples("<script>x</script>")},
		},
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path, err := Write(dir, syntheticRun())
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "report.html") {
		t.Errorf("Write returned %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	tests := []struct {
		name, want string
	}{
		{"run id", "demo-20250101-000000"},
		{"stage foundation", "<td>foundation</td>"},
		{"stage expertise", "<td>expertise</td>"},
		{"checkpoint", "checkpoints/2-expertise"},
		{"chart inline", "<svg"},
		{"escaped sample", "&lt;script&gt;alert(&#34;base&#34;)&lt;/script&gt; &amp; more"},
		{"data counts", `<td class="num">38</td>`},
		{"quarantine", "bad_json: 2"},
		{"missing loss cell", "<td>-</td>"},
		{"config", "name: demo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(html, tt.want) {
				t.Errorf("report.html lacks %q", tt.want)
			}
		})
	}
	if strings.Contains(html, "0.0000 (0)") {
		t.Error("a loss the model was not scored on shows as 0 instead of -")
	}
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Error("report.html holds a raw <script> tag: sample text is not escaped")
	}

	svg, err := os.ReadFile(filepath.Join(dir, "loss_curves.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"<svg", "1 foundation train", "2 expertise val"} {
		if !strings.Contains(string(svg), w) {
			t.Errorf("loss_curves.svg lacks %q", w)
		}
	}
}

func TestWriteEmptyRun(t *testing.T) {
	// A run that stopped before training still gets a report.
	b := writtenPage(t, Run{ID: "empty"})
	if !strings.Contains(string(b), "No input line was quarantined") {
		t.Error("empty run report lacks the no-quarantine note")
	}
}

// The validity table in the report shows each figure's interval, "—"
// for a figure without one, and how each scorer's heads were built.
func TestWriteValidityIntervals(t *testing.T) {
	v, goal := 0.94, 0.9
	r := syntheticRun()
	r.Scores = &scorers.RunScores{Validity: &scorers.Validity{Set: "s", Rows: []scorers.Row{
		{Scorer: "crisis", Measure: "any suicide risk", Metric: "AUROC", Value: &v, Goal: &goal, CI: &[2]float64{0.9, 0.97}},
		{Scorer: "delivery", Measure: "reference", Metric: "KS", Value: &v},
	}, Builds: map[string]string{"crisis": "crisis_level: fine-tuned mini, 3 seeds averaged (0, 1, 2)"}}}
	b := writtenPage(t, r)
	for _, w := range []string{"<th>95% CI</th>", `<td class="num">0.900–0.970</td>`, `<td class="num">—</td>`, "<li>crisis: crisis_level: fine-tuned mini, 3 seeds averaged (0, 1, 2)</li>"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("report lacks %q", w)
		}
	}
}

// The report shows each model's MITI summary of its replies, "—" for a
// share too few replies define.
func TestWriteMITISummary(t *testing.T) {
	rq, oq := 1.25, 0.6
	r := syntheticRun()
	r.Scores = &scorers.RunScores{Scorers: []string{"mi"}, Validity: &scorers.Validity{Set: "s"}, Models: []scorers.ModelScores{
		{Model: "1-edge", Means: map[string]float64{"mi": 0.38}, N: map[string]int{"mi": 8}},
		{Model: "2-crisis", Means: map[string]float64{"mi": 0.5}, N: map[string]int{"mi": 8}, CI: map[string]*[2]float64{"mi": {0.41, 0.62}},
			MITI:   &scorers.MITI{Reflections: 2.5, Questions: 2, RQ: &rq, PctOQ: &oq},
			Change: map[string]*scorers.Change{"mi": {Value: 0.12, CI: &[2]float64{0.02, 0.2}}}, Empty: 2}}}
	b := writtenPage(t, r)
	if !strings.Contains(string(b), "Each scorer's figure per checkpoint") || !strings.Contains(string(b), "Scorers on each checkpoint") {
		t.Error("report lacks the scorers' chart")
	}
	if !strings.Contains(string(b), `(n=8)</td><td class="num"><b>2</b></td>`) {
		t.Error("report lacks the count of blank replies")
	}
	if !strings.Contains(string(b), "<b>+0.120 (+0.020 to +0.200)</b>") {
		t.Error("report lacks the change from the previous checkpoint, bold where its interval excludes 0")
	}
	want := `<tr><td>2-crisis</td><td class="num">2.5</td><td class="num">2.0</td><td class="num">1.250</td><td class="num">—</td><td class="num">60%</td></tr>`
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), "0.500 (0.41–0.62) (n=8)") {
		t.Errorf("report lacks the MITI row %q", want)
	}
}

// writtenPage writes r's report into a temporary folder and returns its page.
func writtenPage(t *testing.T, r Run) []byte {
	t.Helper()
	dir := t.TempDir()
	if _, err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
