package scorers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each scorer's line names its heads, grouped by how they were built, a
// seed ensemble's seeds and what a fine-tuned encoder was trained on (said
// only when its json records it: persona's predates the record); a missing
// head json is an error with the fix.
func TestHeadBuilds(t *testing.T) {
	set := Set{Dir: t.TempDir()}
	if err := os.MkdirAll(set.heads(), 0o755); err != nil {
		t.Fatal(err)
	}
	heads := map[string]string{
		"crisis_level":    `{"kind": "finetuned", "encoder": "mini", "seeds": [0, 1, 2], "members": ["crisis.s1", "crisis.s2"], "trained_on": {"device": "cpu", "threads": 2, "torch": "2.15.0"}}`,
		"empathy_er":      `{"kind": "finetuned", "encoder": "mini", "trained_on": {"device": "cuda", "threads": 16, "torch": "2.15.0"}}`,
		"crisis_imminent": `{"encoder": "mini", "ngrams": true, "debias": true, "c": 0.1, "c_cv_folds": 10}`,
		"safety_a":        `{"encoder": "mini", "ngrams": true, "c": 1.0}`,
		"safety_b":        `{"encoder": "mini", "ngrams": true, "c": 1.0}`,
		"safety_c":        `{"encoder": "mini"}`,
		"persona":         `{"kind": "finetuned", "encoder": "mini", "short_turns": {"head": "persona.short", "max_words": 3}}`,
		"persona.short":   `{"encoder": "mini", "ngrams": true, "debias": true, "c": 1.0}`,
		"mi_permission":   `{"encoder": "mini", "ngrams": true, "ngram_inputs": ["response", "before"], "c": 0.1, "c_cv_folds": 10}`,
	}
	for name, js := range heads {
		if err := os.WriteFile(filepath.Join(set.heads(), name+".json"), []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tasks := []*Task{{Name: "crisis_level", Scorer: "crisis"}, {Name: "safety_a", Scorer: "safety"}, {Name: "crisis_imminent", Scorer: "crisis"},
		{Name: "safety_b", Scorer: "safety"}, {Name: "safety_c", Scorer: "safety"}, {Name: "persona", Scorer: "persona"}, {Name: "mi_permission", Scorer: "mi"}, {Name: "empathy_er", Scorer: "empathy"}}
	b, err := headBuilds(set, tasks)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"crisis":  "crisis_level: fine-tuned mini, 3 seeds averaged (0, 1, 2), trained on cpu with 2 threads; crisis_imminent: logistic on frozen mini + hashed n-grams, debiased, C 0.1 (10-fold CV)",
		"safety":  "safety_a, safety_b: logistic on frozen mini + hashed n-grams, C 1; safety_c: logistic on frozen mini",
		"persona": "persona: fine-tuned mini (turns of at most 3 words: logistic on frozen mini + hashed n-grams, debiased, C 1)",
		"mi":      "mi_permission: logistic on frozen mini + hashed n-grams of response and before, C 0.1 (10-fold CV)",
		"empathy": "empathy_er: fine-tuned mini, trained on cuda",
	}
	for sc, w := range want {
		if b[sc] != w {
			t.Errorf("%s: %q, want %q", sc, b[sc], w)
		}
	}
	v := &Validity{Builds: b}
	var md strings.Builder
	v.Markdown(&md)
	if !strings.Contains(md.String(), "How each scorer's heads were built:\n- empathy: empathy_er: fine-tuned mini, trained on cuda\n- mi: mi_permission: logistic") || !strings.Contains(md.String(), "\n- crisis: crisis_level: fine-tuned mini, 3 seeds") {
		t.Errorf("markdown:\n%s", md.String())
	}
	_, err = headBuilds(set, append(tasks, &Task{Name: "gone", Scorer: "mi"}))
	if err == nil || !strings.Contains(err.Error(), "gone.json") || !strings.Contains(err.Error(), "pixel scorers train") {
		t.Errorf("missing head json: %v", err)
	}
}
