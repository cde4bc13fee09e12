package pii

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// found returns the text of each detected span as "TYPE:text".
func found(s *Scrubber, text string) []string {
	var out []string
	for _, sp := range s.Spans(text) {
		out = append(out, sp.Type+":"+text[sp.Start:sp.End])
	}
	return out
}

func TestSpansFindsEachType(t *testing.T) {
	s := New()
	cases := []struct{ text, want string }{
		{"you can email me at jane.doe+notes@gmail.com.", "EMAIL:jane.doe+notes@gmail.com"},
		{"reach me: A.Smith@mail.utoronto.ca", "EMAIL:A.Smith@mail.utoronto.ca"},
		{"call me at (415) 555-0132 tonight", "PHONE:(415) 555-0132"},
		{"my number is 415-555-0132", "PHONE:415-555-0132"},
		{"text 415.555.0132", "PHONE:415.555.0132"},
		{"my number is 4155550132", "PHONE:4155550132"},
		{"ring +44 20 7946 0958 after six", "PHONE:+44 20 7946 0958"},
		{"my mobile is 07700 900123", "PHONE:07700 900123"},
		{"whatsapp +91 98765 43210", "PHONE:+91 98765 43210"},
		{"call +33 6 12 34 56 78", "PHONE:+33 6 12 34 56 78"},
		{"her cell is 555-0199", "PHONE:555-0199"},
		{"see https://www.example.com/path?a=1).", "URL:https://www.example.com/path?a=1"},
		{"my blog is www.quiet-notes.org", "URL:www.quiet-notes.org"},
		{"go to example.com/path for more", "URL:example.com/path"},
		{"it's on mysite.io", "URL:mysite.io"},
		{"link: bit.ly/3xYz", "URL:bit.ly/3xYz"},
		{"follow me @sad_panda92 on insta", "HANDLE:@sad_panda92"},
		{"my reddit is u/throwaway_1234", "HANDLE:u/throwaway_1234"},
		{"posted by /u/quiet_river", "HANDLE:/u/quiet_river"},
		{"add me on snapchat: blue_fox22", "HANDLE:blue_fox22"},
		{"I live at 123 Main Street", "ADDRESS:123 Main Street"},
		{"we moved to 45 oak ave last year", "ADDRESS:45 oak ave"},
		{"it's 1600 Pennsylvania Avenue, Apt 4", "ADDRESS:1600 Pennsylvania Avenue, Apt 4"},
		{"I'm in apartment 12B now", "ADDRESS:apartment 12B"},
		{"send it to P.O. Box 4411", "ADDRESS:P.O. Box 4411"},
		{"I was born on 3/4/1990 in a small town", "DOB:3/4/1990"},
		{"DOB: 1988-11-02", "DOB:1988-11-02"},
		{"my birthday is June 5th", "DOB:June 5th"},
		{"I was born March 3, 1990", "DOB:March 3, 1990"},
		{"date of birth is the 16th of September", "DOB:16th of September"},
		{"born in 1985 and raised here", "DOB:1985"},
		{"my SSN is 123-45-6789", "ID:123-45-6789"},
		{"card 4111 1111 1111 1111 was declined", "ID:4111 1111 1111 1111"},
		{"account number: 0012345678", "ID:0012345678"},
		{"my NHS number is 943 476 5919", "ID:943 476 5919"},
		{"passport number X12345678", "ID:X12345678"},
		{"MRN 00123456", "ID:00123456"},
		{"my name is Sarah", "NAME:Sarah"},
		{"my name is sarah and I feel lost", "NAME:sarah"},
		{"Hi, I'm Thabo.", "NAME:Thabo"},
		{"my husband Zoltan doesn't listen", "NAME:Zoltan"},
		{"my therapist Dr. Okonkwo said it's normal", "NAME:Okonkwo"},
		{"Jessica is mad at me", "NAME:Jessica"},
		{"Hi Priya, thanks for listening", "NAME:Priya"},
		{"my boss, Tomasz Kowalski, yells", "NAME:Tomasz Kowalski"},
		{"I talked to Maximilian about it", "NAME:Maximilian"},
		{"my friend Will keeps calling", "NAME:Will"},
		{"my name is Hope", "NAME:Hope"},
		{"Sarah's mom called", "NAME:Sarah"},
		// names outside the gazetteer, found by context alone
		{"without Xanthe I would be lost", "NAME:Xanthe"},
		{"Zebulon, if you read this, I'm sorry", "NAME:Zebulon"},
		{"my ex-husband Zebulon keeps texting", "NAME:Zebulon"},
		{"Zebulon Quarrington from work keeps texting me", "NAME:Zebulon Quarrington"},
		{"i told my sister xanthe everything", "NAME:xanthe"},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			got := found(s, c.text)
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("Spans(%q) = %v, want [%s]", c.text, got, c.want)
			}
		})
	}
}

func TestSpansLeavesNonPII(t *testing.T) {
	s := New()
	for _, text := range []string{
		"I feel 911% done with everything",
		"please call 988 if you are in crisis",
		"you can text HOME to 741741",
		"the hotline is 1-800-799-7233",
		"the Lifeline used to be 1-800-273-8255",
		"call 911 or go to the ER",
		"Samaritans are on 116 123",
		"it happened on 3/4/2020 at my appointment",
		"I have an exam on March 3, 2021",
		"my birthday is coming up next week",
		"I walked 5 miles down the road",
		"I saw 3 different doctors",
		"I earn $45,000 a year and pay 1,200 rent",
		"from 2019-2020 I was unemployed",
		"I am 25 years old and weigh 180",
		"I went to the 988lifeline.org site",
		"e.g. when I feel low, i.e. most days",
		"I love reddit and r/depression helps",
		"my instagram is private",
		"I", "I think I am doing better",
		"by the grace of God I made it",
		"I will try, and I hope it works",
		"I may go in May",
		"Merry Christmas and Happy New Year!",
		"I'm so tired and miserable.",
		"i am soo stressed",
		"my sister said I should talk to someone",
		"my mom's garage flooded",
		"I watched Netflix and used Zoom on Monday",
		"I moved to San Diego from Texas",
		"thank you so much",
		"I take Lexapro and it helps",
		"meet me @ 5",
		"we visited the Louvre last year",
		"my aunt's garage flooded",
		"Moreover, I lost my job",
	} {
		if got := found(s, text); len(got) != 0 {
			t.Errorf("Spans(%q) = %v, want none", text, got)
		}
	}
}

func TestSpansFindsSeveral(t *testing.T) {
	s := New()
	got := found(s, "I was born in 1981 600-748-9212 is my number, or +61 434 949 789 30th May")
	want := []string{"DOB:1981", "PHONE:600-748-9212", "PHONE:+61 434 949 789"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestScrub(t *testing.T) {
	s := New()
	got, counts := s.Scrub("Hi, I'm Sarah. Email sarah.k@gmail.com or call 415-555-0132, not 988.")
	want := "Hi, I'm [NAME]. Email [EMAIL] or call [PHONE], not 988."
	if got != want {
		t.Errorf("Scrub = %q, want %q", got, want)
	}
	if counts[Name] != 1 || counts[Email] != 1 || counts[Phone] != 1 || len(counts) != 3 {
		t.Errorf("counts = %v", counts)
	}
	if got, counts := s.Scrub("nothing here"); got != "nothing here" || len(counts) != 0 {
		t.Errorf("Scrub of clean text = %q, %v", got, counts)
	}
}

func TestResolveKeepsHigherPriority(t *testing.T) {
	s := New()
	// The email's domain is also a bare domain and its local part holds a
	// name; only the email must remain.
	if got := found(s, "write to thabo.nkosi@example.com"); len(got) != 1 || got[0] != "EMAIL:thabo.nkosi@example.com" {
		t.Errorf("got %v", got)
	}
}

// Random text mixing letters, digits and the punctuation the patterns key
// on must give in-bounds, sorted, non-overlapping spans and never panic.
func TestSpansOnRandomText(t *testing.T) {
	s := New()
	rng := rand.New(rand.NewPCG(7, 7))
	pieces := []string{"a", "Zo", "é", "’s", "'", "-", "@", ".", "/", " ", "  ", ",", "\n", "1", "23", "456", "+", "(", ")", "u/", "www.", ".com", "my name is ", "Dr. ", "born on ", "St", "Apt ", "I"}
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		end := 0
		for _, sp := range s.Spans(text) {
			if sp.Start < end || sp.End <= sp.Start || sp.End > len(text) {
				t.Fatalf("Spans(%q) gave bad span %+v after offset %d", text, sp, end)
			}
			end = sp.End
		}
		s.Scrub(text)
	}
}

func TestCueWordsFit(t *testing.T) {
	for w := range cueTable() {
		if len(w) > maxCueLen {
			t.Errorf("cue word %q is longer than maxCueLen=%d; raise it", w, maxCueLen)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New()
	texts := []string{
		"my name is Sarah and my number is 415-555-0132",
		"I live at 123 Main Street, email me at a.b@c.com",
		"born on 3/4/1990, SSN 123-45-6789",
	}
	want := make([]string, len(texts))
	for i, x := range texts {
		want[i], _ = s.Scrub(x)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 200 {
				i := (g + k) % len(texts)
				if got, _ := s.Scrub(texts[i]); got != want[i] {
					t.Errorf("goroutine %d: Scrub(%q) = %q, want %q", g, texts[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkScrub(b *testing.B) {
	texts := esconvUtterances(b, "hf_split_valid.jsonl", 2000)
	text := strings.Join(texts, "\n")
	s := New()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		for _, x := range texts {
			s.Scrub(x)
		}
	}
}
