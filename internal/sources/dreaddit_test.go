package sources

import "testing"

func TestDreadditReal(t *testing.T) {
	posts, rejects := labReadPosts(t, "dreaddit", labDataDir(t, "dreaddit"))
	got := map[string]int{}
	for _, p := range posts {
		got[p.Split]++
		if p.Label == "1" {
			got[p.Split+"/stress"]++
		}
		if p.Extra["subreddit"] == "" || p.Extra["confidence"] == "" {
			t.Fatalf("%s: extra %v", p.ID, p.Extra)
		}
	}
	// DATASETS.md: 2,838 train (1,488 stress) / 715 test.
	if len(rejects) != 0 || got["train"] != 2838 || got["train/stress"] != 1488 || got["test"] != 715 {
		t.Fatalf("counts %v, %d rejects", got, len(rejects))
	}
}

func TestDreadditMalformed(t *testing.T) {
	dir := labWrite(t, map[string]string{
		"dreaddit-train.csv": "subreddit,post_id,sentence_range,text,id,label,confidence\n" +
			"ptsd,abc,\"(0, 5)\",I am scared,11,1,0.8\n" +
			"ptsd,abd,\"(0, 5)\",calm day,12,2,0.8\n" + // line 3: bad label
			"ptsd,abe,\"(0, 5)\",  ,13,0,1\n", // line 4: empty text
		"dreaddit-test.csv": "id,subreddit,post_id,sentence_range,text,label,confidence\n\"broken,1\n",
	})
	posts, rejects := labReadPosts(t, "dreaddit", dir)
	if len(posts) != 1 || posts[0].ID != "dreaddit-train-11" || posts[0].Extra["sentence_range"] != "(0, 5)" {
		t.Fatalf("posts %+v", posts)
	}
	if labFindReject(t, rejects, "bad_label").Line != 3 || labFindReject(t, rejects, "empty_text").Line != 4 {
		t.Fatalf("rejects %+v", rejects)
	}
}
