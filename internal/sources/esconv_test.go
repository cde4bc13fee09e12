package sources

import (
	"path/filepath"
	"strings"
	"testing"

	"pixel/internal/record"
)

func TestESConvRealData(t *testing.T) {
	recs, rejs := convLoad(t, esconvSource, filepath.Join(convDataRoot(t), "esconv"))
	convCheck(t, esconvSource, recs, rejs)
	byStage, byReason := convCount(recs, rejs)
	// DATASETS.md: 1,300 dialogs (910/195/195) and 196 failed ones; each
	// split dialog also gives one chain-of-thought record.
	convWant(t, "stage/persona", byStage, map[string]int{"foundation/therapist": 1300 + 196, "expertise/therapist": 1300})
	convWant(t, "rejects", byReason, map[string]int{})

	splits, labels := map[string]int{}, map[string]int{}
	for _, c := range recs {
		if c.Stage == "foundation" {
			splits[c.Labels["split"]+c.Labels["quality"]]++
		}
		if c.Labels["crisis_topic"] != "" && c.Stage == "foundation" {
			labels[c.Labels["crisis_topic"]]++
		}
		if c.Stage != "expertise" {
			if c.Messages[0].Role == "system" {
				t.Errorf("%s: a stage-1 dialog has a system prompt", c.ID)
			}
			continue
		}
		if c.Messages[0].Role != "system" || !strings.Contains(c.Messages[0].Content, "<reasoning></reasoning>") {
			t.Errorf("%s: chain-of-thought record without its system prompt", c.ID)
		}
		if len(c.Provenance) != 2 || c.Provenance[1].Step != "derived:cot" || c.ID != "esconv-"+c.Provenance[0].ID+"-cot" {
			t.Errorf("%s: provenance %+v", c.ID, c.Provenance)
		}
		for _, m := range c.Messages {
			if m.Role == "assistant" && (!strings.HasPrefix(m.Content, "<reasoning>\n1. The seeker feels ") || !strings.Contains(m.Content, "\n2. Strategy: ") || strings.Contains(m.Content, "Situation:") || !strings.Contains(m.Content, "\n</reasoning>\n")) {
				t.Errorf("%s: assistant turn does not open with reasoning from the annotations", c.ID)
				break
			}
		}
	}
	convWant(t, "split", splits, map[string]int{"train": 910, "valid": 195, "test": 195, "failed": 196})
	convWant(t, "crisis_topic", labels, map[string]int{"alcohol_abuse": 12, "school_bullying": 2})
}

// TestESConvFirstDialog pins the shape of one real dialog and its derived
// record: the supporter's opening greeting is dropped, consecutive seeker
// turns merge, and the reasoning quotes the annotations.
func TestESConvFirstDialog(t *testing.T) {
	recs, _ := convLoad(t, esconvSource, filepath.Join(convDataRoot(t), "esconv"))
	byID := map[string]record.Conversation{}
	for _, c := range recs {
		byID[c.ID] = c
	}
	s, ok1 := byID["esconv-train-0000"]
	c, ok2 := byID["esconv-train-0000-cot"]
	if !ok1 || !ok2 {
		t.Fatal("esconv-train-0000 or its -cot record is missing")
	}
	if s.Messages[0].Content != "Hello good afternoon." || s.Messages[1].Content != "Hi, good afternoon." {
		t.Errorf("first turns = %q, %q", s.Messages[0].Content, s.Messages[1].Content)
	}
	if s.Labels["emotion_type"] != "anxiety" || s.Labels["problem_type"] != "job crisis" || s.Labels["experience_type"] != "current experience" || s.Labels["split"] != "train" {
		t.Errorf("labels = %v", s.Labels)
	}
	want := "<reasoning>\n1. The seeker feels anxiety about job crisis.\n2. Strategy: Question.\n</reasoning>\nHi, good afternoon."
	if c.Messages[2].Content != want {
		t.Errorf("first reasoning turn =\n%s\nwant\n%s", c.Messages[2].Content, want)
	}
	if len(c.Messages) != len(s.Messages)+1 {
		t.Errorf("cot has %d messages, source %d (+1 system)", len(c.Messages), len(s.Messages))
	}
}

func TestESConvMalformed(t *testing.T) {
	dir := t.TempDir()
	good := `{"emotion_type":"sadness","problem_type":"job crisis","experience_type":"Current Experience","situation":"s","dialog":[{"text":"hi","speaker":"usr"},{"text":"hello","speaker":"sys","strategy":"Question"}]}`
	convWrite(t, dir, "hf_split_train.jsonl", good+"\n{not json\n"+
		`{"emotion_type":"sadness","problem_type":"job crisis","dialog":[{"text":"hello","speaker":"sys","strategy":"Question"}]}`+"\n\n"+
		`{"dialog":[{"text":"hi","speaker":"robot"}]}`+"\n")
	convWrite(t, dir, "hf_split_valid.jsonl", good+"\n")
	convWrite(t, dir, "hf_split_test.jsonl", "")
	convWrite(t, dir, "FailedESConv.json", `[
 {"emotion_type":"anger","problem_type":"job crisis","dialog":[{"speaker":"speaker","annotation":{},"content":"hey\n"},{"speaker":"listener","annotation":{"strategy":"Other"},"content":"hi"}]},
 {"emotion_type":"anger","problem_type":"job crisis","dialog":[{"speaker":"speaker","annotation":{},"content":"only me"}]},
 {"emotion_type": 3}
]`)
	recs, rejs := convLoad(t, esconvSource, dir)
	convCheck(t, esconvSource, recs, rejs)
	byStage, byReason := convCount(recs, rejs)
	convWant(t, "stage/persona", byStage, map[string]int{"foundation/therapist": 3, "expertise/therapist": 2})
	convWant(t, "rejects", byReason, map[string]int{"bad_json": 2, "no_user_turn": 1, "unknown_speaker": 1, "no_assistant_turn": 1})
	convRejectAt(t, rejs, "hf_split_train.jsonl", 2, "bad_json")
	convRejectAt(t, rejs, "hf_split_train.jsonl", 3, "no_user_turn")
	convRejectAt(t, rejs, "hf_split_train.jsonl", 5, "unknown_speaker")
	convRejectAt(t, rejs, "FailedESConv.json", 3, "no_assistant_turn")
	convRejectAt(t, rejs, "FailedESConv.json", 4, "bad_json")
	for _, c := range recs {
		if c.ID == "esconv-failed-0000" && (c.Labels["quality"] != "failed" || c.Messages[0].Content != "hey") {
			t.Errorf("failed dialog: labels %v, first turn %q", c.Labels, c.Messages[0].Content)
		}
		if c.ID == "esconv-valid-0000" && c.Labels["split"] != "valid" {
			t.Errorf("valid dialog labelled split %q", c.Labels["split"])
		}
	}
}
