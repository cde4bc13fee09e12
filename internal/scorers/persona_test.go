package scorers

import "testing"

func TestWordsMajority(t *testing.T) {
	ex := func(text, label string) Example {
		return Example{Texts: map[string]string{"text": text}, Label: label}
	}
	train := []Example{
		ex("Mm-hmm.", "therapist"), ex("mm-hmm", "therapist"), ex("Mm-hmm", "client"),
		ex("Yeah.", "client"), ex("Yeah!", "client"), ex("Okay.", "client"),
		// Long turns are not counted, even when they repeat.
		ex("So what brings you here today?", "therapist"), ex("So what brings you here today?", "therapist"),
		ex("So what brings you here today?", "therapist"), ex("So what brings you here today?", "therapist"),
	}
	m := wordsMajority(train)
	for text, want := range map[string]string{
		"MM-HMM!": "therapist", // case and punctuation ignored
		"yeah":    "client",
		"Right.":  "client", // unseen: the speaker of most short turns
	} {
		if got := m(text); got != want {
			t.Errorf("majority(%q) = %s, want %s", text, got, want)
		}
	}
	if !shortTurn("Thank you so") || shortTurn("I do not know") {
		t.Error("shortTurn: 1-3 words are short, 4 are not")
	}
	if got := turnWords("  Don't, STOP... now "); got != "don't stop now" {
		t.Errorf("turnWords = %q", got)
	}
}
