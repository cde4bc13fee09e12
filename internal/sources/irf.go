package sources

import (
	"fmt"
	"strings"
)

// irfSource is IRF, interpersonal risk factors of mental disturbance:
// Reddit posts labelled for thwarted belongingness and perceived
// burdensomeness, each with the human explanation span. Human labels for
// the crisis-risk scorer only: Load emits nothing,
// ReadLabelledPosts("irf", ...) reads the posts.
var irfSource = Source{
	Name:          "irf",
	Title:         "IRF: interpersonal risk factors (thwarted belongingness, perceived burdensomeness) with explanations, scorer labels only",
	License:       "none stated (no LICENSE file in the repository)",
	NonCommercial: false,
	ShareAlike:    false,
	Attribution: "Muskan Garg, Amirmohammad Shahbandegan, Amrith Chadha, Vijay Mago. An Annotated Dataset for Explainable " +
		"Interpersonal Risk Factors of Mental Disturbance in Social Media Posts. Findings of ACL 2023. github.com/drmuskangarg/Irf",
	Language: "en",
	Origin:   "github.com/drmuskangarg/Irf@1e46a3d955cfd1e457d2869f1b6c2954aaaf7971",
	Files:    []string{"train_data.csv", "val_data.csv", "test_data.csv"},
	Stage:    "edge",
	Uses:     []Use{Scorer},
	Load:     labNoLoad,
}

// readIRF emits two posts per row, one per risk factor: ID
// "irf-<split>-<row id>-belong" and "...-burden", Label "0"/"1",
// Explanation the annotator's span, Extra["aspect"] the factor and
// Extra["post_id"] the dataset's row id (shared by the pair).
func readIRF(dir string, fn func(LabelledPost) error, reject Reject) error {
	files := []struct{ file, split string }{{"train_data.csv", "train"}, {"val_data.csv", "valid"}, {"test_data.csv", "test"}}
	aspects := []struct{ col, tag, name string }{
		{"belong", "belong", "thwarted_belongingness"},
		{"burden", "burden", "perceived_burdensomeness"},
	}
	for _, f := range files {
		t, err := OpenTable(Path(dir, f.file), ',')
		if err != nil {
			return err
		}
		n := 0
		err = t.Each(func(row Row) error {
			n++
			postID := strings.TrimSpace(row.Get("Unnamed: 0"))
			if postID == "" {
				postID = fmt.Sprintf("row%04d", n)
			}
			id := fmt.Sprintf("irf-%s-%s", f.split, postID)
			text := strings.TrimSpace(row.Get("text"))
			if text == "" {
				return labReject(reject, t.Path, row.Line, "empty_text", "%s: no post text", id)
			}
			for _, a := range aspects {
				label := strings.TrimSpace(row.Get(a.col))
				if label != "0" && label != "1" {
					if err := labReject(reject, t.Path, row.Line, "bad_label", "%s: %s label %s is not 0/1", id, a.col, labValue(label)); err != nil {
						return err
					}
					continue
				}
				err := fn(LabelledPost{
					ID: id + "-" + a.tag, Source: "irf", Split: f.split, Text: text, Label: label,
					Explanation: strings.TrimSpace(row.Get(a.col + "_exp")),
					Extra:       map[string]string{"aspect": a.name, "post_id": postID},
				})
				if err != nil {
					return err
				}
			}
			return nil
		}, reject)
		if err != nil {
			return err
		}
	}
	return nil
}
