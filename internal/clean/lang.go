package clean

import (
	"unicode"

	"github.com/abadojack/whatlanggo"
)

const (
	// MinLetters is the length below which English does not judge a text:
	// "ok thanks" is too short for any trigram detector.
	MinLetters = 20
	// RivalConfidence is how sure the detector must be that a text is in
	// another language, head to head against English, before English says
	// no. Measured on ESConv's 22k English turns one by one: 0.9 rejects 3.6%
	// of turns with 20-60 letters, 0.3% of those with 60-150 and none longer,
	// and catches all 18 test sentences in 12 other languages.
	RivalConfidence = 0.9
)

// candidates are the languages English is told apart from: widely written
// ones that scraped forums and translated datasets actually carry. Left to
// all 84 of whatlanggo's languages, short English is often taken for
// Haitian Creole, Afrikaans or Nynorsk ("Hello, how are you? What would you
// like to talk about today?" is Haitian Creole at 0.92); with this list the
// false rejections of short English turns drop by a quarter. A text in a
// language not listed is judged against its nearest listed neighbour.
var candidates = whatlanggo.Options{Whitelist: map[whatlanggo.Lang]bool{
	whatlanggo.Eng: true, whatlanggo.Spa: true, whatlanggo.Por: true, whatlanggo.Fra: true,
	whatlanggo.Deu: true, whatlanggo.Ita: true, whatlanggo.Nld: true, whatlanggo.Pol: true,
	whatlanggo.Tur: true, whatlanggo.Swe: true, whatlanggo.Dan: true, whatlanggo.Nob: true,
	whatlanggo.Fin: true, whatlanggo.Ces: true, whatlanggo.Ron: true, whatlanggo.Hun: true,
	whatlanggo.Ind: true, whatlanggo.Vie: true, whatlanggo.Tgl: true, whatlanggo.Rus: true,
	whatlanggo.Ukr: true, whatlanggo.Arb: true, whatlanggo.Heb: true, whatlanggo.Hin: true,
	whatlanggo.Pes: true, whatlanggo.Urd: true,
}}

// English reports whether text is English, offline, with whatlanggo's
// trigram detector, and the detector's confidence in the language it named
// (English or the rival), from 0 to 1. Texts with fewer than MinLetters
// letters pass.
//
// whatlanggo's confidence is the margin between its two best languages, so a
// short English sentence often comes out as "eng" with a low confidence, or
// as a near neighbour (Danish, Haitian Creole, Scots) by a hair. Requiring
// "eng with high confidence" would throw such English away. Instead a text
// fails only when its best language is not English and that language still
// beats English clearly when only the two are compared; Spanish or German
// text does that even at sentence length, English almost never.
func English(text string) (bool, float64) {
	best := whatlanggo.DetectWithOptions(text, candidates)
	if letters(text) < MinLetters {
		return true, best.Confidence
	}
	if best.Lang == whatlanggo.Eng {
		return true, best.Confidence
	}
	if best.Lang < 0 { // no candidate writes this script: not English
		return false, 0
	}
	duel := whatlanggo.DetectWithOptions(text, whatlanggo.Options{
		Whitelist: map[whatlanggo.Lang]bool{whatlanggo.Eng: true, best.Lang: true},
	})
	if duel.Lang == whatlanggo.Eng {
		return true, duel.Confidence
	}
	return duel.Confidence < RivalConfidence, duel.Confidence
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}
