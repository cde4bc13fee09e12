package sources

import "testing"

func TestIRFReal(t *testing.T) {
	posts, rejects := labReadPosts(t, "irf", labDataDir(t, "irf"))
	// 1,972 / 493 / 1,057 rows, two risk factors each.
	if len(posts) != 2*(1972+493+1057) || len(rejects) != 0 {
		t.Fatalf("%d posts, %d rejects", len(posts), len(rejects))
	}
	got := map[string]int{}
	for _, p := range posts {
		got[p.Split+"/"+p.Extra["aspect"]+"/"+p.Label]++
	}
	// belong: train 1,063 yes; burden: train 636 yes (counted from the files).
	if got["train/thwarted_belongingness/1"] != 1063 || got["train/perceived_burdensomeness/1"] != 636 ||
		got["valid/thwarted_belongingness/1"] != 279 || got["test/perceived_burdensomeness/1"] != 325 {
		t.Errorf("counts %v", got)
	}
}

func TestIRFMalformed(t *testing.T) {
	dir := labWrite(t, map[string]string{
		"train_data.csv": "Unnamed: 0,text,belong,belong_exp,burden,burden_exp\n" +
			"7,nobody calls me,1,nobody calls,0,\n" + // line 2: two posts
			"8,,1,x,0,\n" + // line 3: empty text
			"9,a post,yes,x,1,a burden\n", // line 4: bad belong label, burden ok
		"val_data.csv":  "Unnamed: 0,text,belong,belong_exp,burden,burden_exp\n",
		"test_data.csv": "Unnamed: 0,text,belong,belong_exp,burden,burden_exp\n",
	})
	posts, rejects := labReadPosts(t, "irf", dir)
	if len(posts) != 3 || posts[0].ID != "irf-train-7-belong" || posts[0].Explanation != "nobody calls" ||
		posts[1].ID != "irf-train-7-burden" || posts[2].ID != "irf-train-9-burden" || posts[2].Extra["post_id"] != "9" {
		t.Fatalf("posts %+v", posts)
	}
	if labFindReject(t, rejects, "empty_text").Line != 3 || labFindReject(t, rejects, "bad_label").Line != 4 || len(rejects) != 2 {
		t.Fatalf("rejects %+v", rejects)
	}
}
