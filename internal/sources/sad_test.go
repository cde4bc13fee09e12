package sources

import "testing"

func TestSADReal(t *testing.T) {
	posts, rejects := labReadPosts(t, "sad", labDataDir(t, "sad"))
	got := map[string]int{}
	for _, p := range posts {
		got[p.Label]++
		if p.Split != "" || p.Extra["is_stressor"] == "" || p.Extra["weight_work"] == "" {
			t.Fatalf("%s: split %q extra %v", p.ID, p.Split, p.Extra)
		}
	}
	// 6,850 sentences; top_label counted from the file.
	if len(posts) != 6850 || len(rejects) != 0 || got["Work"] != 1341 || got["Health, Fatigue, or Physical Pain"] != 782 {
		t.Fatalf("%d posts, %d rejects, labels %v", len(posts), len(rejects), got)
	}
}

func TestSADMalformed(t *testing.T) {
	dir := labWrite(t, map[string]string{
		"SAD_v1.csv": "sID,sentence,is_stressor,top_label,second_label,Work,Source\n" +
			"1,my boss yells,1,Work, ,0.9,mTurk\n" +
			"1,duplicate,1,Work,,1,mTurk\n" + // line 3: duplicate sID
			"2,,1,Work,,1,mTurk\n" + // line 4: empty sentence
			"3,exams,1,,,0,mTurk\n", // line 5: no label
	})
	posts, rejects := labReadPosts(t, "sad", dir)
	if len(posts) != 1 || posts[0].ID != "sad-1" || posts[0].Extra["weight_work"] != "0.9" || posts[0].Extra["source"] != "mTurk" {
		t.Fatalf("posts %+v", posts)
	}
	if _, ok := posts[0].Extra["second_label"]; ok {
		t.Errorf("a blank second_label should be left out: %v", posts[0].Extra)
	}
	if labFindReject(t, rejects, "duplicate_id").Line != 3 || labFindReject(t, rejects, "empty_text").Line != 4 ||
		labFindReject(t, rejects, "missing_label").Line != 5 {
		t.Fatalf("rejects %+v", rejects)
	}
}
