// Package pii finds personal data in conversation text and replaces it with
// typed placeholders, offline: regular expressions for the patterned types
// (email, phone, URL, handle, address, date of birth, ID number) and an
// embedded gazetteer plus context cues for person names. Evaluate measures
// it on real text with injected synthetic PII.
package pii

import (
	"slices"
	"strings"
)

// The span types, also the placeholder names: Scrub writes "[EMAIL]" etc.
const (
	Email   = "EMAIL"
	Phone   = "PHONE"
	URL     = "URL"
	Handle  = "HANDLE"
	Address = "ADDRESS"
	DOB     = "DOB"
	ID      = "ID"
	Name    = "NAME"
)

// Types lists every type in priority order: when two detections overlap,
// the earlier type wins (an email's domain is not also a URL; an account
// number that looks like a phone number is an ID).
var Types = []string{Email, URL, ID, DOB, Phone, Address, Handle, Name}

// Span is one detection: text[Start:End] (byte offsets) is of Type.
type Span struct {
	Type       string
	Start, End int
}

// Scrubber detects PII. It is read-only after New, so one Scrubber may be
// shared by any number of goroutines.
type Scrubber struct {
	re    *patterns
	names *gazetteer
	cues  map[string]cue
}

// New compiles the patterns and loads the embedded name lists.
func New() *Scrubber {
	return &Scrubber{re: compilePatterns(), names: loadGazetteer(), cues: cueTable()}
}

// Scrub returns text with every detected span replaced by its placeholder
// ("[NAME]", "[PHONE]", ...) and the number of replacements per type.
func (s *Scrubber) Scrub(text string) (string, map[string]int) {
	spans := s.Spans(text)
	counts := make(map[string]int, len(spans))
	if len(spans) == 0 {
		return text, counts
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, sp := range spans {
		b.WriteString(text[last:sp.Start])
		b.WriteString("[" + sp.Type + "]")
		last = sp.End
		counts[sp.Type]++
	}
	b.WriteString(text[last:])
	return b.String(), counts
}

// Spans returns the detections in text, non-overlapping and sorted by Start.
func (s *Scrubber) Spans(text string) []Span {
	if text == "" {
		return nil
	}
	toks := tokenize(text, s.cues)
	cands := s.patternSpans(text, toks, nil)
	cands = s.nameSpans(toks, cands)
	return joinAddresses(text, resolve(cands))
}

var priority = func() map[string]int {
	m := make(map[string]int, len(Types))
	for i, t := range Types {
		m[t] = i
	}
	return m
}()

// resolve keeps, among overlapping candidates, the one of the higher
// priority type (then the longer one), and sorts the result by position.
func resolve(cands []Span) []Span {
	if len(cands) <= 1 {
		return cands
	}
	slices.SortStableFunc(cands, func(a, b Span) int {
		if pa, pb := priority[a.Type], priority[b.Type]; pa != pb {
			return pa - pb
		}
		return (b.End - b.Start) - (a.End - a.Start)
	})
	kept := cands[:0:0]
	for _, c := range cands {
		if !slices.ContainsFunc(kept, func(k Span) bool { return c.Start < k.End && k.Start < c.End }) {
			kept = append(kept, c)
		}
	}
	slices.SortFunc(kept, func(a, b Span) int { return a.Start - b.Start })
	return kept
}

// joinAddresses merges address parts that only a comma or space separate,
// so "Flat 3, 22 Baker Road" is one address, not two.
func joinAddresses(text string, spans []Span) []Span {
	out := spans[:0]
	for _, sp := range spans {
		if n := len(out); n > 0 && sp.Type == Address && out[n-1].Type == Address &&
			strings.Trim(text[out[n-1].End:sp.Start], ", ") == "" {
			out[n-1].End = sp.End
			continue
		}
		out = append(out, sp)
	}
	return out
}
