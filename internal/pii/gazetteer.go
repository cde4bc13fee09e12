package pii

import (
	_ "embed"
	"strings"
)

// The name lists, one lowercase entry per line; '#' starts a comment line.
var (
	//go:embed names/first.txt
	firstNamesTxt string
	//go:embed names/last.txt
	lastNamesTxt string
	//go:embed names/common.txt
	commonWordsTxt string
	//go:embed names/stop.txt
	stopWordsTxt string
	//go:embed names/eval_first.txt
	evalFirstTxt string
	//go:embed names/eval_last.txt
	evalLastTxt string
)

type set map[string]bool

func parseList(txt string) []string {
	var out []string
	for _, l := range strings.Split(txt, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func toSet(lists ...string) set {
	s := set{}
	for _, txt := range lists {
		for _, w := range parseList(txt) {
			s[w] = true
		}
	}
	return s
}

// gazetteer is what the name detector knows about words.
type gazetteer struct {
	first, last set // given names and surnames
	common      set // ordinary English words, including name-words like "hope"
	stop        set // capitalised words that are never person names
}

func loadGazetteer() *gazetteer {
	return &gazetteer{
		first:  toSet(firstNamesTxt),
		last:   toSet(lastNamesTxt),
		common: toSet(commonWordsTxt),
		stop:   toSet(stopWordsTxt),
	}
}

// isName reports whether w (lowercase) is a known given name or surname;
// for a hyphenated word, whether any part is ("jean-luc").
func (g *gazetteer) isName(w string) bool {
	if g.first[w] || g.last[w] {
		return true
	}
	if strings.Contains(w, "-") {
		for _, p := range strings.Split(w, "-") {
			if g.first[p] || g.last[p] {
				return true
			}
		}
	}
	return false
}

// isCommon reports whether w (lowercase) is an ordinary English word: listed,
// or an inflection of a listed word (worried, tries, talking, quickly). Known
// names are only common when listed, so "parker" is not "park" + "er".
func (g *gazetteer) isCommon(w string) bool {
	if g.common[w] || g.stop[w] {
		return true
	}
	if strings.Contains(w, "-") {
		for _, p := range strings.Split(w, "-") {
			if p != "" && !g.isCommon(p) {
				return false
			}
		}
		return true
	}
	if g.first[w] || g.last[w] || len(w) < 4 {
		return false
	}
	var buf [64]byte
	for _, r := range suffixRules {
		stem, ok := strings.CutSuffix(w, r.suffix)
		if !ok || len(stem) < 2 || len(stem)+len(r.add) > len(buf) {
			continue
		}
		b := append(append(buf[:0], stem...), r.add...)
		if g.common[string(b)] { // no allocation: the compiler looks up []byte keys in place
			return true
		}
		if r.add == "" && len(stem) > 2 && stem[len(stem)-1] == stem[len(stem)-2] && g.common[stem[:len(stem)-1]] {
			return true // stopped, running
		}
	}
	return false
}

// suffixRules undo common inflections: stem + add must be a listed word.
var suffixRules = []struct{ suffix, add string }{
	{"ies", "y"}, {"ied", "y"}, {"ier", "y"}, {"iest", "y"}, {"ily", "y"}, {"iness", "y"},
	{"s", ""}, {"es", ""}, {"ed", ""}, {"ed", "e"}, {"d", ""}, {"ing", ""}, {"ing", "e"},
	{"ly", ""}, {"er", ""}, {"er", "e"}, {"est", ""}, {"ness", ""}, {"ful", ""}, {"less", ""},
	{"ment", ""}, {"able", ""}, {"ish", ""}, {"ity", ""}, {"ive", ""}, {"ion", ""}, {"ion", "e"},
	{"al", ""}, {"y", ""}, {"n't", ""},
}
