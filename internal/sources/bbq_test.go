package sources

import (
	"strings"
	"testing"
)

func TestBBQReal(t *testing.T) {
	got := map[string]int{}
	seen := map[string]bool{}
	err := ReadBBQ(labDataDir(t, "bbq"), func(it BBQItem) error {
		got[it.Category]++
		if seen[it.ID] || it.Answers[it.Label] == "" || len(it.AnswerInfo[0]) == 0 || it.ContextCondition == "" {
			t.Fatalf("bad item %+v", it)
		}
		seen[it.ID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// DATASETS.md: 3,680 + 1,556 + 3,080 + 1,576 + 1,200 + 864 = 11,956.
	want := map[string]int{"Age": 3680, "Disability_status": 1556, "Nationality": 3080, "Physical_appearance": 1576, "Religion": 1200, "Sexual_orientation": 864}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d items, want %d", k, got[k], n)
		}
	}
	if len(seen) != 11956 {
		t.Errorf("%d items", len(seen))
	}
}

func TestBBQMalformed(t *testing.T) {
	files := map[string]string{}
	for _, f := range bbqFiles() {
		files[f] = ""
	}
	ok := `{"example_id": 0, "category": "Age", "context": "c", "question": "q", "ans0": "a", "ans1": "b", "ans2": "Unknown", "label": 2, "answer_info": {"ans0": ["a", "old"]}, "additional_metadata": {"stereotyped_groups": ["old"]}}`
	files["data/Age.jsonl"] = ok + "\n" + strings.Replace(ok, `"label": 2`, `"label": 5`, 1) + "\n"
	n := 0
	err := ReadBBQ(labWrite(t, files), func(it BBQItem) error {
		n++
		if it.ID != "bbq-Age-0" || it.AnswerInfo[0][1] != "old" || it.StereotypedGroups[0] != "old" {
			t.Errorf("item %+v", it)
		}
		return nil
	})
	if n != 1 || err == nil || !strings.Contains(err.Error(), "Age.jsonl line 2") {
		t.Fatalf("read %d items, error %v; want one item then an error naming line 2", n, err)
	}
}
