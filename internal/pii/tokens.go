package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of the text.
type token struct {
	start, end int    // byte offsets; a possessive 's is left out of end
	norm       string // lowercase, apostrophes removed: "I'm" -> "im"
	cues       cue    // what this word signals about its neighbours
	poss       bool   // the word had a possessive 's
	cap        bool   // Capitalised (first letter upper, not ALL CAPS)
	sentStart  bool   // first word of a sentence
	breakGap   bool   // a sentence break (.!?\n) lies between this and the previous word
	singleGap  bool   // exactly one space since the previous word
	punctAfter bool   // followed by , . ! ? ; : ) or the end of the text
	commaAfter bool   // followed by a comma
}

// cue is a bit set: the roles a word plays as the neighbour of a name.
type cue uint16

const (
	cueTitle       cue = 1 << iota // Dr. X
	cueRelation                    // my sister X
	cueVocative                    // Hi X
	cueIntro                       // words of "my name is X", "I'm X", "call me X"
	cueWeakBefore                  // told X, with X
	cueStrongAfter                 // X said
	cueWeakAfter                   // X is
	cueHandle                      // instagram, snapchat ...: a handle may follow
	cueStreet                      // street, ave, apt ...: an address may be near

	cueBefore = cueTitle | cueRelation | cueVocative | cueIntro // lets a lowercase word be a name
)

// maxCueLen bounds the length of a cue word ("granddaughter"), so longer
// words skip the lookup; TestCueWordsFit checks it.
const maxCueLen = 16

// cueTable maps a normalised word to its cues; built once in New.
func cueTable() map[string]cue {
	m := map[string]cue{}
	add := func(c cue, s set) {
		for w := range s {
			m[w] |= c
		}
	}
	add(cueTitle, titles)
	add(cueRelation, relations)
	for w := range relations {
		m["ex-"+w] |= cueRelation // ex-husband
	}
	add(cueVocative, vocatives)
	add(cueIntro, setOf("name", "is", "my", "me", "named", "by", "called", "im", "am", "you", "this"))
	add(cueWeakBefore, weakBefore)
	add(cueStrongAfter, strongAfter)
	add(cueWeakAfter, weakAfter)
	add(cueHandle, setOf(handleCueWords...))
	add(cueStreet, setOf(addressCueWords...))
	return m
}

func isLetterRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r)
}

func decode(s string, i int) (rune, int) {
	if i >= len(s) {
		return utf8.RuneError, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// tokenize splits text into words (letters, with inner apostrophes and
// hyphens) and records the layout around each word.
func tokenize(text string, cues map[string]cue) []token {
	toks := make([]token, 0, len(text)/5)
	prevEnd := 0
	for i := 0; i < len(text); {
		r, sz := decode(text, i)
		if !isLetterRune(r) {
			i += sz
			continue
		}
		start, j := i, i+sz
		for j < len(text) {
			if c := text[j]; c < utf8.RuneSelf { // ASCII fast path
				if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
					j++
					continue
				}
				if (c == '\'' || c == '-') && j+1 < len(text) {
					if r3, _ := decode(text, j+1); isLetterRune(r3) {
						j++
						continue
					}
				}
				break
			}
			r2, sz2 := decode(text, j)
			if isLetterRune(r2) {
				j += sz2
				continue
			}
			if r2 == '’' {
				if r3, _ := decode(text, j+sz2); isLetterRune(r3) {
					j += sz2
					continue
				}
			}
			break
		}
		word, end := text[start:j], j
		if n := len(word); n > 2 && (word[n-1] == 's' || word[n-1] == 'S') {
			if word[n-2] == '\'' {
				word, end = word[:n-2], start+n-2
			} else if strings.HasSuffix(word[:n-1], "’") && n > 4 {
				word, end = word[:n-4], start+n-4
			}
		}
		t := token{start: start, end: end, norm: normalize(word), poss: end < j}
		if len(t.norm) <= maxCueLen {
			t.cues = cues[t.norm]
		}
		t.cap = capitalised(word)
		gap := text[prevEnd:start]
		t.singleGap = gap == " "
		t.breakGap = !t.singleGap && strings.ContainsAny(gap, ".!?\n")
		t.sentStart = len(toks) == 0 || t.breakGap
		if len(toks) > 0 && toks[len(toks)-1].cues&cueTitle != 0 && strings.TrimSpace(gap) == "." {
			t.sentStart, t.breakGap = false, false // "Dr. Okafor"
		}
		k := j
		for k < len(text) && (text[k] == ' ' || text[k] == '\t') {
			k++
		}
		t.punctAfter = k == len(text) || strings.IndexByte(",.!?;:)\n", text[k]) >= 0
		t.commaAfter = k < len(text) && text[k] == ','
		toks = append(toks, t)
		prevEnd, i = j, j
	}
	return toks
}

// capitalised: first letter upper case and some later letter lower case
// (or a single letter), so "Sarah" but not "NHS".
func capitalised(w string) bool {
	first, sz := decode(w, 0)
	if !unicode.IsUpper(first) {
		return false
	}
	if sz == len(w) {
		return true
	}
	for _, r := range w[sz:] {
		if unicode.IsLower(r) {
			return true
		}
	}
	return false
}

// normalize lowercases w and drops apostrophes; plain lowercase ASCII words
// (most of them) are returned as they are, without allocating.
func normalize(w string) string {
	ascii, plain := true, true
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= utf8.RuneSelf:
			ascii, plain = false, false
		case c >= 'A' && c <= 'Z' || c == '\'':
			plain = false
		}
	}
	if plain {
		return w
	}
	if !ascii {
		return strings.Map(func(r rune) rune {
			if r == '\'' || r == '’' {
				return -1
			}
			return unicode.ToLower(r)
		}, w)
	}
	b := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		if c := w[i]; c != '\'' {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
	}
	return string(b)
}
