package sources

import (
	"strings"
	"testing"
)

func TestMentalLLaMAReal(t *testing.T) {
	recs, rejects := labLoad(t, mentalllamaImhiSource, labDataDir(t, "mentalllama_imhi"))
	labCheckRecords(t, mentalllamaImhiSource, recs)
	// One Irf test answer is "yes. Reasoning:" with nothing after it.
	if len(rejects) != 1 || rejects[0].Reason != "no_explanation" || rejects[0].Line != 4707 ||
		!strings.HasSuffix(rejects[0].File, "test_complete/Irf.csv") {
		t.Fatalf("rejects: %+v", rejects)
	}
	// Row counts from DATASETS.md, less that reject.
	want := map[string]int{
		"CAMS/test": 625, "DR/test": 405, "Irf/test": 2112, "MultiWD/test": 2441, "SAD/test": 684, "dreaddit/test": 414,
		"loneliness/test": 528, "t-sid/test": 959,
		"DR/train": 1003, "DR/valid": 430, "SAD/train": 5547, "SAD/valid": 616, "dreaddit/train": 2837, "dreaddit/valid": 300,
		"Irf/valid": 985, "MultiWD/valid": 1500,
	}
	got, risk := map[string]int{}, map[string]int{}
	for _, r := range recs {
		got[r.Labels["task"]+"/"+r.Labels["split"]]++
		if v := r.Labels["risk"]; v != "" {
			risk[r.Labels["task"]+":"+v]++
		}
		if r.Labels["label"] == "" {
			t.Fatalf("%s: no label", r.ID)
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d records, want %d", k, got[k], n)
		}
	}
	if len(recs) != 21386 {
		t.Errorf("%d records, want 21386", len(recs))
	}
	// t-sid: 253 "suicide or self-harm tendency"; Irf: yes answers (test 1366 less the reject, valid 679).
	if risk["t-sid:suicide_or_self_harm"] != 253 || risk["Irf:thwarted_belongingness"]+risk["Irf:perceived_burdensomeness"] != 2044 {
		t.Errorf("risk labels %v", risk)
	}
	r := recs[0]
	if r.ID != "mentalllama_imhi-dr-train-0001-cot" || !strings.HasPrefix(r.Messages[1].Content, "Post: ") ||
		!strings.Contains(r.Messages[1].Content, "\nQuestion: ") ||
		!strings.HasSuffix(r.Messages[2].Content, "\n</reasoning>\nThe answer to the question \"Does the poster suffers from depression?\" is yes.") {
		t.Errorf("first record %s: %q / %q", r.ID, r.Messages[1].Content, r.Messages[2].Content)
	}
}

func TestMentalLLaMAMalformed(t *testing.T) {
	files := map[string]string{}
	for _, f := range mentalllamaFiles {
		if f.query {
			files[f.path] = "query,gpt-3.5-turbo\n"
		} else {
			files[f.path] = "post,question,response\n"
		}
	}
	files["test_data/test_complete/t-sid.csv"] = "query,gpt-3.5-turbo\n" +
		"\"Post: I can't go on  Question: This post shows the mental disorder symptoms of \",\"suicide or self-harm tendency. Reasoning: The poster says so.\"\n" + // line 2: ok
		"\"Post: just a post\",\"no mental disorders. Reasoning: none\"\n" + // line 3: no question
		"\"Post: a post  Question: This post shows the mental disorder symptoms of \",\"depression.\"\n" + // line 4: no explanation
		"\"Post: a post  Question: This post shows the mental disorder symptoms of \",\"depression. Reasoning:  \"\n" // line 5: empty explanation
	files["train_data/complete_data/DR/reddit_train.csv"] = "post,question,response\n" +
		"\"Post: \",\" Question: The answer to the question \"\"Does the poster suffers from depression?\"\" is \",\"yes. Reasoning: x\"\n" + // line 2: empty post
		"\"Post: sad\",\" Question: The answer to the question \"\"Does the poster suffers from depression?\"\" is \",\"maybe. Reasoning: x\"\n" // line 3: not yes/no
	recs, rejects := labLoad(t, mentalllamaImhiSource, labWrite(t, files))
	labCheckRecords(t, mentalllamaImhiSource, recs)
	if len(recs) != 1 || recs[0].Labels["risk"] != "suicide_or_self_harm" || recs[0].Labels["split"] != "test" ||
		recs[0].Messages[2].Content != "<reasoning>\nThe poster says so.\n</reasoning>\nThis post shows the mental disorder symptoms of suicide or self-harm tendency." {
		t.Fatalf("records %+v", recs)
	}
	got := map[string]int{}
	for _, r := range rejects {
		got[r.Reason] = r.Line
	}
	want := map[string]int{"no_question": 3, "no_explanation": 5, "empty_post": 2, "unknown_label": 3}
	if len(rejects) != 5 || got["no_question"] != 3 || got["empty_post"] != 2 || got["unknown_label"] != 3 || got["no_explanation"] == 0 {
		t.Fatalf("rejects %+v, want reasons and lines like %v", rejects, want)
	}
	labReasons(t, rejects)
}
