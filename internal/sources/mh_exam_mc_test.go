package sources

import (
	"strings"
	"testing"
)

func TestMHExamMCReal(t *testing.T) {
	recs, rejects := labLoad(t, mhExamMcSource, labDataDir(t, "mh_exam_mc"))
	labCheckRecords(t, mhExamMcSource, recs)
	// DATASETS.md: 112 items with answers.
	if len(recs) != 112 || len(rejects) != 0 {
		t.Fatalf("%d records, rejects %v", len(recs), labReasons(t, rejects))
	}
	trueFalse := 0
	for _, r := range recs {
		if r.Labels["answer"] == "" {
			t.Fatalf("%s: no answer label", r.ID)
		}
		if strings.HasSuffix(r.Messages[1].Content, "\nB. False") {
			trueFalse++
		}
	}
	if trueFalse == 0 {
		t.Errorf("no true/false item kept its two options")
	}
}

func TestMHExamMCMalformed(t *testing.T) {
	dir := labWrite(t, map[string]string{
		"mental_health_exam_MC.csv": "\ufeffquestion_id,category,turns,answer\n" +
			"1,,\"Who developed paradoxical intention?\t\n\ta. Wolpe\t\n\tb. Frankl\",\tb. Frankl\n" +
			"2,,\"Is this true?\na.True\nb.False\",c. Maybe\n" + // line 5: answer not among options
			"3,,\"Pick one\na. x\nb. y\",a. z\n" + // line 8: answer text differs
			"4,,No options here,a. x\n" + // line 11
			"1,,\"Again\na. x\nb. y\",a. x\n", // line 12: duplicate id
	})
	recs, rejects := labLoad(t, mhExamMcSource, dir)
	labCheckRecords(t, mhExamMcSource, recs)
	if len(recs) != 1 || recs[0].Messages[1].Content != "Who developed paradoxical intention?\nA. Wolpe\nB. Frankl" ||
		recs[0].Messages[2].Content != "<reasoning>\nThe correct option is B.\n</reasoning>\nB. Frankl" {
		t.Fatalf("records %+v", recs)
	}
	if labFindReject(t, rejects, "bad_answer").Line != 5 || labFindReject(t, rejects, "answer_mismatch").Line != 8 ||
		labFindReject(t, rejects, "bad_options").Line != 11 || labFindReject(t, rejects, "duplicate_id").Line != 12 {
		t.Fatalf("rejects %+v", rejects)
	}
}
