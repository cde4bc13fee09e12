package sources

import (
	"strings"
	"testing"
)

func TestAnnomiRealData(t *testing.T) {
	recs, rejects := personaLoad(t, annomiSource, personaDataRoot(t, "annomi"))
	personaCheck(t, annomiSource, recs, rejects)
	kinds, reasons := personaCount(recs, rejects)
	// DATASETS.md: 133 transcripts; every one has a client turn answered by
	// the therapist and a therapist turn answered by the client.
	if kinds["foundation/therapist"] != 133 || kinds["voice/client"] != 133 || len(kinds) != 2 {
		t.Errorf("records by stage/persona = %v, want 133 foundation/therapist and 133 voice/client", kinds)
	}
	if len(rejects) != 0 {
		t.Errorf("rejects = %v, want none", reasons)
	}
	quality := map[string]int{}
	for _, c := range recs {
		if c.Stage == "foundation" {
			quality[c.Labels["mi_quality"]]++
			continue
		}
		if c.Messages[1].Role != "user" || c.Messages[len(c.Messages)-1].Role != "assistant" {
			t.Errorf("%s: role-play must open with the therapist (user) and end with the client (assistant)", c.ID)
		}
		if !strings.Contains(c.Messages[0].Content, "how you talk about change: ") || c.Labels["client_talk"] == "" {
			t.Errorf("%s: client profile lacks the talk-type summary", c.ID)
		}
		if len(c.Provenance) != 2 || c.Provenance[0].ID != c.Labels["transcript"] {
			t.Errorf("%s: provenance %+v does not start at transcript %s", c.ID, c.Provenance, c.Labels["transcript"])
		}
	}
	// AnnoMI: 110 high-quality and 23 low-quality MI demonstrations.
	if quality["high"] != 110 || quality["low"] != 23 {
		t.Errorf("mi_quality = %v, want high 110, low 23", quality)
	}
}

func TestAnnomiTalkProfile(t *testing.T) {
	for _, tc := range []struct {
		change, sustain int
		want            string
	}{{0, 0, "neutral"}, {4, 1, "change"}, {3, 0, "change"}, {1, 5, "sustain"}, {3, 2, "ambivalent"}, {2, 1, "change"}} {
		if got, _ := annomiTalkProfile(tc.change, tc.sustain, 7); got != tc.want {
			t.Errorf("annomiTalkProfile(%d, %d) = %s, want %s", tc.change, tc.sustain, got, tc.want)
		}
	}
}

func TestAnnomiMalformedRows(t *testing.T) {
	dir := t.TempDir()
	head := "transcript_id,mi_quality,video_title,video_url,topic,utterance_id,interlocutor,timestamp,utterance_text,main_therapist_behaviour,client_talk_type\n"
	personaWrite(t, dir, "AnnoMI-simple.csv", head+
		"0,high,t,u,smoking cessation ,0,therapist,00:00:01,How are you?,question,n/a\n"+ // line 2
		"0,high,t,u,smoking cessation ,1,client,00:00:02,Not great.,n/a,sustain\n"+ // line 3
		"0,high,t,u,smoking cessation ,x,therapist,00:00:03,Tell me more.,question,n/a\n"+ // line 4: bad id
		"0,high,t,u,smoking cessation ,3,narrator,00:00:04,Later.,n/a,n/a\n"+ // line 5: unknown speaker
		"0,high,t,u,smoking cessation ,4,therapist,00:00:05,   ,other,n/a\n"+ // line 6: empty
		"0,high,t,u,smoking cessation ,5,therapist,00:00:06,I hear you.,reflection,n/a\n"+
		"1,low,t,u,weight loss,0,therapist,00:00:01,You must stop.,therapist_input,n/a\n"+ // line 8: no client at all
		"0,high,t,u,smoking cessation ,6,client,00:00:07,Yes.,n/a,change\n") // line 9: transcript 0 again
	recs, rejects := personaLoad(t, annomiSource, dir)
	personaCheck(t, annomiSource, recs, rejects)
	for _, want := range []struct {
		line   int
		reason string
	}{{4, "bad_utterance_id"}, {5, "unknown_interlocutor"}, {6, "empty_utterance"}, {8, "no_assistant_turn"}, {8, "no_client_turn"}, {9, "transcript_not_contiguous"}} {
		if !personaHasReject(rejects, "AnnoMI-simple.csv", want.line, want.reason) {
			t.Errorf("no %s reject at line %d in %+v", want.reason, want.line, rejects)
		}
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records, want transcript 0 as foundation and voice", len(recs))
	}
	found, voice := recs[0], recs[1]
	if found.ID != "annomi-0" || len(found.Messages) != 2 || found.Messages[0].Content != "Not great." ||
		found.Labels["topic"] != "smoking cessation" || found.Labels["mi_quality"] != "high" {
		t.Errorf("foundation record = %+v", found)
	}
	if voice.ID != "annomi-0-client" || len(voice.Messages) != 3 || voice.Messages[1].Content != "How are you?" ||
		voice.Labels["client_talk"] != "sustain" || !strings.Contains(voice.Messages[0].Content, "smoking cessation") {
		t.Errorf("voice record = %+v", voice)
	}
}
