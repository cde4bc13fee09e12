package sources

import (
	"fmt"
	"strings"
)

// dreadditSource is Dreaddit: Reddit post segments labelled stressed (1) or
// not (0) by crowd workers, with their agreement. Human labels for the
// scorers only: Load emits nothing, ReadLabelledPosts("dreaddit", ...)
// reads the posts.
var dreadditSource = Source{
	Name:          "dreaddit",
	Title:         "Dreaddit: stress in Reddit posts (label 0/1 + annotator confidence), scorer labels only",
	License:       "none stated in the copy (Dreaddit, Turcan & McKeown 2019)",
	NonCommercial: false,
	ShareAlike:    false,
	Attribution: "Elsbeth Turcan, Kathleen McKeown. Dreaddit: A Reddit Dataset for Stress Analysis in Social Media. " +
		"LOUHI workshop at EMNLP 2019 (D19-6213). UTF-8 copy from github.com/jahnavithutta129/Moodify (Improve Dataset/)",
	Language: "en",
	Origin:   "github.com/jahnavithutta129/Moodify@6abf56a4804cc52476e0b1a551c0f6c2909abfdc",
	Files:    []string{"dreaddit-train.csv", "dreaddit-test.csv"},
	Remote: map[string]string{
		"dreaddit-train.csv": "Improve Dataset/dreaddit-train.csv",
		"dreaddit-test.csv":  "Improve Dataset/dreaddit-test.csv",
	},
	Stage: "edge",
	Uses:  []Use{Scorer},
	Load:  labNoLoad,
}

// readDreaddit reads both splits: ID "dreaddit-<split>-<id>", Label the
// stress label, Extra subreddit, confidence, post_id and sentence_range.
func readDreaddit(dir string, fn func(LabelledPost) error, reject Reject) error {
	for _, f := range []struct{ file, split string }{{"dreaddit-train.csv", "train"}, {"dreaddit-test.csv", "test"}} {
		t, err := OpenTable(Path(dir, f.file), ',')
		if err != nil {
			return err
		}
		n := 0
		err = t.Each(func(row Row) error {
			n++
			rid := strings.TrimSpace(row.Get("id"))
			if rid == "" {
				rid = fmt.Sprintf("row%04d", n)
			}
			id := fmt.Sprintf("dreaddit-%s-%s", f.split, rid)
			text, label := strings.TrimSpace(row.Get("text")), strings.TrimSpace(row.Get("label"))
			switch {
			case text == "":
				return labReject(reject, t.Path, row.Line, "empty_text", "%s: no post text", id)
			case label != "0" && label != "1":
				return labReject(reject, t.Path, row.Line, "bad_label", "%s: label %s is not 0/1", id, labValue(label))
			}
			extra := map[string]string{}
			for _, c := range []string{"subreddit", "confidence", "post_id", "sentence_range"} {
				if v := strings.TrimSpace(row.Get(c)); v != "" {
					extra[c] = v
				}
			}
			return fn(LabelledPost{ID: id, Source: "dreaddit", Split: f.split, Text: text, Label: label, Extra: extra})
		}, reject)
		if err != nil {
			return err
		}
	}
	return nil
}
