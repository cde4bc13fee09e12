package sources

import (
	"strings"
	"testing"
)

func TestMMLUPsychReal(t *testing.T) {
	recs, rejects := labLoad(t, mmluPsychSource, labDataDir(t, "mmlu_psych"))
	labCheckRecords(t, mmluPsychSource, recs)
	got := map[string]int{}
	for _, r := range recs {
		got[r.Labels["split"]]++
		got[r.Labels["subject"]+"/"+r.Labels["split"]]++
	}
	// DATASETS.md: test 612/545/265/173/272/131/223, val 69/60/29/22/31/12/23, dev 5 each.
	want := map[string]int{
		"test": 2221, "valid": 246, "dev": 35,
		"professional_psychology/test": 612, "high_school_psychology/test": 545, "clinical_knowledge/test": 265,
		"college_medicine/test": 173, "professional_medicine/test": 272, "human_sexuality/test": 131, "human_aging/test": 223,
		"professional_psychology/valid": 69, "human_sexuality/valid": 12, "human_aging/dev": 5,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d, want %d", k, got[k], n)
		}
	}
	if len(recs) != 2502 || len(rejects) != 0 {
		t.Errorf("%d records, %d rejects", len(recs), len(rejects))
	}
}

func TestMMLUPsychMalformed(t *testing.T) {
	files := map[string]string{}
	for _, f := range mmluPsychFiles() {
		files[f] = ""
	}
	files["test/human_aging_test.csv"] = "Who studied memory on himself?,Clark,Smith,Whitebear,Ebbinghaus,D\n" +
		"too,few,fields\n" + // line 2
		"Which?,a,b,c,d,E\n" + // line 3: answer not A-D
		"\"Which, really?\",a,,c,d,A\n" // line 4: empty option
	recs, rejects := labLoad(t, mmluPsychSource, labWrite(t, files))
	labCheckRecords(t, mmluPsychSource, recs)
	if len(recs) != 1 || recs[0].ID != "mmlu_psych-human_aging-test-0001-cot" ||
		!strings.HasSuffix(recs[0].Messages[1].Content, "\nC. Whitebear\nD. Ebbinghaus") ||
		recs[0].Messages[2].Content != "<reasoning>\nThe correct option is D.\n</reasoning>\nD. Ebbinghaus" {
		t.Fatalf("records %+v", recs)
	}
	if labFindReject(t, rejects, "bad_row").Line != 2 || labFindReject(t, rejects, "bad_answer").Line != 3 ||
		labFindReject(t, rejects, "empty_option").Line != 4 {
		t.Fatalf("rejects %+v", rejects)
	}
}
