package sources

import (
	"strings"
)

// sadSource is SAD, the Stress Annotated Dataset: short SMS-like sentences
// about everyday stressors, each labelled by five raters with a stressor
// category, a severity and agreement. Human labels for the scorers only:
// Load emits nothing, ReadLabelledPosts("sad", ...) reads them. (The same
// sentences with ChatGPT explanations are part of mentalllama_imhi.)
var sadSource = Source{
	Name:          "sad",
	Title:         "SAD: Stress Annotated Dataset (everyday stressor category, severity, rater agreement), scorer labels only",
	License:       "MIT",
	NonCommercial: false,
	ShareAlike:    false,
	Attribution: "Matthew Louis Mauriello, Emmanuel Thierry Lincoln, Grace Hon, Dorien Simon, Dan Jurafsky, Pablo E. Paredes. " +
		"SAD: A Stress Annotated Dataset for Recognizing Everyday Stressors in SMS-like Conversational Systems. CHI 2021 " +
		"Extended Abstracts, doi:10.1145/3411763.3451799. github.com/PervasiveWellbeingTech/Stress-Annotated-Dataset-SAD " +
		"(MIT, Copyright (c) 2021 PervasiveWellbeingTech)",
	Language: "en",
	// The upstream ships SAD_v1.zip (an XLSX); the local copy is its CSV
	// export. The commit it was taken at is not recorded.
	Origin: "github.com/PervasiveWellbeingTech/Stress-Annotated-Dataset-SAD",
	Files:  []string{"SAD_v1.csv"},
	Stage:  "edge",
	Uses:   []Use{Scorer},
	Load:   labNoLoad,
}

// sadExtra are the SAD columns passed on in Extra (snake_case keys), besides
// the per-category vote weights, which go in as weight_<category>.
var sadExtra = []string{
	"is_stressor", "is_stressor_conf", "is_covid", "is_covid_conf", "original_label", "second_label",
	"avg_severity", "median_severity", "SD_severity", "Votes", "Source", "is_seed",
}

var sadCategories = []string{
	"Financial Problem", "Other", "Everyday Decision Making", "Emotional Turmoil", "School", "Family Issues",
	"Social Relationships", "Work", "Health, Fatigue, or Physical Pain",
}

// readSAD reads SAD_v1.csv: ID "sad-<sID>", Label the majority top_label.
// SAD has no split of its own (Split "").
func readSAD(dir string, fn func(LabelledPost) error, reject Reject) error {
	t, err := OpenTable(Path(dir, "SAD_v1.csv"), ',')
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	return t.Each(func(row Row) error {
		sid := strings.TrimSpace(row.Get("sID"))
		id := "sad-" + sid
		text, label := strings.TrimSpace(row.Get("sentence")), strings.TrimSpace(row.Get("top_label"))
		switch {
		case sid == "":
			return labReject(reject, t.Path, row.Line, "missing_id", "no sID")
		case seen[sid]:
			return labReject(reject, t.Path, row.Line, "duplicate_id", "%s: sID seen before", id)
		case text == "":
			return labReject(reject, t.Path, row.Line, "empty_text", "%s: no sentence", id)
		case label == "":
			return labReject(reject, t.Path, row.Line, "missing_label", "%s: no top_label", id)
		}
		seen[sid] = true
		extra := map[string]string{}
		for _, c := range sadExtra {
			if v := strings.TrimSpace(row.Get(c)); v != "" {
				extra[labSnake(c)] = v
			}
		}
		for _, c := range sadCategories {
			if v := strings.TrimSpace(row.Get(c)); v != "" {
				extra["weight_"+labSnake(c)] = v
			}
		}
		return fn(LabelledPost{ID: id, Source: "sad", Text: text, Label: label, Extra: extra})
	}, reject)
}
