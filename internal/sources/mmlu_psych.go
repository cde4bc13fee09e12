package sources

import (
	"context"
	"fmt"
	"strings"
)

// mmluPsychSource is the psychology and medicine subjects of MMLU, as
// vendored by SMART Filtering. Multiple-choice items for evaluation only:
// Load emits stage-2 records (the answer key as the reasoning), but Uses
// is Eval, so the pipeline never trains on them.
var mmluPsychSource = bind(Source{
	Name:          "mmlu_psych",
	Title:         "MMLU psychology and medicine subjects (multiple choice with answer key), evaluation only",
	License:       "CC BY-NC 4.0 (SMART-Filtering/LICENSE-CC-BY-NC, the vendoring folder); MMLU itself is MIT (hendrycks/test)",
	NonCommercial: true,
	ShareAlike:    false,
	Attribution: "Dan Hendrycks, Collin Burns, Steven Basart, Andy Zou, Mantas Mazeika, Dawn Song, Jacob Steinhardt. Measuring " +
		"Massive Multitask Language Understanding. ICLR 2021 (github.com/hendrycks/test, MIT). Copy vendored by SMART " +
		"Filtering (Vipul Gupta et al., Improving Model Evaluation using SMART Filtering of Benchmark Datasets, " +
		"arXiv:2410.20245), github.com/facebookresearch/ResponsibleNLP/SMART-Filtering.",
	Language: "en",
	Origin:   "github.com/facebookresearch/ResponsibleNLP@0ec714eb084217f44cd9ac466d9e988c795302f9",
	Files:    mmluPsychFiles(),
	Remote:   mmluPsychRemote(),
	Stage:    "expertise",
	Uses:     []Use{Eval},
}, loadMMLUPsych)

var (
	mmluPsychSubjects = []string{
		"professional_psychology", "high_school_psychology", "clinical_knowledge", "college_medicine",
		"professional_medicine", "human_sexuality", "human_aging",
	}
	// mmluPsychSplits maps MMLU's folder to the split label.
	mmluPsychSplits = []struct{ folder, split string }{{"dev", "dev"}, {"val", "valid"}, {"test", "test"}}
)

func mmluPsychFile(folder, subject string) string {
	return folder + "/" + subject + "_" + folder + ".csv"
}

func mmluPsychFiles() []string {
	var out []string
	for _, sp := range mmluPsychSplits {
		for _, subj := range mmluPsychSubjects {
			out = append(out, mmluPsychFile(sp.folder, subj))
		}
	}
	return out
}

func mmluPsychRemote() map[string]string {
	out := map[string]string{}
	for _, f := range mmluPsychFiles() {
		out[f] = "SMART-Filtering/datasets/mmlu/" + f
	}
	return out
}

// mcSystem is the system prompt of the multiple-choice records.
const mcSystem = "Answer the multiple-choice question. First reason inside <reasoning></reasoning> tags, then give the " +
	"letter and text of the correct option."

// labMultipleChoice lays out one multiple-choice item for a stage-2
// record: user = the question and lettered options (A, B, ...), reasoning =
// the answer key, reply = "<letter>. <option text>".
func labMultipleChoice(question string, options []string, answer int) (user, reasoning, reply string) {
	lines := []string{question}
	for i, o := range options {
		lines = append(lines, fmt.Sprintf("%c. %s", 'A'+i, o))
	}
	letter := string(rune('A' + answer))
	return strings.Join(lines, "\n"), "The correct option is " + letter + ".", letter + ". " + options[answer]
}

func loadMMLUPsych(s Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	for _, sp := range mmluPsychSplits {
		for _, subj := range mmluPsychSubjects {
			path := Path(dir, mmluPsychFile(sp.folder, subj))
			n := 0
			err := labEachHeaderless(ctx, path, func(line int, f []string) error {
				n++
				id := fmt.Sprintf("%s-%s-%04d", subj, sp.split, n)
				if len(f) != 6 {
					return labReject(reject, path, line, "bad_row", "%s: %d fields, want 6 (question, A, B, C, D, answer)", id, len(f))
				}
				for i := range f {
					f[i] = strings.TrimSpace(f[i])
				}
				answer := strings.Index("ABCD", f[5])
				switch {
				case f[0] == "":
					return labReject(reject, path, line, "empty_question", "%s: no question", id)
				case len(f[5]) != 1 || answer < 0:
					return labReject(reject, path, line, "bad_answer", "%s: answer %s is not one of A-D", id, labValue(f[5]))
				}
				for i, o := range f[1:5] {
					if o == "" {
						return labReject(reject, path, line, "empty_option", "%s: option %c is empty", id, 'A'+i)
					}
				}
				labels := map[string]string{"split": sp.split, "subject": subj, "answer": f[5]}
				user, reasoning, reply := labMultipleChoice(f[0], f[1:5], answer)
				return emit(labCoT(s, id, labels, mcSystem, user, reply, reasoning, reply))
			}, reject)
			if err != nil {
				return err
			}
		}
	}
	return nil
}
