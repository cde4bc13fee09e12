package sources

import (
	"slices"
	"strings"
	"testing"
)

func TestCognitiveReframingReal(t *testing.T) {
	s := cognitiveReframingSource
	recs, rejects := labLoad(t, s, labDataDir(t, "cognitive_reframing"))
	labCheckRecords(t, s, recs)
	tasks := map[string]int{}
	for _, r := range recs {
		tasks[r.Labels["task"]]++
		if r.Labels["thinking_traps"] == "" {
			t.Fatalf("%s: no thinking traps", r.ID)
		}
	}
	// 600 reframes; 698 distinct thoughts in thinking_traps.jsonl, 15 of them
	// labelled both "Not distorted" and with a trap.
	if tasks["reframing"] != 600 || tasks["thinking_traps"] != 683 {
		t.Errorf("records by task %v", tasks)
	}
	if got := labReasons(t, rejects); len(rejects) != 15 || got["conflicting_labels"] != 15 {
		t.Errorf("rejects %v", got)
	}
	// ND: never trained on.
	if slices.Contains(s.Uses, Train) || !s.NonCommercial || !strings.Contains(s.Title, "no derivatives") ||
		!strings.Contains(s.Attribution, "NoDerivatives") {
		t.Errorf("the CC BY-NC-ND terms are not carried: uses %v, title %q", s.Uses, s.Title)
	}
}

func TestCognitiveReframingMalformed(t *testing.T) {
	dir := labWrite(t, map[string]string{
		"reframing_dataset.csv": "situation,thought,reframe,thinking_traps_addressed\n" +
			"I failed a test,I am stupid,One test does not define me.,\"labeling,overgeneralizing\"\n" +
			"I failed a test,,One test does not define me.,labeling\n" + // line 3: no thought
			"I failed a test,I am stupid,,labeling\n", // line 4: no reframe
		"thinking_traps.jsonl": `{"prompt": "Nobody likes me ->", "completion": " Overgeneralization"}` + "\n" +
			`{"prompt": "Nobody likes me ->", "completion": " Mind reading"}` + "\n" +
			"{not json\n" + // line 3
			`{"prompt": "I feel tired ->", "completion": " Not distorted"}` + "\n" +
			`{"prompt": "I feel tired ->", "completion": " Catastrophizing"}` + "\n", // conflicting with line 4
	})
	recs, rejects := labLoad(t, cognitiveReframingSource, dir)
	labCheckRecords(t, cognitiveReframingSource, recs)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	if got := recs[0].Messages[2].Content; got != "<reasoning>\n1. Thought: I am stupid\n2. Thinking traps: labeling, overgeneralizing\n</reasoning>\nOne test does not define me." ||
		recs[0].Messages[1].Content != "Situation: I failed a test\nThought: I am stupid" {
		t.Errorf("reframe record %q", recs[0].Messages)
	}
	if got := recs[1].Messages[2].Content; got != "<reasoning>\nThinking traps: overgeneralizing, mind reading\n</reasoning>\nThis thought shows the thinking traps: overgeneralizing, mind reading." ||
		recs[1].ID != "cognitive_reframing-traps-0001-cot" || recs[1].Messages[1].Content != "Nobody likes me" {
		t.Errorf("thinking-traps record %s %q", recs[1].ID, recs[1].Messages)
	}
	if labFindReject(t, rejects, "empty_thought").Line != 3 || labFindReject(t, rejects, "empty_answer").Line != 4 ||
		labFindReject(t, rejects, "bad_json").Line != 3 || labFindReject(t, rejects, "conflicting_labels").Line != 4 || len(rejects) != 4 {
		t.Fatalf("rejects %+v", rejects)
	}
}
