package sources

import "testing"

func TestPsych8kBenchReal(t *testing.T) {
	qs, err := ReadEvalQuestions("psych8k_counselling_bench", labDataDir(t, "psych8k_counselling_bench"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	seen := map[string]bool{}
	for _, q := range qs {
		got[q.Set+"/"+q.Language]++
		if seen[q.ID] || q.Text == "" || q.Category == "" {
			t.Fatalf("bad question %+v", q)
		}
		seen[q.ID] = true
	}
	// 229 bench questions, the sanitised subset of 100, 80 Chinese questions
	// (DATASETS.md counts 79 lines: the last has no newline).
	if got["bench/en"] != 229 || got["sanitised/en"] != 100 || got["zh/zh"] != 80 || len(qs) != 409 {
		t.Fatalf("counts %v", got)
	}
}

func TestPsych8kBenchMalformed(t *testing.T) {
	dir := labWrite(t, map[string]string{
		"question.jsonl":                 `{"question_id": 1, "category": "generic", "turns": ["ok"]}` + "\n",
		"Sanitised_CounsQs_subset.jsonl": `{"question_id": 1, "category": "generic", "turns": ["ok"]}` + "\n",
		"counselling_question.jsonl":     `{"question_id": 1, "text": "你好", "category": "情绪"}` + "\n" + `{"text": "无编号"}` + "\n",
	})
	if _, err := ReadEvalQuestions("psych8k_counselling_bench", dir); err == nil {
		t.Fatal("a question without question_id was accepted")
	}
}
