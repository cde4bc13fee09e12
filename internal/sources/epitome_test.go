package sources

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEpitomeRealData(t *testing.T) {
	recs, rejs := convLoad(t, epitomeSource, filepath.Join(convDataRoot(t), "epitome"))
	convCheck(t, epitomeSource, recs, rejs)
	byStage, byReason := convCount(recs, rejs)
	// DATASETS.md: 3,084 pairs per mechanism; 3,023 distinct sp_id/rp_id
	// pairs, the other 61 rows repeat a pair.
	convWant(t, "stage/persona", byStage, map[string]int{"foundation/therapist": 3023})
	convWant(t, "rejects", byReason, map[string]int{"duplicate_pair": 61})
	differ, sums := 0, map[string]int{}
	for _, r := range rejs {
		if strings.Contains(r.Detail, "differ") {
			differ++
		}
		if filepath.Base(r.File) != "emotional-reactions-reddit.csv" {
			t.Errorf("reject in %s, want the emotional-reactions file", r.File)
		}
	}
	if differ != 19 {
		t.Errorf("%d duplicate rows with conflicting levels, want 19", differ)
	}
	er := map[string]int{}
	for _, c := range recs {
		sums[c.Labels["empathy_sum"]]++
		er[c.Labels["emotional_reactions"]]++
		if len(c.Messages) != 2 || c.Labels["interpretations"] == "" || c.Labels["explorations"] == "" {
			t.Errorf("%s: labels %v, %d messages", c.ID, c.Labels, len(c.Messages))
		}
	}
	convWant(t, "empathy_sum", sums, map[string]int{"0": 689, "1": 570, "2": 1270, "3": 347, "4": 125, "5": 20, "6": 2})
	convWant(t, "emotional_reactions", er, map[string]int{"0": 2007, "1": 866, "2": 150})
	c := recs[0]
	if c.ID != "epitome-65m92s-dgbdk7z" || c.Labels["explorations"] != "2" || c.Labels["empathy_sum"] != "2" || c.Messages[0].Content != "Help. Help me. I dunno what I'm doing anymore" {
		t.Errorf("first record %s: labels %v", c.ID, c.Labels)
	}
}

func TestEpitomeMalformed(t *testing.T) {
	dir := t.TempDir()
	head := "sp_id,rp_id,seeker_post,response_post,level,rationales\n"
	convWrite(t, dir, "emotional-reactions-reddit.csv", head+
		"s1,r1,\"Seeker\non two lines\",Response,1,\n"+ // line 2
		"s2,r2,Seeker,Response,7,\n"+ // line 4: bad level
		"s3,r3,Seeker,Response,0,\n"+ // line 5: not in explorations
		"s1,r1,Seeker,Response,1,\n"+ // line 6: duplicate
		"s4,r4,Seeker,,0,\n") // line 7: empty response
	convWrite(t, dir, "interpretations-reddit.csv", head+
		"s1,r1,Seeker,Response,2,\ns2,r2,Seeker,Response,0,\ns3,r3,Seeker,Response,0,\ns1,r1,Seeker,Response,0,\ns4,r4,Seeker,,0,\n")
	convWrite(t, dir, "explorations-reddit.csv", head+
		"s1,r1,Seeker,Response,0,\ns2,r2,Seeker,Response,0,\ns1,r1,Seeker,Response,0,\ns4,r4,Seeker,,0,\ns9,r9,Seeker,Response,0,\n")
	recs, rejs := convLoad(t, epitomeSource, dir)
	convCheck(t, epitomeSource, recs, rejs)
	byStage, byReason := convCount(recs, rejs)
	convWant(t, "stage/persona", byStage, map[string]int{"foundation/therapist": 1})
	convWant(t, "rejects", byReason, map[string]int{"bad_level": 1, "missing_annotation": 1, "duplicate_pair": 1, "empty_answer": 1, "unpaired_row": 1})
	convRejectAt(t, rejs, "emotional-reactions-reddit.csv", 4, "bad_level")
	convRejectAt(t, rejs, "emotional-reactions-reddit.csv", 5, "missing_annotation")
	convRejectAt(t, rejs, "emotional-reactions-reddit.csv", 6, "duplicate_pair")
	convRejectAt(t, rejs, "emotional-reactions-reddit.csv", 7, "empty_answer")
	convRejectAt(t, rejs, "explorations-reddit.csv", 6, "unpaired_row")
	if len(recs) == 1 {
		c := recs[0]
		if c.ID != "epitome-s1-r1" || c.Labels["emotional_reactions"] != "1" || c.Labels["interpretations"] != "2" || c.Labels["empathy_sum"] != "3" || c.Messages[0].Content != "Seeker\non two lines" {
			t.Errorf("record %s: labels %v, messages %q", c.ID, c.Labels, c.Messages)
		}
	}
	for _, r := range rejs {
		if r.Reason == "duplicate_pair" && !strings.Contains(r.Detail, "differ") {
			t.Errorf("duplicate with other interpretations level not reported as differing: %s", r.Detail)
		}
	}
}

func TestEpitomeRationales(t *testing.T) {
	dir := t.TempDir()
	head := "sp_id,rp_id,seeker_post,response_post,level,rationales\n"
	convWrite(t, dir, "emotional-reactions-reddit.csv", head+
		"s1,r1,Seeker,I'm so sorry. Hugs.,2,I'm so sorry.|Hugs.|\n"+
		"s1,r1,Seeker,I'm so sorry. Hugs.,1,Hugs.|\n"+ // a repeated pair keeps its first row
		"s2,r2,Seeker,Response,0,\n")
	convWrite(t, dir, "interpretations-reddit.csv", head+"s1,r1,Seeker,I'm so sorry. Hugs.,0,\ns2,r2,Seeker,Response,0,\n")
	convWrite(t, dir, "explorations-reddit.csv", head+"s1,r1,Seeker,I'm so sorry. Hugs.,0,\ns2,r2,Seeker,Response,1,Response|\n")
	got, err := EpitomeRationales(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"epitome-s1-r1": {"emotional_reactions": "I'm so sorry.|Hugs.", "interpretations": "", "explorations": ""},
		"epitome-s2-r2": {"emotional_reactions": "", "interpretations": "", "explorations": "Response"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rationales %v, want %v", got, want)
	}
	convWrite(t, dir, "explorations-reddit.csv", "sp_id,rp_id,seeker_post,response_post,level\n")
	if _, err := EpitomeRationales(dir); err == nil || !strings.Contains(err.Error(), "rationales") {
		t.Errorf("a file without rationales: %v", err)
	}
}
