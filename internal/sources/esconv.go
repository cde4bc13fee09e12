package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"pixel/internal/record"
)

// esconvSource is ESConv: 1,300 crowd-sourced emotional-support dialogs
// between a help-seeker and a trained supporter, each supporter turn
// labelled with one of 8 support strategies. The full corpus is read from
// the HF-style train/valid/test split (hf_split_*.jsonl, a copy of
// Dantoro/project_therapy@72f2ccd4670a83c00611b90febbdf941be38516d
// datasets/custom_corpus/esconv_data/{train,valid,test}.json); the 196
// conversations the authors dropped as failed (FailedESConv.json) come from
// the origin repository and are labelled quality=failed so a manifest can
// exclude them. The *WithStrategy_short.tsv files are windowed duplicates of
// the same dialogs (strategy-prefixed context/response lines) and are not read.
//
// Besides each dialog (stage foundation) the adapter derives one stage-2
// chain-of-thought record per split dialog whose reasoning is built only from
// the dataset's own annotations: emotion, problem, situation and the
// supporter turn's strategy.
var esconvSource = bind(Source{
	Name:          "esconv",
	Title:         "ESConv: Emotional Support Conversation",
	License:       "CC-BY-NC-4.0",
	NonCommercial: true,
	Attribution: "Liu, Zheng, Demasi, Sabour, Li, Yu, Jiang and Huang (2021), \"Towards Emotional Support Dialog Systems\", ACL 2021; " +
		"CoAI Group, Tsinghua University, github.com/thu-coai/Emotional-Support-Conversation (README: data for academic research use only); " +
		"train/valid/test split copy from github.com/Dantoro/project_therapy@72f2ccd4670a83c00611b90febbdf941be38516d",
	Language: "en",
	Origin:   "github.com/thu-coai/Emotional-Support-Conversation@f262d062ad74cb39b17ea476facc81568ddcba24",
	Files:    []string{"hf_split_train.jsonl", "hf_split_valid.jsonl", "hf_split_test.jsonl", "FailedESConv.json"},
	// The full corpus splits live in another repository (the HF split copy).
	Remote: map[string]string{
		"hf_split_train.jsonl": "github.com/Dantoro/project_therapy@72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/train.json",
		"hf_split_valid.jsonl": "github.com/Dantoro/project_therapy@72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/valid.json",
		"hf_split_test.jsonl":  "github.com/Dantoro/project_therapy@72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/test.json",
	},
	Stage: "foundation",
	Uses:  []Use{Train},
}, esconvLoad)

// esconvCrisisTopics are the ESConv problem categories (lower-cased) that
// concern abuse: substance abuse and bullying. No category concerns grief,
// self-harm or suicidality; "ongoing depression" and "job crisis" are the
// corpus's everyday low-risk support and are not marked. The label only
// flags the topic; the records stay in stage foundation.
var esconvCrisisTopics = map[string]string{
	"alcohol abuse":   "alcohol_abuse",
	"school bullying": "school_bullying",
}

// esconvCoTSystem is the system prompt of the derived stage-2 records.
const esconvCoTSystem = "You are an emotional-support companion talking with someone who is going through a hard time. " +
	"Before each reply, reason inside <reasoning></reasoning> tags: what the person feels, about what, " +
	"their situation, and which support strategy fits this turn. Then write your reply after the closing tag."

// esconvDialog reads both file formats: the split files use speaker
// usr/sys, text and strategy; FailedESConv.json uses speaker
// speaker/listener, content and annotation.strategy.
type esconvDialog struct {
	ExperienceType string `json:"experience_type"`
	EmotionType    string `json:"emotion_type"`
	ProblemType    string `json:"problem_type"`
	Situation      string `json:"situation"`
	SurveyScore    struct {
		Seeker map[string]any `json:"seeker"`
	} `json:"survey_score"`
	Dialog []struct {
		Speaker    string `json:"speaker"`
		Text       string `json:"text"`
		Content    string `json:"content"`
		Strategy   string `json:"strategy"`
		Annotation struct {
			Strategy string `json:"strategy"`
		} `json:"annotation"`
	} `json:"dialog"`
}

func esconvLoad(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	for _, split := range []string{"train", "valid", "test"} {
		file := filepath.Join(dir, "hf_split_"+split+".jsonl")
		n := 0
		err := convJSONLines(file, func(line int, raw []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			id := fmt.Sprintf("%s-%04d", split, n)
			n++
			return esconvDialogRecords(src, file, line, raw, id, split, emit, reject)
		})
		if err != nil {
			return err
		}
	}
	file := filepath.Join(dir, "FailedESConv.json")
	n := 0
	return convJSONArray(file, func(line int, raw json.RawMessage) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		id := fmt.Sprintf("failed-%04d", n)
		n++
		return esconvDialogRecords(src, file, line, raw, id, "", emit, reject)
	}, reject)
}

// esconvDialogRecords emits one dialog and, for split dialogs, its derived
// chain-of-thought record. split is "" for the failed conversations.
func esconvDialogRecords(src Source, file string, line int, raw []byte, id, split string, emit Emit, reject Reject) error {
	var d esconvDialog
	if err := json.Unmarshal(raw, &d); err != nil {
		return reject(Rejected{File: file, Line: line, Reason: "bad_json", Detail: err.Error()})
	}
	turns := make([]convTurn, 0, len(d.Dialog))
	for i, t := range d.Dialog {
		var role string
		switch t.Speaker {
		case "usr", "speaker":
			role = "user"
		case "sys", "listener":
			role = "assistant"
		default:
			return reject(Rejected{File: file, Line: line, Reason: "unknown_speaker", Detail: fmt.Sprintf("turn %d has speaker %q; want usr/sys or speaker/listener", i, t.Speaker)})
		}
		text, strategy := t.Text, t.Strategy
		if text == "" {
			text = t.Content
		}
		if strategy == "" {
			strategy = t.Annotation.Strategy
		}
		var tags []string
		if s := strings.TrimSpace(strategy); s != "" && role == "assistant" {
			tags = []string{s}
		}
		turns = append(turns, convTurn{Role: role, Text: text, Tags: tags})
	}
	merged, reason := convMerge(turns)
	if reason != "" {
		return reject(Rejected{File: file, Line: line, Reason: reason, Detail: fmt.Sprintf("dialog %s: %d turns, none left as a seeker turn answered by the supporter", id, len(d.Dialog))})
	}
	labels := esconvLabels(d, split)
	rec := src.Meta(id, "foundation", "therapist", labels, convMessages("", merged))
	if err := emit(rec); err != nil {
		return err
	}
	if split == "" {
		return nil
	}
	cot, ok := esconvCoT(d, merged)
	if !ok {
		return nil // no annotations to reason from: the dialog stays a stage-1 record only
	}
	return emit(Derive(rec, "cot", "expertise", "therapist", "derived:cot", maps.Clone(labels), cot))
}

// esconvLabels carries the dialog's annotations. Category values are
// lower-cased: the corpus spells some both ways ("Sleep Problems").
func esconvLabels(d esconvDialog, split string) map[string]string {
	labels := map[string]string{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			labels[k] = v
		}
	}
	problem := strings.ToLower(strings.TrimSpace(d.ProblemType))
	set("emotion_type", strings.ToLower(d.EmotionType))
	set("problem_type", problem)
	set("experience_type", strings.ToLower(d.ExperienceType))
	set("split", split)
	set("crisis_topic", esconvCrisisTopics[problem])
	for key, label := range map[string]string{
		"empathy":                   "survey_empathy",
		"relevance":                 "survey_relevance",
		"initial_emotion_intensity": "emotion_intensity_initial",
		"final_emotion_intensity":   "emotion_intensity_final",
	} {
		if v, ok := d.SurveyScore.Seeker[key]; ok && v != nil {
			set(label, fmt.Sprint(v))
		}
	}
	if split == "" {
		labels["quality"] = "failed"
	}
	return labels
}

// esconvCoT rewrites each supporter message as reasoning built from the
// dialog's annotations, then the supporter's real words. ok is false when a
// supporter message has no annotation to reason from.
func esconvCoT(d esconvDialog, merged []convTurn) (msgs []record.Message, ok bool) {
	emotion := strings.ToLower(strings.TrimSpace(d.EmotionType))
	problem := strings.ToLower(strings.TrimSpace(d.ProblemType))
	out := make([]convTurn, len(merged))
	for i, t := range merged {
		out[i] = t
		if t.Role != "assistant" {
			continue
		}
		var steps []string
		if emotion != "" && problem != "" {
			steps = append(steps, fmt.Sprintf("The seeker feels %s about %s.", emotion, problem))
		}
		// The pre-chat "situation" is left out: the seeker never says it in
		// the chat, so reasoning from it would teach knowledge the model lacks.
		if strategies := slices.Compact(slices.Clone(t.Tags)); len(strategies) > 0 {
			steps = append(steps, "Strategy: "+strings.Join(strategies, ", then ")+".")
		}
		if len(steps) == 0 {
			return nil, false
		}
		var b strings.Builder
		b.WriteString("<reasoning>\n")
		for j, s := range steps {
			fmt.Fprintf(&b, "%d. %s\n", j+1, s)
		}
		b.WriteString("</reasoning>\n")
		b.WriteString(t.Text)
		out[i].Text = b.String()
	}
	return convMessages(esconvCoTSystem, out), true
}
