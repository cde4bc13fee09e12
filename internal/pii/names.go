package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cue words. A cue before or after a word is what makes an unknown
// capitalised word a name, and what lets a name be written in lowercase.
var (
	titles    = setOf("dr", "mr", "mrs", "ms", "mx", "prof", "professor", "rev", "reverend", "pastor", "rabbi", "imam", "coach", "officer", "judge", "nurse", "sir", "dame", "lady", "lord", "captain", "sergeant", "detective", "saint")
	relations = setOf("husband", "wife", "son", "daughter", "friend", "bestie", "bff", "bf", "gf", "boyfriend", "girlfriend", "partner", "fiance", "fiancee", "fiancé", "fiancée", "spouse", "hubby",
		"boss", "manager", "supervisor", "therapist", "counselor", "counsellor", "psychiatrist", "psychologist", "doctor", "teacher", "professor", "tutor", "mentor",
		"coworker", "co-worker", "colleague", "roommate", "flatmate", "housemate", "neighbor", "neighbour", "classmate", "landlord", "landlady",
		"brother", "sister", "sibling", "mom", "mum", "mother", "dad", "father", "stepmom", "stepdad", "stepmother", "stepfather", "stepson", "stepdaughter", "stepsister", "stepbrother",
		"cousin", "aunt", "auntie", "aunty", "uncle", "niece", "nephew", "grandma", "grandpa", "grandmother", "grandfather", "granny", "grandson", "granddaughter",
		"ex", "kid", "child", "baby", "toddler", "crush", "buddy", "pal", "mate", "sis", "bro", "twin", "babysitter", "ceo", "principal")
	vocatives  = setOf("hi", "hello", "hey", "hiya", "heya", "dear", "thanks", "thx", "bye", "goodbye", "cheers", "congrats", "welcome", "morning", "evening")
	weakBefore = setOf("with", "and", "to", "from", "for", "about", "told", "tell", "tells", "telling", "asked", "ask", "asking", "met", "meet", "meeting",
		"call", "calling", "text", "texted", "texting", "love", "loves", "loved", "miss", "missed", "saw", "see", "seeing", "visit", "visited", "visiting",
		"hug", "hugged", "trust", "trusted", "marry", "married", "marrying", "dating", "dated", "date", "invite", "invited", "helped", "blame", "blamed",
		"forgive", "forgave", "ignore", "ignored", "thank", "thanked", "lost", "kissed", "kiss", "hate", "hated", "dumped", "divorced", "divorcing",
		"than", "unlike", "or", "but", "ask", "like", "hurt", "believe", "contact", "contacted", "emailed", "messaged")
	strongAfter = setOf("said", "says", "told", "tells", "asked", "asks", "texted", "called", "yelled", "screamed", "replied", "answered", "responded",
		"promised", "admitted", "explained", "insisted", "cheated", "dumped", "messaged", "emailed", "suggested", "thinks", "wants", "keeps")
	weakAfter = setOf("is", "was", "has", "had", "and", "will", "would", "can", "could", "does", "did", "doesnt", "didnt", "cant", "wont", "isnt", "wasnt",
		"never", "always", "just", "also", "really", "still", "kept", "wanted", "thought", "knows", "knew", "seems", "got", "gets", "made", "makes",
		"loves", "likes", "hates", "left", "broke", "came", "went", "goes", "sent", "feels", "felt", "who", "whos", "isn")
)

var placePrefixes = setOf("san", "santa", "los", "las", "st", "saint", "fort", "port", "mount", "mt", "lake", "el", "la", "palo", "puerto", "costa", "new", "north", "south", "east", "west", "upper", "lower", "cape")

func setOf(ws ...string) set {
	s := make(set, len(ws))
	for _, w := range ws {
		s[w] = true
	}
	return s
}

// nameSpans appends NAME candidates found among the words of a text.
func (s *Scrubber) nameSpans(toks []token, out []Span) []Span {
	isName := make([]bool, len(toks))
	for i := range toks {
		isName[i] = s.nameAt(toks, i)
	}
	// Two adjacent capitalised, name-shaped words that are neither common nor
	// stop words are a full name, cue or not ("Zanele Okafor from work ...").
	for i := 0; i+1 < len(toks); i++ {
		a, b := toks[i], toks[i+1]
		if a.cap && b.cap && b.singleGap && s.pairWord(a) && s.pairWord(b) {
			isName[i], isName[i+1] = true, true
		}
	}
	for i := 0; i < len(toks); i++ {
		if !isName[i] {
			continue
		}
		j := i
		for j+1 < len(toks) && toks[j+1].singleGap && (isName[j+1] || s.surnameAfter(toks[j], toks[j+1])) {
			j++
		}
		out = append(out, Span{Name, toks[i].start, toks[j].end})
		i = j
	}
	return out
}

// standsAlone reports whether a capitalised word stands alone mid-sentence the way
// a name does: after a lowercase word that is not an article or possessive
// ("the Louvre", "my Realtor"), and before a lowercase word or punctuation.
func standsAlone(toks []token, i int) bool {
	if i == 0 || toks[i-1].cap || determiners[toks[i-1].norm] {
		return false
	}
	n := i + 1
	return n == len(toks) || !toks[n].cap || toks[n].breakGap || selfWords[toks[n].norm]
}

// selfWords are the capitalised forms of "I", which do not make a title-case run.
var selfWords = setOf("i", "im", "ive", "id", "ill")

var determiners = setOf("the", "a", "an", "this", "that", "these", "those", "my", "your", "our", "his", "her", "their", "its", "some", "any", "every", "each", "no", "of", "in", "at", "on")

// pairWord reports whether t can be one half of a two-word name found by
// shape alone: capitalised, not a common or stop word, name-shaped.
func (s *Scrubber) pairWord(t token) bool {
	g := s.names
	return plausible(t.norm) && !g.isCommon(t.norm) && (g.isName(t.norm) || !wordShape(t.norm))
}

// surnameAfter reports whether next continues the name that ends at prev.
func (s *Scrubber) surnameAfter(prev, next token) bool {
	g := s.names
	if g.stop[next.norm] {
		return false
	}
	if next.cap {
		return !g.isCommon(next.norm) || g.last[next.norm]
	}
	// lowercase text: "my name is sarah okafor."
	return !prev.cap && !g.isCommon(next.norm) && (g.last[next.norm] || next.punctAfter && plausible(next.norm) && !lowerShape(next.norm))
}

// plausible rejects what cannot be a name: one letter, digits or symbols,
// and stretched words ("sooo", "Mmm").
func plausible(w string) bool {
	if utf8.RuneCountInString(w) < 2 {
		return false
	}
	var p1, p2 rune
	for _, r := range w {
		if !unicode.IsLetter(r) && r != '-' || r == p1 && r == p2 {
			return false
		}
		p1, p2 = r, p1
	}
	return true
}

// Word endings that mark an unknown word as an ordinary noun or adjective
// rather than a name. wordShape is for capitalised words ("Horticulture",
// "Veterans"); lowerShape adds the endings of verbs and adjectives, which
// lowercase text is full of ("i am miserable").
var (
	nounEndings  = []string{"tion", "sion", "ment", "ness", "ity", "ism", "ist", "ology", "ics", "ship", "hood", "able", "ible", "ous", "ful", "less", "ive", "ware"}
	lowerEndings = []string{"ed", "ing", "ly", "al", "ic", "ent", "ant", "ish", "ory", "ary", "ate", "ance", "ence", "er", "est", "ies"}
)

func wordShape(w string) bool {
	for _, e := range nounEndings {
		if strings.HasSuffix(w, e) {
			return true
		}
	}
	// a plural: "Veterans", "Zebras" (but not "Thomas", "Ignatius", "Carlos", and
	// not -es, which too many names end in: "Agnes", "Moses")
	n := len(w)
	return n > 4 && w[n-1] == 's' && strings.IndexByte("suiao", w[n-2]) < 0 && !strings.HasSuffix(w, "es")
}

func lowerShape(w string) bool {
	if wordShape(w) {
		return true
	}
	for _, e := range lowerEndings {
		if strings.HasSuffix(w, e) {
			return true
		}
	}
	return false
}

// nameAt decides whether toks[i] is (the start of) a person name. Cues are
// tried strongest first; a word with no cue is a name only when capitalised
// and either in the gazetteer or next to a person-shaped context.
func (s *Scrubber) nameAt(toks []token, i int) bool {
	g := s.names
	t := toks[i]
	w := t.norm
	if !t.cap && (i == 0 || t.breakGap || toks[i-1].cues&cueBefore == 0) {
		return false // the common case, decided without a lookup
	}
	if g.stop[w] || !plausible(w) {
		return false
	}
	common, known := g.isCommon(w), g.isName(w)
	unknownOK := known || !wordShape(w)           // an unknown capitalised word that looks like a name
	lowerOK := known || !common && !lowerShape(w) // a lowercase word that may be a name
	prev := func(k int) string {                  // k-th word before t, within the sentence
		if i-k < 0 {
			return ""
		}
		for j := i - k + 1; j <= i; j++ {
			if toks[j].breakGap {
				return ""
			}
		}
		return toks[i-k].norm
	}
	next := func(k int) string {
		if i+k >= len(toks) || toks[i+k].breakGap {
			return ""
		}
		return toks[i+k].norm
	}
	before := func(c cue) bool { return i > 0 && !t.breakGap && toks[i-1].cues&c != 0 }
	after := func(c cue) bool { return i+1 < len(toks) && !toks[i+1].breakGap && toks[i+1].cues&c != 0 }
	p1, p2, p3 := prev(1), prev(2), prev(3)
	switch {
	case p2 == "name" && p1 == "is", p2 == "my" && p1 == "name", p2 == "call" && p1 == "me",
		p1 == "named", p2 == "goes" && p1 == "by", p3 == "i" && p2 == "am" && p1 == "called", p2 == "im" && p1 == "called":
		return !common || known // "my name is sarah", "my name is hope"
	case before(cueTitle) && (toks[i-1].cap || p1 == "dr" || p1 == "mr" || p1 == "mrs" || p1 == "ms"):
		return (t.cap || !common) && (!common || known)
	case before(cueRelation) && !toks[i-1].poss:
		if t.cap {
			return (!common || known) && unknownOK
		}
		return !common && lowerOK
	case p1 == "im" || p2 == "i" && p1 == "am" || p2 == "this" && p1 == "is":
		if t.cap {
			return !common && unknownOK
		}
		return !common && (known || lowerOK && t.punctAfter && p1 != "is")
	case before(cueVocative) || p2 == "thank" && p1 == "you":
		return !common && (t.cap && unknownOK || lowerOK)
	}
	if !t.cap || common && !known || !unknownOK {
		return false
	}
	// "San Diego", "Fort Worth": a place name, not a person.
	if i > 0 && t.singleGap && toks[i-1].cap && placePrefixes[p1] {
		return false
	}
	strong := after(cueStrongAfter) || next(1) == "and" && (next(2) == "i" || next(2) == "me")
	switch {
	case known && !common:
		return true
	case !common:
		// mid-sentence on its own, or addressed: "Kianoush, if you read this"
		return strong || !t.sentStart && (before(cueWeakBefore) || after(cueWeakAfter) || standsAlone(toks, i)) || t.sentStart && t.commaAfter
	default: // a name that is also a word: "Will", "Hope", "Grace"
		return strong && !t.sentStart || !t.sentStart && before(cueWeakBefore) && p1 != "and" && p1 != "to" && p1 != "for"
	}
}
