// Package delivery scores how a counsellor-style reply is delivered, not what
// it says: readability, length, lexical variety, repetition and how many
// questions it asks. Each raw measure (Measure) is mapped to 0..1 against the
// distribution of real human counsellors' replies (ESConv supporter turns and
// CounselChat therapist answers, see HumanReplies), held in a Reference.
//
// Mapping to 0..1 (Reference.Score). ECDF(x) is the share of reference
// replies below x plus half the share equal to x (mid-ranks, so ties, common
// for question counts, sit in the middle of their step):
//
//   - two-sided measures, where both too little and too much are off
//     (readability, word count, questions per turn): typicality
//     1 - 2*|ECDF(x) - 0.5|. The human median scores 1, the human extremes
//     about 1/n and values outside the human range 0.
//   - distinct-n, higher is better up to the human median:
//     min(1, 2*e) with e the mean of the distinct_1 and distinct_2 ECDFs.
//   - repetition, lower is better down to the human median:
//     min(1, 2*(1-ECDF(x))).
//   - overall: the mean of the five parts.
//
// An empty reply (no words) scores 0 on every part; no measure or score is
// ever NaN. Delivery is a deterministic measure, so its validity figure is
// how well the reference generalises to held-out human replies (Validate):
// the Kolmogorov–Smirnov distance per feature and the held-out mean score.
package delivery

import (
	"strings"
	"unicode"
)

// Features are raw measurements of one reply.
type Features struct {
	// Readability is the Flesch reading ease:
	// 206.835 - 1.015*(words/sentences) - 84.6*(syllables/words).
	// Syllables are counted by a vowel-group heuristic (see syllables), not a
	// dictionary; sentences are runs of . ! ? … or a line break after words,
	// plus trailing words without a terminator. 0 for an empty reply.
	Readability float64 `json:"readability"`
	// Words is the word count (the "length band"). A word is a run of
	// letters, digits and inner apostrophes.
	Words float64 `json:"words"`
	// Distinct1 is distinct unigrams / unigrams, case-folded.
	Distinct1 float64 `json:"distinct_1"`
	// Distinct2 is distinct bigrams / bigrams; 1 for a one-word reply
	// (nothing can repeat).
	Distinct2 float64 `json:"distinct_2"`
	// Repetition is the share of word 3-grams that repeat an earlier 3-gram
	// of the reply: 1 - distinct 3-grams / 3-grams. 0 below three words.
	Repetition float64 `json:"repetition"`
	// QuestionsPerTurn is the number of questions in the reply: sentences
	// whose terminator run holds a '?'.
	QuestionsPerTurn float64 `json:"questions_per_turn"`
}

// featureNames are the JSON names of Features, in the order of values.
var featureNames = []string{"readability", "words", "distinct_1", "distinct_2", "repetition", "questions_per_turn"}

// values lists f in featureNames order.
func (f Features) values() []float64 {
	return []float64{f.Readability, f.Words, f.Distinct1, f.Distinct2, f.Repetition, f.QuestionsPerTurn}
}

// Measure computes the features of one reply.
func Measure(text string) Features {
	words, sentences, questions := split(text)
	if len(words) == 0 {
		return Features{}
	}
	syl := 0
	for _, w := range words {
		syl += syllables(w)
	}
	n := float64(len(words))
	return Features{
		Readability:      206.835 - 1.015*n/float64(sentences) - 84.6*float64(syl)/n,
		Words:            n,
		Distinct1:        distinct(words, 1),
		Distinct2:        distinct(words, 2),
		Repetition:       1 - distinct(words, 3),
		QuestionsPerTurn: float64(questions),
	}
}

// split returns the lower-cased words of text, its sentence count (at least 1
// when there are words) and its question count.
func split(text string) (words []string, sentences, questions int) {
	var word strings.Builder
	open := false  // words seen since the last sentence end
	inEnd := false // inside the terminator run that ended a sentence
	asked := false // that run already counted a question
	flush := func() {
		if word.Len() > 0 {
			words = append(words, word.String())
			word.Reset()
			open = true
		}
	}
	rs := []rune(text)
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word.WriteRune(unicode.ToLower(r))
			inEnd = false
		case (r == '\'' || r == '’') && word.Len() > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]):
			word.WriteRune('\'') // don't, I’m: one word
		case r == '.' && word.Len() > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i+1]) && unicode.IsDigit(rs[i-1]):
			word.WriteRune('.') // 3.5 is one word, not a sentence end
		case r == '.' || r == '!' || r == '?' || r == '…' || r == '\n':
			flush()
			if open {
				sentences++
				open, inEnd, asked = false, true, false
			}
			if inEnd && r == '?' && !asked {
				questions++ // "why?", "really!?" and "what??" are one question each
				asked = true
			}
		default:
			flush()
			inEnd = false
		}
	}
	flush()
	if open {
		sentences++
	}
	return words, sentences, questions
}

// syllables estimates a word's syllables: the number of vowel groups
// (a e i o u y), less one for a silent final 'e' (not in a consonant+"le"
// ending such as "people"), and at least 1.
func syllables(w string) int {
	n, prev := 0, false
	rs := []rune(w)
	for _, r := range rs {
		v := strings.ContainsRune("aeiouy", r)
		if v && !prev {
			n++
		}
		prev = v
	}
	if k := len(rs); n > 1 && k >= 2 && rs[k-1] == 'e' && !strings.ContainsRune("aeiouy", rs[k-2]) {
		if !(rs[k-2] == 'l' && k >= 3 && !strings.ContainsRune("aeiouy", rs[k-3])) {
			n--
		}
	}
	return max(n, 1)
}

// distinct is distinct n-grams / n-grams of words: 1 when the reply has
// words but no n-gram (too short to repeat anything).
func distinct(words []string, n int) float64 {
	total := len(words) - n + 1
	if total <= 0 {
		return 1
	}
	seen := make(map[string]struct{}, total)
	for i := 0; i < total; i++ {
		seen[strings.Join(words[i:i+n], "\x00")] = struct{}{}
	}
	return float64(len(seen)) / float64(total)
}
