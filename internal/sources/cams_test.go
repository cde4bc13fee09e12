package sources

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// labReadPosts collects a scorer source's posts and rejects.
func labReadPosts(t *testing.T, name, dir string) ([]LabelledPost, []Rejected) {
	t.Helper()
	var posts []LabelledPost
	var rejects []Rejected
	err := ReadLabelledPosts(name, dir, func(p LabelledPost) error { posts = append(posts, p); return nil },
		func(r Rejected) error { rejects = append(rejects, r); return nil })
	if err != nil {
		t.Fatalf("ReadLabelledPosts(%s): %v", name, err)
	}
	seen := map[string]bool{}
	for _, p := range posts {
		if seen[p.ID] || !strings.HasPrefix(p.ID, name+"-") || p.Source != name || p.Text == "" || p.Label == "" {
			t.Fatalf("bad post %+v (duplicate id: %v)", p, seen[p.ID])
		}
		seen[p.ID] = true
	}
	labReasons(t, rejects)
	return posts, rejects
}

func TestCAMSReal(t *testing.T) {
	posts, rejects := labReadPosts(t, "cams", labDataDir(t, "cams"))
	// 3,155 + 1,461 + 370 rows less 3 empty posts and 3 rows without a cause.
	if len(posts) != 4980 {
		t.Errorf("%d posts, want 4980", len(posts))
	}
	if got := labReasons(t, rejects); len(rejects) != 6 || got["empty_text"] != 3 || got["missing_label"] != 3 {
		t.Errorf("rejects %v", got)
	}
	splits, invalid := map[string]int{}, 0
	for _, p := range posts {
		splits[p.Split]++
		if p.Extra["cause_name"] == "" {
			t.Fatalf("%s: no cause name", p.ID)
		}
		if !utf8.ValidString(p.Text) {
			invalid++
		}
	}
	if splits[""] != 3153 || splits["train"] != 1457 || splits["test"] != 370 {
		t.Errorf("splits %v", splits)
	}
	// added_CAMS_data.csv is passed on raw, mojibake and all.
	if invalid == 0 {
		t.Errorf("no post kept its invalid UTF-8 bytes; the raw text must reach the pipeline unrepaired")
	}
}

func TestCAMSMalformed(t *testing.T) {
	dir := labWrite(t, map[string]string{
		"added_CAMS_data.csv":      "selftext,cause,inference\n\"I feel alone \x92 always\",5,feel alone\n,4,x\nsome post,9,x\n",
		"IntentSDCNL_Training.csv": "selftext,ANNOTATIONS,Interpretations\nmy job,2,\n",
		"IntentSDCNL_Testing.csv":  "selftext,ANNOTATIONS,Interpretations\npost,,\n",
	})
	posts, rejects := labReadPosts(t, "cams", dir)
	if len(posts) != 2 || posts[0].Text != "I feel alone \x92 always" || posts[0].Extra["cause_name"] != "alienation" ||
		posts[1].ID != "cams-train-0001" || posts[1].Explanation != "" {
		t.Fatalf("posts %+v", posts)
	}
	if labFindReject(t, rejects, "empty_text").Line != 3 || labFindReject(t, rejects, "bad_label").Line != 4 ||
		labFindReject(t, rejects, "missing_label").Line != 2 || len(rejects) != 3 {
		t.Fatalf("rejects %+v", rejects)
	}
	if err := ReadLabelledPosts("nope", dir, nil, nil); err == nil {
		t.Fatal("unknown source read without error")
	}
}
