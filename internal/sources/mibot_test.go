package sources

import (
	"strconv"
	"strings"
	"testing"
)

func TestMibotRealData(t *testing.T) {
	recs, rejects := personaLoad(t, mibotSource, personaDataRoot(t, "mibot"))
	personaCheck(t, mibotSource, recs, rejects)
	kinds, reasons := personaCount(recs, rejects)
	// DATASETS.md: 106 participants, one transcript each; only the role swap is emitted.
	if kinds["voice/client"] != 106 || len(kinds) != 1 {
		t.Errorf("records by stage/persona = %v, want 106 voice/client", kinds)
	}
	if len(rejects) != 0 {
		t.Errorf("rejects = %v, want none", reasons)
	}
	skipped := 0
	for _, c := range recs {
		if c.Labels["survey"] != "present" || c.Labels["pre_readiness"] == "" {
			t.Errorf("%s: no survey labels: %v", c.ID, c.Labels)
		}
		if !strings.Contains(c.Messages[0].Content, "cigarettes a day") || !strings.Contains(c.Messages[0].Content, "out of 10") {
			t.Errorf("%s: system prompt lacks the survey profile", c.ID)
		}
		if len(c.Provenance) != 2 || c.ID != "mibot-"+c.Labels["participant"]+"-client" {
			t.Errorf("%s: provenance %+v", c.ID, c.Provenance)
		}
		if c.Labels["empty_utterances_skipped"] != "" {
			skipped++
		}
	}
	// One client utterance in the data is empty (documented in the adapter).
	if skipped != 1 {
		t.Errorf("%d records skipped an empty utterance, want 1", skipped)
	}
}

func TestMibotMalformedTranscripts(t *testing.T) {
	dir := t.TempDir()
	personaWrite(t, dir, "data.csv", "ParticipantID,DailyNum,FirstCig,HeavinessOfSmokingIndex,PreConvoQuitAttempt,"+
		"PreConvoNumQuitAttempts,PreRulerImportance,PreRulerConfidence,PreRulerReadiness\n"+
		"p1,12,3,4,True,2,7,3,5\n")
	utt := func(speaker string, volley, n int, text string) string {
		return `{"speaker": "` + speaker + `", "volley_number": ` + strconv.Itoa(volley) + `, "utterance_number": ` + strconv.Itoa(n) +
			`, "text": "` + text + `"}`
	}
	personaWrite(t, dir, "transcripts/p1.json", "{\n\"participant_id\": \"p1\",\n\"utterances\": [\n"+
		utt("counsellor", 1, 1, "Hello!")+",\n"+ // line 4
		utt("counsellor", 1, 2, "How are you?")+",\n"+
		utt("robot", 2, 3, "Beep.")+",\n"+ // line 6: unknown speaker
		utt("client", 3, 4, "Fine.")+",\n"+
		utt("client", 5, 6, "Really.")+",\n"+
		utt("counsellor", 6, 7, "Bye.")+"\n],\n\"stats\": {}\n}\n")
	personaWrite(t, dir, "transcripts/p2.json", "{\n\"participant_id\": \"p2\",\n\"utterances\": [\n"+
		utt("counsellor", 1, 1, "Hello!")+",\n"+
		"{\"speaker\": \"client\", \"volley_number\": \"two\"}\n]}\n") // line 5: bad type
	personaWrite(t, dir, "transcripts/p3.json", "{\"utterances\": []}\n")
	recs, rejects := personaLoad(t, mibotSource, dir)
	personaCheck(t, mibotSource, recs, rejects)
	for _, want := range []struct {
		file   string
		line   int
		reason string
	}{{"p1.json", 6, "unknown_speaker"}, {"p2.json", 5, "bad_json"}, {"p3.json", 1, "missing_participant_id"}} {
		if !personaHasReject(rejects, want.file, want.line, want.reason) {
			t.Errorf("no %s reject at %s line %d in %+v", want.reason, want.file, want.line, rejects)
		}
	}
	if len(recs) != 1 {
		t.Fatalf("got %d records, want p1 only", len(recs))
	}
	c := recs[0]
	want := []string{"system", "user:Hello! How are you?", "assistant:Fine.\nReally."}
	if len(c.Messages) != len(want) || c.Messages[1].Content != "Hello! How are you?" || c.Messages[2].Content != "Fine.\nReally." {
		t.Errorf("messages = %+v, want %v", c.Messages, want)
	}
	sys := c.Messages[0].Content
	for _, s := range []string{"about 12 cigarettes a day", "within 5 minutes of waking", "made 2 quit attempts", "stop smoking: 7 out of 10"} {
		if !strings.Contains(sys, s) {
			t.Errorf("system prompt lacks %q: %s", s, sys)
		}
	}
}
