package sources

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// boltSource is BOLT's behaviour-annotated utterances: single therapist
// utterances labelled with one of 13 psychotherapy behaviours (reflections,
// questions, problem-solving, normalizing, psychoeducation...) and single
// client utterances labelled with one of 6 behaviours, in prompt (the
// utterance) / completion (the label) csv files. The files are grouped by
// label and hold no context: no row is a reply to another, and a label is
// not a reply, so none of them forms a user -> assistant pair. The source is
// for the behaviour scorers only; Load emits nothing and sends every row to
// reject as single_utterance, so a build that reads it shows why. Scorers
// read the csv files themselves.
var boltSource = bind(Source{
	Name:        "bolt",
	Title:       "BOLT: therapist and client behaviour annotations",
	License:     "BSD-3-Clause",
	Attribution: "Yu Ying Chiu, Ashish Sharma, Inna Wanyin Lin and Tim Althoff (2024), \"A Computational Framework for Behavioral Assessment of LLM Therapists\", arXiv:2401.00820; Behavioral Data Science Group, github.com/behavioral-data/BOLT",
	Language:    "en",
	Origin:      "github.com/behavioral-data/BOLT@db5880d7b8c554166c822e3ea7510b4d8f4bb8a5",
	Files: []string{
		"dataset_finetune/finetune_therapist_combined_train.csv", "dataset_finetune/finetune_therapist_combined_valid.csv",
		"dataset_finetune/finetune_client_combined_train.csv", "dataset_finetune/finetune_client_combined_valid.csv",
	},
	Stage: "foundation", // nominal: the source emits no training records
	Uses:  []Use{Scorer},
}, boltLoad)

func boltLoad(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	for _, file := range src.Files {
		t, err := OpenTable(Path(dir, file), ',')
		if err != nil {
			return err
		}
		if !t.Has("prompt") || !t.Has("completion") {
			t.f.Close()
			return fmt.Errorf("%s: want prompt and completion columns (fix: use dataset_finetune/*.csv of behavioral-data/BOLT)", t.Path)
		}
		speaker := "client"
		if strings.Contains(filepath.Base(file), "therapist") {
			speaker = "therapist"
		}
		err = t.Each(func(r Row) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			bad := func(reason, detail string) error {
				return reject(Rejected{File: t.Path, Line: r.Line, Reason: reason, Detail: detail})
			}
			label := strings.TrimSpace(r.Get("completion"))
			switch {
			case strings.TrimSpace(r.Get("prompt")) == "":
				return bad("empty_turn", "the utterance (prompt) is empty")
			case label == "":
				return bad("missing_label", "the behaviour label (completion) is empty")
			}
			return bad("single_utterance", fmt.Sprintf("one %s utterance labelled %q, with no paired turn; scorer data, not a conversation", speaker, label))
		}, reject)
		if err != nil {
			return err
		}
	}
	return nil
}
