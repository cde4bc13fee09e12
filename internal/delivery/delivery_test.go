package delivery

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"pixel/internal/datatest"
	"reflect"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMeasure(t *testing.T) {
	// Readability values are worked by hand from the syllable rule:
	// 206.835 - 1.015*words/sentences - 84.6*syllables/words.
	tests := []struct {
		text string
		want Features
	}{
		{"", Features{}},
		{"   \n ... ", Features{}},
		// ok: 1 syllable, 1 word, 1 sentence.
		{"ok", Features{Readability: 206.835 - 1.015 - 84.6, Words: 1, Distinct1: 1, Distinct2: 1}},
		// the cat sat on the mat: 6 words, 6 syllables, 1 sentence; "the" twice.
		{"The cat sat on the mat.", Features{Readability: 206.835 - 1.015*6 - 84.6, Words: 6, Distinct1: 5.0 / 6, Distinct2: 1}},
		// happy(2) people(2, consonant+le keeps its e) smile(1, silent e): 62.79.
		{"Happy people smile.", Features{Readability: 62.79, Words: 3, Distinct1: 1, Distinct2: 1}},
		// hello(2) how(1) are(1) you(1) over 2 sentences (a line break ends one).
		{"hello\nhow are you", Features{Readability: 206.835 - 1.015*2 - 84.6*5/4, Words: 4, Distinct1: 1, Distinct2: 1}},
		// 2 questions; bigrams how-are are-you you-are are-you you-okay: 4 of 5 distinct.
		{"How are you? Are you okay?", Features{Readability: 206.835 - 1.015*3 - 84.6*7/6, Words: 6, Distinct1: 4.0 / 6, Distinct2: 0.8, QuestionsPerTurn: 2}},
		// 9 words, 7 trigrams of which 3 distinct: 4 of 7 repeat an earlier one.
		{"I hear you I hear you I hear you", Features{Readability: 206.835 - 1.015*9 - 84.6, Words: 9, Distinct1: 3.0 / 9, Distinct2: 3.0 / 8, Repetition: 4.0 / 7}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := Measure(tt.text)
			g, w := got.values(), tt.want.values()
			for i := range g {
				if !near(g[i], w[i]) {
					t.Errorf("%s = %v, want %v (all: %+v)", featureNames[i], g[i], w[i], got)
				}
			}
		})
	}
}

func TestSplitCounts(t *testing.T) {
	tests := []struct {
		text                        string
		words, sentences, questions int
	}{
		{"Really?! What??", 2, 2, 2},
		{"Why? ?", 1, 1, 1},
		{"I don't know. I’m here.", 5, 2, 0},
		{"It costs 3.5 dollars", 4, 1, 0},
		{"Wait... what is it?", 4, 2, 1},
		{"no terminator at all", 4, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			w, s, q := split(tt.text)
			if len(w) != tt.words || s != tt.sentences || q != tt.questions {
				t.Errorf("words %d %q, sentences %d, questions %d; want %d, %d, %d", len(w), w, s, q, tt.words, tt.sentences, tt.questions)
			}
		})
	}
}

func TestSyllables(t *testing.T) {
	for w, want := range map[string]int{
		"the": 1, "happy": 2, "people": 2, "table": 2, "smile": 1, "are": 1,
		"hello": 2, "beautiful": 3, "rhythm": 1, "hmm": 1, "3": 1, "you": 1,
	} {
		if got := syllables(w); got != want {
			t.Errorf("syllables(%q) = %d, want %d", w, got, want)
		}
	}
}

func TestECDFAndKS(t *testing.T) {
	s := []float64{1, 2, 2, 3}
	for x, want := range map[float64]float64{0: 0, 1: 0.125, 2: 0.5, 2.5: 0.75, 3: 0.875, 4: 1} {
		if got := ecdf(s, x); !near(got, want) {
			t.Errorf("ecdf(%v) = %v, want %v", x, got, want)
		}
	}
	if got := ecdf(nil, 1); got != 0 {
		t.Errorf("ecdf(nil) = %v, want 0", got)
	}
	tests := []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2, 3}, []float64{1, 2, 3}, 0},
		{[]float64{1, 2}, []float64{3, 4}, 1},
		{[]float64{1, 2, 3}, []float64{2, 3, 4}, 1.0 / 3},
		{[]float64{0, 0, 0, 1}, []float64{0, 1, 1, 1}, 0.5},
		{nil, []float64{1}, 0},
	}
	for _, tt := range tests {
		if got := ks(tt.a, tt.b); !near(got, tt.want) {
			t.Errorf("ks(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// synthText is k distinct one-syllable words in one sentence.
func synthText(k int) string {
	w := make([]string, k)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", i)
	}
	return strings.Join(w, " ") + "."
}

func TestScore(t *testing.T) {
	// 99 texts of 1..99 words: readability falls and length rises with k,
	// every text is fully distinct, unrepeated and asks nothing.
	var texts []string
	for k := 1; k <= 99; k++ {
		texts = append(texts, synthText(k))
	}
	ref := BuildReference(texts)
	if ref.Replies != 99 {
		t.Fatalf("replies = %d, want 99", ref.Replies)
	}
	median := ref.Score(Measure(synthText(50)))
	for name, v := range map[string]float64{"readability": median.Readability, "length": median.Length, "distinct": median.Distinct, "repetition": median.Repetition, "questions": median.Questions, "overall": median.Overall} {
		if v < 0.98 {
			t.Errorf("median text: %s = %v, want ~1", name, v)
		}
	}
	long := ref.Score(Measure(synthText(500)))
	if long.Readability != 0 || long.Length != 0 {
		t.Errorf("500-word text: readability %v, length %v; want 0 (beyond every reference text)", long.Readability, long.Length)
	}
	rep := ref.Score(Measure("ok ok ok ok ok ok ok ok ok ok? ok ok ok ok ok ok ok ok ok ok? ok ok?"))
	if rep.Distinct > 0.05 || rep.Repetition != 0 || rep.Questions != 0 || rep.Overall > 0.5 {
		t.Errorf("repetitive text scores %+v; want distinct, repetition and questions near 0", rep)
	}
	if !near(median.Overall, (median.Readability+median.Length+median.Distinct+median.Repetition+median.Questions)/5) {
		t.Errorf("overall %v is not the mean of the parts %+v", median.Overall, median)
	}
	for _, text := range []string{"", "ok", "?", "!!!", "3.5", "a b"} {
		for _, r := range []Reference{ref, {}, BuildReference(nil)} {
			s := r.Score(Measure(text))
			for _, v := range []float64{s.Readability, s.Length, s.Distinct, s.Repetition, s.Questions, s.Overall} {
				if math.IsNaN(v) || v < 0 || v > 1 {
					t.Errorf("Score(%q) against %d replies = %+v; want every part in 0..1", text, r.Replies, s)
				}
			}
		}
	}
	if s := ref.Score(Measure("")); s != (Scores{}) {
		t.Errorf("empty reply scores %+v, want all zero", s)
	}
}

func TestSaveLoad(t *testing.T) {
	ref := BuildReference([]string{"Hello there.", "How are you feeling today?", "That sounds hard. I hear you.", ""})
	path := filepath.Join(t.TempDir(), "sub", "delivery_reference.json")
	if err := ref.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadReference(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ref) {
		t.Errorf("round trip changed the reference:\n got %+v\nwant %+v", got, ref)
	}
	if _, err := LoadReference(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("LoadReference of a missing file: no error")
	}
	bad := ref
	bad.Samples.Words = []float64{3, 1, 2}
	if err := bad.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadReference(path); err == nil || !strings.Contains(err.Error(), "words") {
		t.Errorf("LoadReference of unsorted words: err = %v, want one naming the feature", err)
	}
}

func TestSplit(t *testing.T) {
	var replies []Reply
	for i := range 400 {
		replies = append(replies, Reply{ConvID: fmt.Sprintf("c%d", i/4), Text: "x"})
	}
	ref, held := Split(replies, 20)
	if len(ref)+len(held) != len(replies) || len(held) < 40 || len(held) > 120 {
		t.Fatalf("split 20%%: %d ref, %d held out of %d", len(ref), len(held), len(replies))
	}
	side := map[string]bool{}
	for _, r := range held {
		side[r.ConvID] = true
	}
	for _, r := range ref {
		if side[r.ConvID] {
			t.Errorf("conversation %s is on both sides", r.ConvID)
		}
	}
	if _, h := Split(replies, 0); len(h) != 0 {
		t.Errorf("split 0%%: %d held out, want 0", len(h))
	}
	if r, _ := Split(replies, 100); len(r) != 0 {
		t.Errorf("split 100%%: %d in ref, want 0", len(r))
	}
}

// TestHumanReference builds the reference from 80% of the real human
// replies (split by conversation) and checks it generalises to the rest.
// All replies are used: loading and scoring them takes under a second.
func TestHumanReference(t *testing.T) {
	replies, err := HumanReplies(context.Background(), datatest.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, r := range replies {
		per[r.Source]++
	}
	if per["esconv"] < 10000 || per["counselchat"] < 1000 {
		t.Fatalf("human replies per source %v; want >= 10000 esconv and >= 1000 counselchat", per)
	}
	refReplies, heldReplies := Split(replies, 20)
	ref := BuildReference(Texts(refReplies))
	v := Validate(ref, Texts(heldReplies))
	t.Logf("replies %v; ref %d, held out %d; KS %v (max %.4f); mean overall ref %.4f, held out %.4f",
		per, v.RefReplies, v.HeldoutReplies, v.KS, v.MaxKS, v.RefMeanOverall, v.HeldoutMeanOverall)
	if v.MaxKS >= 0.1 {
		t.Errorf("max KS %.4f >= 0.1: the reference does not generalise to held-out replies (%v)", v.MaxKS, v.KS)
	}
	if d := math.Abs(v.HeldoutMeanOverall - ref.MeanOverall); d > 0.1 {
		t.Errorf("held-out mean overall %.4f is %.4f from the reference's own %.4f; want within 0.1", v.HeldoutMeanOverall, d, ref.MeanOverall)
	}
	deg := ref.Score(Measure("ok ok ok ok ok ok ok ok ok ok"))
	t.Logf("degenerate reply scores %+v", deg)
	if deg.Overall > v.HeldoutMeanOverall-0.2 {
		t.Errorf("degenerate reply overall %.4f, want at least 0.2 below the held-out human mean %.4f", deg.Overall, v.HeldoutMeanOverall)
	}
}
