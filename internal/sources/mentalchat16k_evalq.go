package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// mentalchat16kEvalqSource is the MentalChat16K evaluation question set:
// 200 Reddit-derived help-seeking posts, questions only (no answers).
// Evaluation only: Load emits nothing, ReadEvalQuestions reads them.
var mentalchat16kEvalqSource = Source{
	Name:          "mentalchat16k_evalq",
	Title:         "MentalChat16K evaluation questions (200 help-seeking posts, no answers), evaluation only",
	License:       "MIT (the repository is a qlora fork); the questions are the MentalChat16K eval set, derived from Reddit posts",
	NonCommercial: false,
	ShareAlike:    false,
	Attribution: "Jia Xu et al. MentalChat16K: A Benchmark Dataset for Conversational Mental Health Assistance. KDD 2025 (arXiv:2503.13509). " +
		"github.com/ChiaPatricia/MentalChat16K_Main data/eval_jsonl/evalq_bench/question.jsonl",
	Language: "en",
	Origin:   "github.com/ChiaPatricia/MentalChat16K_Main@9eb19df747fa26524f7024ad0da4084ff0f47f6a",
	Files:    []string{"evalq_bench_question.jsonl"},
	Remote:   map[string]string{"evalq_bench_question.jsonl": "data/eval_jsonl/evalq_bench/question.jsonl"},
	Stage:    "foundation",
	Uses:     []Use{Eval},
	Load:     labNoLoad,
}

func readMentalChatEvalQ(dir string) ([]EvalQuestion, error) {
	return labReadQuestions(dir, "mentalchat16k_evalq", "evalq", "evalq_bench_question.jsonl", "en", nil)
}

// labReadQuestions reads a FastChat-style question file: one JSON object a
// line with question_id, category and either turns (exactly one) or text.
// IDs are "<source>-<set>-<question_id>". Any malformed line is an error.
func labReadQuestions(dir, source, set, file, lang string, out []EvalQuestion) ([]EvalQuestion, error) {
	path := Path(dir, file)
	seen := map[string]bool{}
	err := labEachLine(context.Background(), path, func(line int, raw []byte) error {
		var x struct {
			QuestionID json.RawMessage `json:"question_id"`
			Category   string          `json:"category"`
			Turns      []string        `json:"turns"`
			Text       *string         `json:"text"`
		}
		if err := json.Unmarshal(raw, &x); err != nil {
			return fmt.Errorf("%s line %d: %w", path, line, err)
		}
		qid := strings.Trim(string(x.QuestionID), `"`)
		var text string
		switch {
		case qid == "" || qid == "null":
			return fmt.Errorf("%s line %d: no question_id", path, line)
		case seen[qid]:
			return fmt.Errorf("%s line %d: question_id %s seen before", path, line, qid)
		case x.Text != nil:
			text = *x.Text
		case len(x.Turns) == 1:
			text = x.Turns[0]
		default:
			return fmt.Errorf("%s line %d: %d turns, want exactly 1 (or a text field)", path, line, len(x.Turns))
		}
		if text = strings.TrimSpace(text); text == "" {
			return fmt.Errorf("%s line %d: question %s is empty", path, line, qid)
		}
		seen[qid] = true
		out = append(out, EvalQuestion{
			ID: source + "-" + set + "-" + qid, Category: strings.TrimSpace(x.Category), Text: text, Set: set, Language: lang,
		})
		return nil
	})
	return out, err
}
