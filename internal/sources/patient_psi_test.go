package sources

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPatientPsiProfiles(t *testing.T) {
	profiles, err := PatientPsiProfiles(personaDataRoot(t, "patient_psi"))
	if err != nil {
		t.Fatal(err)
	}
	// DATASETS.md: 3 cognitive models of Abe, each in 6 conversational styles.
	if len(profiles) != 18 {
		t.Fatalf("got %d profiles, want 3 models x 6 styles = 18", len(profiles))
	}
	seen := map[string]bool{}
	for _, p := range profiles {
		if seen[p.ID] {
			t.Errorf("duplicate profile id %s", p.ID)
		}
		seen[p.ID] = true
		for _, part := range []string{"role-playing Abe", "The user is the therapist", "Relevant history: ", "Core beliefs (helpless): ",
			"Intermediate beliefs: ", "Coping strategies: ", "Situation: ", "Automatic thoughts: ", "Emotions: ", "Behavior: ",
			"Conversational style (" + p.Style + "): "} {
			if !strings.Contains(p.SystemPrompt, part) {
				t.Errorf("%s: system prompt lacks %q", p.ID, part)
			}
		}
	}
	if !seen["1-2-reserved"] || !strings.Contains(profiles[0].SystemPrompt, "What if I run out of money?") {
		t.Errorf("profiles do not carry the models' ids and automatic thoughts: %v", seen)
	}
}

func TestPatientPsiRealData(t *testing.T) {
	recs, rejects := personaLoad(t, patientPsiSource, personaDataRoot(t, "patient_psi"))
	personaCheck(t, patientPsiSource, recs, rejects)
	if len(recs) != 1 || len(rejects) != 0 {
		t.Fatalf("got %d records and rejects %+v, want the example transcript as one record", len(recs), rejects)
	}
	c := recs[0]
	if c.ID != "patient_psi-example_transcript-client" || c.Stage != "voice" || c.Persona != "client" {
		t.Errorf("record %s is %s/%s", c.ID, c.Stage, c.Persona)
	}
	// The transcript opens with the therapist and its last client line is
	// "Yeah."; one line has a bare ":" and continues the therapist's turn.
	if c.Messages[1].Content != "Hi. Good to see you again." || c.Messages[len(c.Messages)-1].Content != "Yeah." ||
		c.Labels["untagged_lines"] != "1" {
		t.Errorf("transcript parsed wrongly: first %q, last %q, labels %v", c.Messages[1].Content, c.Messages[len(c.Messages)-1].Content, c.Labels)
	}
	if sys := c.Messages[0].Content; !strings.Contains(sys, "I am incompetent.") || strings.Contains(sys, "Situation: ") {
		t.Errorf("system prompt should carry Abe's background but no single situation: %s", sys)
	}
}

func TestPatientPsiMalformed(t *testing.T) {
	real := personaDataRoot(t, "patient_psi")
	profiles, err := os.ReadFile(filepath.Join(real, "profiles.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	personaWrite(t, dir, "profiles.json", string(profiles))
	personaWrite(t, dir, "example_transcript.txt", "Session notes\n\nTherapist: Hi.\nClient: Hello.\nTherapist: Bye.\n")
	recs, rejects := personaLoad(t, patientPsiSource, dir)
	personaCheck(t, patientPsiSource, recs, rejects)
	if !personaHasReject(rejects, "example_transcript.txt", 1, "untagged_line") || len(recs) != 1 || len(recs[0].Messages) != 3 {
		t.Errorf("want the preamble line rejected and the rest kept: records %+v, rejects %+v", recs, rejects)
	}

	for name, text := range map[string]string{
		"bad json":      `[{"name": "Abe", "id": "1-1", "type": ["plain"]}, {"name": `,
		"unknown style": `[{"name": "Abe", "id": "1-1", "type": ["shouting"]}]`,
		"no id":         `[{"name": "Abe", "type": ["plain"]}]`,
	} {
		bad := t.TempDir()
		personaWrite(t, bad, "profiles.json", text)
		if _, err := PatientPsiProfiles(bad); err == nil || !strings.Contains(err.Error(), "profiles.json line 1") {
			t.Errorf("%s: error %v, want one naming profiles.json line 1", name, err)
		}
	}
}
