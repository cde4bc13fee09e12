package sources

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCounselChatRealData(t *testing.T) {
	recs, rejs := convLoad(t, counselchatSource, filepath.Join(convDataRoot(t), "counselchat"))
	convCheck(t, counselchatSource, recs, rejs)
	byStage, byReason := convCount(recs, rejs)
	// DATASETS.md: 2,129 answers in the 2020 csv. Edge topics in the file:
	// trauma 66, domestic-violence 21, grief-and-loss 18, self-harm 11.
	convWant(t, "stage/persona", byStage, map[string]int{"foundation/therapist": 2129 - 116, "edge/therapist": 116})
	convWant(t, "rejects", byReason, map[string]int{})
	splits, crisis := map[string]int{}, map[string]int{}
	for _, c := range recs {
		splits[c.Labels["split"]]++
		if c.Stage == "edge" {
			crisis[c.Labels["crisis_topic"]]++
		}
		if c.Labels["topic"] == "" || c.Labels["upvotes"] == "" || len(c.Messages) != 2 {
			t.Errorf("%s: labels %v, %d messages", c.ID, c.Labels, len(c.Messages))
		}
	}
	convWant(t, "split", splits, map[string]int{"train": 1839, "valid": 173, "test": 117})
	convWant(t, "crisis_topic", crisis, map[string]int{"trauma": 66, "domestic_violence": 21, "grief_and_loss": 18, "self_harm": 11})
	// A question whose text repeats its title is not doubled.
	for _, c := range recs {
		if q := c.Messages[0].Content; strings.HasPrefix(q, "I just lost my grandpa\nI just lost my grandpa") {
			t.Errorf("%s: title repeated in the question", c.ID)
		}
	}
	if recs[0].ID != "counselchat-q0-a0" || !strings.HasPrefix(recs[0].Messages[0].Content, "Can I change my feeling of being worthless to everyone?\nI'm going through") {
		t.Errorf("first record %s: %q", recs[0].ID, recs[0].Messages[0].Content)
	}
}

func TestCounselChatMalformed(t *testing.T) {
	dir := t.TempDir()
	convWrite(t, dir, "20200325_counsel_chat.csv", `,questionID,questionTitle,questionText,questionLink,topic,therapistInfo,therapistURL,answerText,upvotes,views,split
0,7,Title,"Body
on two lines",l,trauma,i,u,An answer.,2,10,val
1,7,Title,Body,l,trauma,i,u,"  ",0,1,val
2,,Title,Body,l,anxiety,i,u,Answer,0,1,train
3,8,,,l,anxiety,i,u,Answer,0,1,train
4,7,Title,Body,l,trauma,i,u,Another answer.,0,1,val
`)
	recs, rejs := convLoad(t, counselchatSource, dir)
	convCheck(t, counselchatSource, recs, rejs)
	byStage, byReason := convCount(recs, rejs)
	convWant(t, "stage/persona", byStage, map[string]int{"edge/therapist": 2})
	convWant(t, "rejects", byReason, map[string]int{"empty_answer": 1, "missing_id": 1, "empty_question": 1})
	convRejectAt(t, rejs, "20200325_counsel_chat.csv", 4, "empty_answer")
	convRejectAt(t, rejs, "20200325_counsel_chat.csv", 5, "missing_id")
	convRejectAt(t, rejs, "20200325_counsel_chat.csv", 6, "empty_question")
	if len(recs) == 2 && (recs[0].ID != "counselchat-q7-a0" || recs[1].ID != "counselchat-q7-a2" || recs[0].Labels["split"] != "valid") {
		t.Errorf("ids %s, %s; labels %v", recs[0].ID, recs[1].ID, recs[0].Labels)
	}
}
