package sources

// psych8kCounsellingBenchSource is the ChatCounselor (Psych8k) counselling
// bench: open counselling questions without answers. Evaluation only: Load
// emits nothing, ReadEvalQuestions reads them. Three files: the 229-question
// bench (set "bench"), its sanitised 100-question subset with identifying
// details removed (set "sanitised", same question_ids), and 80 Chinese
// counselling questions (set "zh", language zh).
var psych8kCounsellingBenchSource = Source{
	Name:          "psych8k_counselling_bench",
	Title:         "ChatCounselor counselling bench (229 questions + sanitised subset of 100 + 80 Chinese questions), evaluation only",
	License:       "Apache-2.0 (code license of the repository; Psych8k itself is on Hugging Face only)",
	NonCommercial: false,
	ShareAlike:    false,
	Attribution: "June M. Liu et al. ChatCounselor: A Large Language Models for Mental Health Support (arXiv:2309.15461). " +
		"github.com/EmoCareAI/ChatPsychiatrist (Apache-2.0)",
	Language: "en",
	Origin:   "github.com/EmoCareAI/ChatPsychiatrist@7d131fae7f797e965ac19413a29722f236a29d5b",
	Files:    []string{"question.jsonl", "Sanitised_CounsQs_subset.jsonl", "counselling_question.jsonl"},
	Remote: map[string]string{
		"question.jsonl":                 "fastchat/llm_judge/data/counselling_bench/question.jsonl",
		"Sanitised_CounsQs_subset.jsonl": "fastchat/llm_judge/data/counselling_bench/Sanitised_CounsQs_subset.jsonl",
		"counselling_question.jsonl":     "fastchat/eval/table/counselling_question.jsonl",
	},
	Stage: "foundation",
	Uses:  []Use{Eval},
	Load:  labNoLoad,
}

func readPsych8kBench(dir string) ([]EvalQuestion, error) {
	const src = "psych8k_counselling_bench"
	out, err := labReadQuestions(dir, src, "bench", "question.jsonl", "en", nil)
	if err != nil {
		return nil, err
	}
	if out, err = labReadQuestions(dir, src, "sanitised", "Sanitised_CounsQs_subset.jsonl", "en", out); err != nil {
		return nil, err
	}
	return labReadQuestions(dir, src, "zh", "counselling_question.jsonl", "zh", out)
}
