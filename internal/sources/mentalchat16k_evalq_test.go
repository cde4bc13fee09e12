package sources

import (
	"strings"
	"testing"
)

func TestMentalChatEvalQReal(t *testing.T) {
	qs, err := ReadEvalQuestions("mentalchat16k_evalq", labDataDir(t, "mentalchat16k_evalq"))
	if err != nil {
		t.Fatal(err)
	}
	// DATASETS.md: 200 questions.
	if len(qs) != 200 || qs[0].ID != "mentalchat16k_evalq-evalq-1" || qs[0].Category != "generic" || qs[0].Language != "en" {
		t.Fatalf("%d questions, first %+v", len(qs), qs[0])
	}
	seen := map[string]bool{}
	for _, q := range qs {
		if seen[q.ID] || q.Text == "" {
			t.Fatalf("bad question %+v", q)
		}
		seen[q.ID] = true
	}
}

func TestMentalChatEvalQMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"bad json":   `{"question_id": 1, "category": "generic", "turns": ["ok"]}` + "\n\n{oops\n",
		"two turns":  `{"question_id": 1, "category": "generic", "turns": ["ok"]}` + "\n\n" + `{"question_id": 2, "turns": ["a", "b"]}` + "\n",
		"duplicate":  `{"question_id": 1, "turns": ["ok"]}` + "\n\n" + `{"question_id": 1, "turns": ["again"]}` + "\n",
		"empty text": `{"question_id": 1, "turns": ["ok"]}` + "\n\n" + `{"question_id": 2, "turns": ["  "]}` + "\n",
	} {
		dir := labWrite(t, map[string]string{"evalq_bench_question.jsonl": body})
		_, err := ReadEvalQuestions("mentalchat16k_evalq", dir)
		if err == nil || !strings.Contains(err.Error(), "evalq_bench_question.jsonl line 3") {
			t.Errorf("%s: error %v, want one naming line 3", name, err)
		}
	}
	if _, err := ReadEvalQuestions("nope", t.TempDir()); err == nil {
		t.Error("unknown source read without error")
	}
}
