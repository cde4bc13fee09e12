package sources

import (
	"fmt"
	"strings"
)

// camsSource is CAMS, causal analysis of mental-health posts: Reddit posts
// labelled with the cause of the poster's distress (0-5) and the span that
// shows it. Human labels for the crisis-risk scorer only: Load emits
// nothing, ReadLabelledPosts("cams", ...) reads the posts.
var camsSource = Source{
	Name:          "cams",
	Title:         "CAMS: causes of mental-health issues in Reddit posts (cause 0-5 + inference span), scorer labels only",
	License:       "research use only (README \"Terms of use: This corpus can be used freely for research purposes\"; no LICENSE file)",
	NonCommercial: true,
	ShareAlike:    false,
	Attribution: "Muskan Garg et al. CAMS: An Annotated Corpus for Causal Analysis of Mental Health Issues in Social Media " +
		"Posts. LREC 2022. github.com/drmuskangarg/CAMS (cite the paper; the IntentSDCNL files re-annotate the SDCNL dataset)",
	Language: "en",
	Origin:   "github.com/drmuskangarg/CAMS@a0369bb5a9799a065f2d6f32e9d1188661c5749e",
	Files:    []string{"added_CAMS_data.csv", "IntentSDCNL_Training.csv", "IntentSDCNL_Testing.csv"},
	Remote: map[string]string{
		"added_CAMS_data.csv":      "CAMS/data/added_CAMS_data.csv",
		"IntentSDCNL_Training.csv": "CAMS/data/IntentSDCNL_Training.csv",
		"IntentSDCNL_Testing.csv":  "CAMS/data/IntentSDCNL_Testing.csv",
	},
	Stage: "edge",
	Uses:  []Use{Scorer},
	Load:  labNoLoad,
}

// camsCauses names the CAMS cause categories (checked against the labels
// MentalLLaMA gives the same posts).
var camsCauses = map[string]string{
	"0": "no_reason", "1": "bias_or_abuse", "2": "jobs_and_careers",
	"3": "medication", "4": "relationship", "5": "alienation",
}

// readCAMS reads the three CAMS files. added_CAMS_data.csv is partly not
// UTF-8 (mojibake): its text is passed on byte for byte for the pipeline to
// repair. It has no split of its own, so its posts have Split "".
func readCAMS(dir string, fn func(LabelledPost) error, reject Reject) error {
	files := []struct{ file, tag, split, label, expl string }{
		{"added_CAMS_data.csv", "added", "", "cause", "inference"},
		{"IntentSDCNL_Training.csv", "train", "train", "ANNOTATIONS", "Interpretations"},
		{"IntentSDCNL_Testing.csv", "test", "test", "ANNOTATIONS", "Interpretations"},
	}
	for _, cf := range files {
		t, err := OpenTable(Path(dir, cf.file), ',')
		if err != nil {
			return err
		}
		n := 0
		err = t.Each(func(row Row) error {
			n++
			id := fmt.Sprintf("cams-%s-%04d", cf.tag, n)
			text, label := strings.TrimSpace(row.Get("selftext")), strings.TrimSpace(row.Get(cf.label))
			switch {
			case text == "":
				return labReject(reject, t.Path, row.Line, "empty_text", "%s: no post text", id)
			case label == "":
				return labReject(reject, t.Path, row.Line, "missing_label", "%s: no cause label", id)
			case camsCauses[label] == "":
				return labReject(reject, t.Path, row.Line, "bad_label", "%s: cause %s is not 0-5", id, labValue(label))
			}
			return fn(LabelledPost{
				ID: id, Source: "cams", Split: cf.split, Text: text, Label: label,
				Explanation: strings.TrimSpace(row.Get(cf.expl)),
				Extra:       map[string]string{"cause_name": camsCauses[label], "file": cf.file},
			})
		}, reject)
		if err != nil {
			return err
		}
	}
	return nil
}
