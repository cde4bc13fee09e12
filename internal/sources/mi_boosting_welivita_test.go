package sources

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestMIBoostingWelivitaRealData(t *testing.T) {
	recs, rejs := convLoad(t, miBoostingWelivitaSource, filepath.Join(convDataRoot(t), "mi_boosting_welivita"))
	convCheck(t, miBoostingWelivitaSource, recs, rejs)
	byStage, byReason := convCount(recs, rejs)
	// DATASETS.md: 9,986 turns in 1,129 CounselChat dialogs.
	convWant(t, "stage/persona", byStage, map[string]int{"foundation/therapist": 1129})
	convWant(t, "rejects", byReason, map[string]int{})
	segments, labelled, codes := 0, 0, map[string]int{}
	for _, c := range recs {
		n, err := strconv.Atoi(c.Labels["mi_segments"])
		if err != nil || n < 1 || len(c.Messages) != 2 || c.Labels["counselchat_row"] == "" {
			t.Errorf("%s: labels %v, %d messages", c.ID, c.Labels, len(c.Messages))
		}
		segments += n
		if l := c.Labels["mi_labels"]; l != "" {
			labelled++
			for _, code := range strings.Split(l, "|") {
				codes[code]++
			}
		}
	}
	// 9,986 rows = 1,129 questions + 8,857 answer segments; 909 dialogs
	// have at least one of the 3,074 coded segments.
	if segments != 8857 || labelled != 909 {
		t.Errorf("segments = %d, dialogs with MI codes = %d; want 8857, 909", segments, labelled)
	}
	convWant(t, "mi code", codes, map[string]int{
		"Give Information": 1041, "Advise without Permission": 972, "Support": 492, "Affirm": 185, "Closed Question": 133,
		"Other": 67, "Open Question": 59, "Complex Reflection": 43, "Simple Reflection": 41, "Direct": 15, "Self-Disclose": 12,
		"Warn": 6, "Advise with Permission": 5, "Emphasize Autonomy": 3,
	})
	first := recs[0]
	if first.ID != "mi_boosting_welivita-counsel_chat-0" || first.Labels["mi_labels"] != "Advise without Permission" ||
		first.Labels["mi_segments"] != "4" || first.Labels["counselchat_row"] != "0" ||
		!strings.HasPrefix(first.Messages[0].Content, "Can I change my feeling of being worthless to everyone?\n") {
		t.Errorf("first record %s: labels %v", first.ID, first.Labels)
	}
}

func TestMIBoostingWelivitaMalformed(t *testing.T) {
	dir := t.TempDir()
	head := "dialog_id,title,turn_count,turn,author,text,N-gram labels,Cosine label,All labels,Intersection,Union (without disambiguities)\n"
	convWrite(t, dir, "MI_Augmented_CounselChat_CC_Augmented.csv", head+
		"counsel_chat | 1,T,2,1,speaker,Q,,,,,\n"+ // line 2
		"counsel_chat | 1,T,2,2,listener,A1,,,,,Support\n"+
		"counsel_chat | 1,T,2,2,listener,A2,,,,,\n"+
		"counsel_chat | 1,T,2,2,listener,A3,,,,,Affirm\n"+
		"counsel_chat | 2,T,2,1,speaker,Q,,,,,\n"+ // line 6: no answer
		"counsel_chat | 3,T,2,1,therapist,Q,,,,,\n"+ // line 7: unknown author
		"counsel_chat | 3,T,2,2,listener,A,,,,,\n"+
		"counsel_chat | 1,T,2,1,speaker,Q again,,,,,\n"+ // line 9: id seen before
		"counsel_chat | 1,T,2,2,listener,A,,,,,\n")
	recs, rejs := convLoad(t, miBoostingWelivitaSource, dir)
	convCheck(t, miBoostingWelivitaSource, recs, rejs)
	byStage, byReason := convCount(recs, rejs)
	convWant(t, "stage/persona", byStage, map[string]int{"foundation/therapist": 1})
	convWant(t, "rejects", byReason, map[string]int{"no_assistant_turn": 1, "unknown_author": 1, "duplicate_id": 1})
	convRejectAt(t, rejs, "MI_Augmented_CounselChat_CC_Augmented.csv", 6, "no_assistant_turn")
	convRejectAt(t, rejs, "MI_Augmented_CounselChat_CC_Augmented.csv", 7, "unknown_author")
	convRejectAt(t, rejs, "MI_Augmented_CounselChat_CC_Augmented.csv", 9, "duplicate_id")
	if len(recs) == 1 {
		c := recs[0]
		if c.Messages[0].Content != "T\nQ" || c.Messages[1].Content != "A1\nA2\nA3" || c.Labels["mi_labels"] != "Support|Affirm" || c.Labels["mi_segments"] != "3" {
			t.Errorf("record %s: messages %q, labels %v", c.ID, c.Messages, c.Labels)
		}
	}
}
