package sources

import (
	"strings"
	"testing"
)

func TestSyntheticPersonaChatRealData(t *testing.T) {
	recs, rejects := personaLoad(t, syntheticPersonaChatSource, personaDataRoot(t, "synthetic_persona_chat"))
	personaCheck(t, syntheticPersonaChatSource, recs, rejects)
	kinds, reasons := personaCount(recs, rejects)
	// DATASETS.md: 1,000 valid + 968 test conversations. Three cannot be
	// parsed safely (valid row 483 opens with untagged text, test row 320
	// has no speaker tags, test row 510 is empty).
	if len(recs)+len(rejects) != 1968 {
		t.Errorf("%d records + %d rejects, want 1,968 conversations", len(recs), len(rejects))
	}
	if kinds["voice/therapist"] != 1965 || len(kinds) != 1 {
		t.Errorf("records by stage/persona = %v, want 1965 voice/therapist", kinds)
	}
	if reasons["untagged_preamble"] != 1 || reasons["no_speaker_tags"] != 1 || reasons["empty_conversation"] != 1 || len(reasons) != 3 {
		t.Errorf("rejects = %v", reasons)
	}
	split := map[string]int{}
	for _, c := range recs {
		split[c.Labels["split"]]++
		if c.Labels["kind"] != "persona_consistency" || !strings.HasPrefix(c.Messages[0].Content, "You are speaking as this persona:\n") {
			t.Errorf("%s: labels %v or system prompt wrong", c.ID, c.Labels)
		}
		for _, m := range c.Messages[1:] {
			if strings.HasPrefix(m.Content, "User 1:") || strings.HasPrefix(m.Content, "User 2:") || strings.HasPrefix(m.Content, "*") {
				t.Errorf("%s: speaker tag left in a turn", c.ID)
				break
			}
		}
	}
	if split["valid"] != 999 || split["test"] != 966 {
		t.Errorf("records by split = %v, want valid 999, test 966", split)
	}
}

func TestSyntheticPersonaChatDialogue(t *testing.T) {
	for _, tc := range []struct {
		name, conv string
		want       []string // role:content after the system prompt
		reason     string
	}{
		{"plain", "User 1: Hi!\nUser 2: Hello!\nUser 1: Bye.", []string{"user:Hi!", "assistant:Hello!"}, ""},
		{"markdown tags", "*User 1:* Hi!\n\n*User 2:* Hello! *", []string{"user:Hi!", "assistant:Hello!"}, ""},
		{"continuation and merge", "* * *\nUser 2: Hey.\nUser 1: Recipe:\n1 egg\nUser 1: Enjoy.\nUser 2: Thanks!",
			[]string{"user:Recipe:\n1 egg\nEnjoy.", "assistant:Thanks!"}, ""},
		{"preamble", "Hi there!\nUser 2: Hello!", nil, "untagged_preamble"},
		{"no tags", "Hi!\n\nHello!", nil, "no_speaker_tags"},
		{"only decoration", "* * *", nil, "no_speaker_tags"},
		{"empty", "  ", nil, "empty_conversation"},
		{"no answer", "User 1: Hi!\nUser 1: Anyone?", nil, "no_assistant_turn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, reason, _ := spcDialogue(tc.conv)
			if reason != tc.reason {
				t.Fatalf("reason %q, want %q", reason, tc.reason)
			}
			var got []string
			for _, m := range msgs {
				got = append(got, m.Role+":"+m.Content)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSyntheticPersonaChatMalformedRows(t *testing.T) {
	dir := t.TempDir()
	head := "user 1 personas,user 2 personas,Best Generated Conversation\n"
	personaWrite(t, dir, "Synthetic-Persona-Chat_valid.csv", head+
		"I bake.,I knit.,\"User 1: Hi!\nUser 2: Hello!\"\n"+ // line 2
		"I bake.,,\"User 1: Hi!\nUser 2: Hello!\"\n"+ // line 4: no persona
		"I bake.,I knit.,\"Hello?\nUser 2: Hi.\"\n") // line 6: untagged preamble
	personaWrite(t, dir, "Synthetic-Persona-Chat_test.csv", head+"I bake.,I knit.,\n") // line 2: empty
	recs, rejects := personaLoad(t, syntheticPersonaChatSource, dir)
	personaCheck(t, syntheticPersonaChatSource, recs, rejects)
	for _, want := range []struct {
		file   string
		line   int
		reason string
	}{{"_valid.csv", 4, "missing_persona"}, {"_valid.csv", 6, "untagged_preamble"}, {"_test.csv", 2, "empty_conversation"}} {
		if !personaHasReject(rejects, want.file, want.line, want.reason) {
			t.Errorf("no %s reject at %s line %d in %+v", want.reason, want.file, want.line, rejects)
		}
	}
	if len(recs) != 1 || recs[0].ID != "synthetic_persona_chat-valid-0" || recs[0].Messages[0].Content != "You are speaking as this persona:\nI knit." {
		t.Errorf("records = %+v", recs)
	}
}
