package pii

import (
	"slices"
	"strings"
)

// patternSpans appends the candidates of every patterned type. Cheap byte
// checks skip the regular expressions a text cannot match (most chat lines
// have no '@' and few digits), which is where the speed comes from.
func (s *Scrubber) patternSpans(text string, toks []token, out []Span) []Span {
	digits, at, dotLetter, upperDigit := 0, false, false, false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= '0' && c <= '9':
			digits++
			upperDigit = upperDigit || i > 0 && text[i-1] >= 'A' && text[i-1] <= 'Z' // a UK postcode
		case c == '@':
			at = true
		case c == '.' && i > 0 && i+1 < len(text) && isAlnum(text[i-1]) && isAlnum(text[i+1]):
			dotLetter = true
		}
	}
	lower := ""
	if digits > 0 || dotLetter || strings.Contains(text, "u/") {
		lower = strings.ToLower(text)
	}
	if at {
		out = s.emails(text, out)
	}
	if dotLetter {
		out = s.urls(text, out)
	}
	if at || strings.Contains(text, "u/") || slices.ContainsFunc(toks, func(t token) bool { return t.cues&cueHandle != 0 }) {
		out = s.handles(text, out)
	}
	if digits >= 5 {
		out = s.ids(text, out)
	}
	if digits >= 7 {
		out = s.phones(text, lower, out)
	}
	if digits > 0 {
		if hasAny(lower, dobCues) {
			out = s.dobs(text, out)
		}
		if upperDigit || slices.ContainsFunc(toks, func(t token) bool { return t.cues&cueStreet != 0 }) {
			out = s.addresses(text, lower, out)
		}
	}
	return out
}

var (
	// addressCueWords: without one of these no address pattern but the UK postcode matches.
	addressCueWords = append([]string{"apt", "apartment", "suite", "flat", "box"}, streetSuffixes...)
	// handleCueWords are the words after which handleCue looks for a handle.
	handleCueWords = []string{"insta", "instagram", "ig", "snap", "snapchat", "twitter", "tiktok", "discord", "kik", "telegram", "twitch", "reddit", "threads", "tumblr"}
	dobCues        = []string{"born", "dob", "d.o.b", "birth", "bday", "b-day"}
)

func hasAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (s *Scrubber) emails(text string, out []Span) []Span {
	for _, m := range s.re.email.FindAllStringIndex(text, -1) {
		e := m[1]
		for e > m[0] && text[e-1] == '.' {
			e--
		}
		out = append(out, Span{Email, m[0], e})
	}
	return out
}

func (s *Scrubber) urls(text string, out []Span) []Span {
	for _, m := range s.re.urlScheme.FindAllStringIndex(text, -1) {
		if e := trimURL(text, m[0], m[1]); !domainAllowed(text[m[0]:e]) {
			out = append(out, Span{URL, m[0], e})
		}
	}
	for _, m := range s.re.urlBare.FindAllStringSubmatchIndex(text, -1) {
		st, e := m[0], trimURL(text, m[0], m[1])
		if st > 0 && strings.IndexByte("@./", text[st-1]) >= 0 {
			continue // part of an email or of a URL found above
		}
		u := text[st:e]
		if m[2] >= 0 && ambiguousTLD[strings.ToLower(text[m[2]:m[3]])] &&
			!strings.Contains(u, "/") && strings.Count(u, ".") < 2 {
			continue
		}
		if !domainAllowed(u) {
			out = append(out, Span{URL, st, e})
		}
	}
	return out
}

func (s *Scrubber) handles(text string, out []Span) []Span {
	for _, m := range s.re.handleAt.FindAllStringIndex(text, -1) {
		if m[0] > 0 && (isAlnum(text[m[0]-1]) || strings.IndexByte("._@/", text[m[0]-1]) >= 0) {
			continue // inside an email or URL
		}
		if m[1]-m[0] < 3 || !strings.ContainsAny(text[m[0]+1:m[1]], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			continue // "@ 5", "@2pm"
		}
		out = append(out, Span{Handle, m[0], m[1]})
	}
	for _, m := range s.re.handleReddit.FindAllStringIndex(text, -1) {
		if m[0] > 0 && text[m[0]] != '/' && (isAlnum(text[m[0]-1]) || text[m[0]-1] == '/') {
			continue
		}
		out = append(out, Span{Handle, m[0], m[1]})
	}
	for _, m := range s.re.handleCue.FindAllStringSubmatchIndex(text, -1) {
		v := text[m[6]:m[7]]
		lv := strings.ToLower(v)
		if s.names.isCommon(lv) || s.names.stop[lv] {
			continue // "my instagram is private"
		}
		// A bare word needs "username"/"handle" or a colon: "tiktok is addictive" is an opinion.
		if !strings.ContainsAny(v, "0123456789_.") && m[2] < 0 && !strings.Contains(text[m[4]:m[5]], ":") {
			continue
		}
		out = append(out, Span{Handle, m[6], m[7]})
	}
	return out
}

// hotlineCues before a number mark it as a service line ("the local crisis
// center is 719-..."), which is not personal data.
var hotlineCues = []string{"crisis line", "crisis center", "crisis centre", "crisis team", "hotline", "helpline", "help line", "lifeline", "samaritans", "text line"}

func (s *Scrubber) phones(text, lower string, out []Span) []Span {
	// Matches are scanned one at a time so that a rejected one (glued to a
	// year: "born in 1981 600-748-9212") does not hide the number after it.
	for pos := 0; pos < len(text); {
		m := s.re.phone.FindStringIndex(text[pos:])
		if m == nil {
			break
		}
		st, e := pos+m[0], pos+m[1]
		e = trimPhone(text, st, e)
		for e > st && e < len(text) && isAlnum(text[e]) { // "+61 434 949 789 30th": drop the last group
			k := strings.LastIndexAny(text[st:e], " .-")
			if k <= 0 {
				e = st
				break
			}
			e = trimPhone(text, st, st+k)
		}
		if e <= st || !bounded(text, st, e) {
			pos = st + 1
			continue
		}
		// A hotline keeps its whole match: its tail is not a number of its own.
		if d := digitsOf(text[st:e]); len(d) >= 7 && len(d) <= 15 && !publicNumber(d) && !hasAny(lower[max(0, st-25):st], hotlineCues) {
			out = append(out, Span{Phone, st, e})
		}
		pos = e
	}
	return out
}

// trimPhone drops separators at the end of a phone match.
func trimPhone(text string, st, e int) int {
	for e > st && !isAlnum(text[e-1]) && text[e-1] != ')' {
		e--
	}
	return e
}

func (s *Scrubber) ids(text string, out []Span) []Span {
	for _, m := range s.re.ssn.FindAllStringSubmatchIndex(text, -1) {
		if text[m[2]:m[3]] == text[m[4]:m[5]] { // same separator twice: 123-45-6789
			out = append(out, Span{ID, m[0], m[1]})
		}
	}
	for _, m := range s.re.card.FindAllStringIndex(text, -1) {
		d := digitsOf(text[m[0]:m[1]])
		if len(d) >= 13 && len(d) <= 19 && luhn(d) && (m[0] == 0 || text[m[0]-1] != '+') {
			out = append(out, Span{ID, m[0], m[1]})
		}
	}
	for _, m := range s.re.labelledID.FindAllStringSubmatchIndex(text, -1) {
		st, e := m[2], m[3]
		if len(digitsOf(text[st:e])) >= 5 && bounded(text, st, e) {
			out = append(out, Span{ID, st, e})
		}
	}
	return out
}

func (s *Scrubber) dobs(text string, out []Span) []Span {
	for _, m := range s.re.dob.FindAllStringSubmatchIndex(text, -1) {
		out = append(out, Span{DOB, m[2], m[3]})
	}
	return out
}

func (s *Scrubber) addresses(text, lower string, out []Span) []Span {
	for _, m := range s.re.address.FindAllStringSubmatchIndex(text, -1) {
		if s.streetWordsOK(text[m[2]:m[3]]) {
			e := m[1]
			for e > m[0] && (text[e-1] == ',' || text[e-1] == ' ') {
				e--
			}
			out = append(out, Span{Address, m[0], e})
		}
	}
	for _, m := range s.re.apartment.FindAllStringIndex(text, -1) {
		out = append(out, Span{Address, m[0], m[1]})
	}
	if strings.Contains(lower, "box") {
		for _, m := range s.re.poBox.FindAllStringIndex(text, -1) {
			out = append(out, Span{Address, m[0], m[1]})
		}
	}
	for _, m := range s.re.ukPostcode.FindAllStringIndex(text, -1) {
		out = append(out, Span{Address, m[0], m[1]})
	}
	return out
}

// streetWordsOK checks the words between a house number and a street
// suffix: no function words or units, and each word is a street-like name
// (capitalised, a known street word, or not a common English word).
func (s *Scrubber) streetWordsOK(words string) bool {
	for _, w := range strings.Fields(words) {
		lw := strings.ToLower(strings.TrimRight(w, "."))
		if addressStop[lw] {
			return false
		}
		if w[0] >= 'A' && w[0] <= 'Z' || w[0] >= '0' && w[0] <= '9' || streetWords[lw] { // Baker, 5th, main
			continue
		}
		if s.names.isCommon(lw) {
			return false
		}
	}
	return true
}

// streetWords are common street names that are also ordinary words, so a
// lowercase "123 main street" still counts.
var streetWords = map[string]bool{
	"main": true, "oak": true, "elm": true, "pine": true, "maple": true, "cedar": true, "park": true,
	"church": true, "high": true, "mill": true, "lake": true, "hill": true, "river": true, "spring": true,
	"market": true, "school": true, "station": true, "bridge": true, "water": true, "forest": true,
	"sunset": true, "north": true, "south": true, "east": true, "west": true, "first": true, "second": true,
	"third": true, "new": true, "old": true, "king": true, "queen": true, "center": true, "centre": true,
	"walnut": true, "chestnut": true, "cherry": true, "willow": true, "birch": true, "washington": true,
	"college": true, "green": true, "meadow": true, "ridge": true, "valley": true, "view": true, "long": true,
}
