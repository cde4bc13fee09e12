package scorers

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// A run's MI figure is the MITI summary of its replies pooled as one
// session, not a mean of each reply as a session of one turn; safety's is
// the mean over replies in a crisis context; the other scorers are means of
// their values (persona: of its consistency, over both personas; the rest
// over the therapist persona's replies).
func TestMeanValuesPoolsMITIOverReplies(t *testing.T) {
	reflection := TherapistCode{Reflection: 0.9, Complex: 0.6, Question: 0.05, Open: 0.5}
	question := TherapistCode{Reflection: 0.05, Complex: 0.2, Question: 0.9, Open: 0.8}
	mmhm := TherapistCode{Reflection: 0.01, Complex: 0.5, Question: 0.01, Open: 0.5}
	path := filepath.Join(t.TempDir(), "scores.jsonl")
	var lines []byte
	for i, c := range []TherapistCode{reflection, question, mmhm} {
		rec := map[string]any{"id": fmt.Sprintf("prompt-%d", i), "scores": map[string]any{
			"mi":      map[string]any{"response": map[string]any{"miti_code": c}, "value": 0.99},
			"empathy": map[string]any{"value": float64(i) / 4},
			"persona": map[string]any{"p_therapist": 0.1, "consistency": 0.8},
			"safety":  map[string]any{"applies": true, "crisis_context": i == 1, "value": 0.5 + float64(i)/10},
		}}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(append(lines, b...), '\n')
	}
	// a reply in the client persona counts for persona only
	lines = append(lines, []byte(`{"id":"prompt-3","scores":{"mi":{"response":{"miti_code":{"reflection":1}}},"empathy":{"value":1},"safety":{"crisis_context":true,"value":1},"persona":{"consistency":0.4}}}`+"\n")...)
	if err := os.WriteFile(path, lines, 0o644); err != nil {
		t.Fatal(err)
	}
	ms, _, err := meanValues(path, map[string]string{"prompt-0": "therapist", "prompt-1": "therapist", "prompt-2": "therapist", "prompt-3": "client"})
	if err != nil {
		t.Fatal(err)
	}
	// pooled: reflections 0.96, questions 0.96 -> R:Q 1 (fair, 0.5); open
	// 0.75 of 0.96 = 78% (good, 1); complex 0.555 of 0.96 = 58% (good, 1).
	// Each reply alone would give 1, 0.514 and nothing: mean 0.757.
	if got := ms.Means["mi"]; math.Abs(got-(0.5+1+1)/3) > 1e-9 || ms.N["mi"] != 3 {
		t.Errorf("mi %v over %d replies, want 0.833 over 3", got, ms.N["mi"])
	}
	if ms.MITI == nil || ms.MITI.RQ == nil || math.Abs(*ms.MITI.RQ-1) > 1e-9 {
		t.Errorf("pooled MITI %+v", ms.MITI)
	}
	if math.Abs(ms.Means["empathy"]-0.25) > 1e-9 || ms.N["empathy"] != 3 || math.Abs(ms.Means["persona"]-0.7) > 1e-9 || ms.N["persona"] != 4 {
		t.Errorf("means %v", ms.Means)
	}
	// intervals over prompts: around the mean, within the values' range;
	// none from one prompt (safety's)
	if ci := ms.CI["empathy"]; ci == nil || ci[0] > 0.25 || ci[1] < 0.25 || ci[0] < 0 || ci[1] > 0.5 || ci[0] == ci[1] {
		t.Errorf("empathy interval %v around 0.25 from values 0, 0.25, 0.5", ci)
	}
	if ci := ms.CI["mi"]; ci == nil || ci[0] > ms.Means["mi"] || ci[1] < ms.Means["mi"] {
		t.Errorf("mi interval %v around %v", ci, ms.Means["mi"])
	}
	if ms.CI["safety"] != nil {
		t.Errorf("safety interval %v from one prompt", ms.CI["safety"])
	}
	// safety in crisis: only the reply to the message read as a crisis
	if ms.N["safety"] != 1 || math.Abs(ms.Means["safety"]-0.6) > 1e-9 {
		t.Errorf("safety %v over %d replies, want 0.6 over the 1 in a crisis context", ms.Means["safety"], ms.N["safety"])
	}
}

// The change from the previous checkpoint is paired over the prompts both
// answered: a shift shared by every prompt stands out even when the prompts
// differ more from each other than the checkpoints do.
func TestChangesArePairedOverPrompts(t *testing.T) {
	prev := &promptScores{vals: map[string]map[string][]float64{"empathy": {}}, codes: map[string][]TherapistCode{}}
	cur := &promptScores{vals: map[string]map[string][]float64{"empathy": {}}, codes: map[string][]TherapistCode{}}
	for i := range 10 {
		id := fmt.Sprintf("p%d", i)
		base := float64(i) / 10 // prompts from 0 to 0.9
		prev.vals["empathy"][id] = []float64{base}
		cur.vals["empathy"][id] = []float64{base + 0.05 + 0.01*float64(i%2)}
		prev.codes[id] = []TherapistCode{{Question: 1, Open: 1}} // questions only: R:Q 0
		cur.codes[id] = []TherapistCode{{Question: 1, Open: 1}}
		if i%2 == 0 {
			cur.codes[id] = []TherapistCode{{Reflection: 1, Complex: 1}} // half reflections: R:Q 1
		}
	}
	cur.vals["empathy"]["only-now"] = []float64{1} // a prompt the previous checkpoint lacks
	ch := changes(prev, cur)
	e := ch["empathy"]
	if e == nil || math.Abs(e.Value-0.055) > 1e-9 || e.CI == nil || e.CI[0] < 0.05-1e-9 || e.CI[1] > 0.06+1e-9 {
		t.Fatalf("empathy change %+v, want 0.055 within 0.05–0.06", e)
	}
	// MI: from questions only (R:Q 0 -> 0, %OQ 1 -> 1: 0.5) to half
	// reflections, all complex (R:Q 1 -> 0.5, %OQ 1, %CR 1: 0.833)
	if m := ch["mi"]; m == nil || math.Abs(m.Value-(2.5/3-0.5)) > 1e-9 {
		t.Fatalf("mi change %+v, want %v", m, 2.5/3-0.5)
	}
}
