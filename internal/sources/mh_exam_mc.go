package sources

import (
	"context"
	"regexp"
	"strings"
)

// mhExamMcSource is a set of mental-health exam questions (counselling,
// psychology, psychiatric nursing) with four (or two, true/false) options
// and the answer. Evaluation only: Load emits stage-2 records, but Uses is
// Eval, so the pipeline never trains on them.
var mhExamMcSource = bind(Source{
	Name:          "mh_exam_mc",
	Title:         "Mental-health exam multiple-choice questions with answers (MentalChat16K repository), evaluation only",
	License:       "MIT (the repository is a qlora fork); the source of the items is undocumented",
	NonCommercial: false,
	ShareAlike:    false,
	Attribution: "MentalChat16K repository (Jia Xu et al., MentalChat16K: A Benchmark Dataset for Conversational Mental Health " +
		"Assistance, KDD 2025, arXiv:2503.13509), github.com/ChiaPatricia/MentalChat16K_Main data/lab/mental_health_exam_MC.csv; the origin of the " +
		"exam items is not documented there.",
	Language: "en",
	Origin:   "github.com/ChiaPatricia/MentalChat16K_Main@9eb19df747fa26524f7024ad0da4084ff0f47f6a",
	Files:    []string{"mental_health_exam_MC.csv"},
	Remote:   map[string]string{"mental_health_exam_MC.csv": "data/lab/mental_health_exam_MC.csv"},
	Stage:    "expertise",
	Uses:     []Use{Eval},
}, loadMHExamMC)

// mhExamOption matches an option line "a. text" / "b) text" / "a.True".
var mhExamOption = regexp.MustCompile(`^\s*([a-dA-D])\s*[.)]\s*(.*?)\s*$`)

// loadMHExamMC reads mental_health_exam_MC.csv (question_id, category,
// turns = question then one "a. option" line per option, answer = "b.
// option"). The answer's letter picks the option; its text must match.
// The file has no split; labels: answer, and subject when the (always
// empty) category is set.
func loadMHExamMC(s Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	t, err := OpenTable(Path(dir, "mental_health_exam_MC.csv"), ',')
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	return t.Each(func(row Row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		qid := strings.TrimSpace(row.Get("question_id"))
		id := "item-" + qid
		bad := func(reason, format string, a ...any) error {
			return labReject(reject, t.Path, row.Line, reason, "%s: "+format, append([]any{id}, a...)...)
		}
		if qid == "" {
			return labReject(reject, t.Path, row.Line, "missing_id", "no question_id")
		}
		if seen[qid] {
			return bad("duplicate_id", "question_id seen before")
		}
		seen[qid] = true
		var question []string
		var options []string
		for line := range strings.SplitSeq(row.Get("turns"), "\n") {
			if m := mhExamOption.FindStringSubmatch(line); m != nil && len(question) > 0 {
				if want := byte('a' + len(options)); strings.ToLower(m[1])[0] != want {
					return bad("bad_options", "option %q out of order", m[1])
				}
				options = append(options, m[2])
			} else if len(options) > 0 {
				return bad("bad_options", "text after the options")
			} else if l := strings.TrimSpace(line); l != "" {
				question = append(question, l)
			}
		}
		ans := mhExamOption.FindStringSubmatch(row.Get("answer"))
		switch {
		case len(question) == 0:
			return bad("empty_question", "no question text")
		case len(options) < 2:
			return bad("bad_options", "%d options, want at least 2", len(options))
		case ans == nil:
			return bad("bad_answer", "answer does not start with an option letter")
		}
		k := int(strings.ToLower(ans[1])[0] - 'a')
		switch {
		case k >= len(options):
			return bad("bad_answer", "answer %q is not among %d options", ans[1], len(options))
		case ans[2] != "" && ans[2] != options[k]:
			return bad("answer_mismatch", "answer text differs from option %s", ans[1])
		}
		for i, o := range options {
			if o == "" {
				return bad("empty_option", "option %c is empty", 'A'+i)
			}
		}
		letter := string(rune('A' + k))
		labels := map[string]string{"answer": letter}
		if c := strings.TrimSpace(row.Get("category")); c != "" {
			labels["subject"] = c
		}
		user, reasoning, reply := labMultipleChoice(strings.Join(question, "\n"), options, k)
		return emit(labCoT(s, id, labels, mcSystem, user, reply, reasoning, reply))
	}, reject)
}
