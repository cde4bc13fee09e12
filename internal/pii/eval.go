package pii

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Targets from the issue: recall for the patterned types and for names,
// precision for every type.
const (
	PatternRecallTarget = 0.98
	NameRecallTarget    = 0.90
	PrecisionTarget     = 0.90
	maxMisses           = 3 // missed examples kept per type
)

// TypeScore is the result for one type. A predicted span is correct when it
// overlaps an injected span of the same type; every other predicted span is
// a false positive, most of them on the real, un-injected words.
type TypeScore struct {
	Type            string
	Support         int     // injected spans
	Found           int     // injected spans overlapped by a prediction of the same type
	Predicted       int     // predicted spans
	Correct         int     // predicted spans overlapping an injected span of the same type
	FalsePos        int     // Predicted - Correct
	FalsePosReal    int     // false positives touching no injected span: on the real text
	Recall          float64 // Found / Support
	Precision       float64 // Correct / Predicted; 0 when nothing was predicted
	RecallTarget    float64
	PrecisionTarget float64
	Pass            bool // Support > 0 and both targets met
}

// Example is a missed injection. It holds only synthetic text (the value and
// the template it was written in), never the conversation it was put in.
type Example struct {
	Type, Value, Snippet string
}

// Report is the evaluation of a Scrubber on real texts with injected PII.
type Report struct {
	Seed     uint64
	Texts    int
	Injected int
	Scores   []TypeScore // in Types order
	Misses   []Example   // up to 3 per type
	Pass     bool        // every type passes
}

type gold struct {
	span    Span
	value   string
	snippet string
}

// Evaluate builds a test set by injecting one or two synthetic PII fragments
// per text at random word boundaries (types in turn, so support is even),
// runs s.Spans on each result, and scores each type. The same texts and seed
// give the same report. Names are drawn from the eval lists, which share no
// entry with the scrubber's gazetteer.
func Evaluate(texts []string, seed uint64, s *Scrubber) Report {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	sy := &synth{rng: rng, firstNames: parseList(evalFirstTxt), lastNames: parseList(evalLastTxt)}
	byType := map[string][]template{}
	for _, t := range templates {
		byType[t.typ] = append(byType[t.typ], t)
	}
	scores := make(map[string]*TypeScore, len(Types))
	for _, t := range Types {
		target := PatternRecallTarget
		if t == Name {
			target = NameRecallTarget
		}
		scores[t] = &TypeScore{Type: t, RecallTarget: target, PrecisionTarget: PrecisionTarget}
	}
	r := Report{Seed: seed, Texts: len(texts)}
	turn := 0
	for _, text := range texts {
		var frags []fragment
		for range 1 + rng.IntN(2) {
			tpls := byType[Types[turn%len(Types)]]
			turn++
			frags = append(frags, sy.fragment(tpls[rng.IntN(len(tpls))]))
		}
		doc, golds := inject(text, frags, rng)
		r.Injected += len(golds)
		preds := s.Spans(doc)
		for _, g := range golds {
			sc := scores[g.span.Type]
			sc.Support++
			if slices.ContainsFunc(preds, func(p Span) bool { return p.Type == g.span.Type && overlaps(p, g.span) }) {
				sc.Found++
			} else if countType(r.Misses, g.span.Type) < maxMisses {
				r.Misses = append(r.Misses, Example{g.span.Type, g.value, g.snippet})
			}
		}
		for _, p := range preds {
			sc := scores[p.Type]
			sc.Predicted++
			switch {
			case slices.ContainsFunc(golds, func(g gold) bool { return g.span.Type == p.Type && overlaps(p, g.span) }):
				sc.Correct++
			case !slices.ContainsFunc(golds, func(g gold) bool { return overlaps(p, g.span) }):
				sc.FalsePosReal++
			}
		}
	}
	r.Pass = true
	for _, t := range Types {
		sc := scores[t]
		sc.FalsePos = sc.Predicted - sc.Correct
		if sc.Support > 0 {
			sc.Recall = float64(sc.Found) / float64(sc.Support)
		}
		if sc.Predicted > 0 {
			sc.Precision = float64(sc.Correct) / float64(sc.Predicted)
		}
		sc.Pass = sc.Support > 0 && sc.Recall >= sc.RecallTarget && sc.Precision >= sc.PrecisionTarget
		r.Pass = r.Pass && sc.Pass
		r.Scores = append(r.Scores, *sc)
	}
	return r
}

func overlaps(a, b Span) bool { return a.Start < b.End && b.Start < a.End }

func countType(xs []Example, t string) int {
	n := 0
	for _, x := range xs {
		if x.Type == t {
			n++
		}
	}
	return n
}

// fragment is a filled template: text, and where the value sits in it.
type fragment struct {
	typ, text, value string
	at               int
}

func (s *synth) fragment(t template) fragment {
	value := t.gen(s)
	text := strings.Replace(t.text, "{v}", value, 1)
	if t.lower && s.rng.IntN(3) == 0 {
		text, value = strings.ToLower(text), strings.ToLower(value)
	}
	return fragment{typ: t.typ, text: text, value: value, at: strings.Index(t.text, "{v}")}
}

// inject puts each fragment at a random word boundary of text and returns
// the new text with the gold span of each injected value.
func inject(text string, frags []fragment, rng *rand.Rand) (string, []gold) {
	var bounds []int
	for p := 0; p <= len(text); p++ {
		if (p == 0 || text[p-1] == ' ') && (p == len(text) || text[p] != ' ') {
			bounds = append(bounds, p)
		}
	}
	type ins struct {
		at int
		f  fragment
	}
	var plan []ins
	for _, f := range frags {
		plan = append(plan, ins{bounds[rng.IntN(len(bounds))], f})
	}
	slices.SortStableFunc(plan, func(a, b ins) int { return a.at - b.at })
	var b strings.Builder
	var golds []gold
	cur := 0
	for _, in := range plan {
		b.WriteString(text[cur:in.at])
		cur = in.at
		if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
			b.WriteByte(' ')
		}
		start := b.Len() + in.f.at
		golds = append(golds, gold{Span{in.f.typ, start, start + len(in.f.value)}, in.f.value, in.f.text})
		b.WriteString(in.f.text)
		if cur < len(text) {
			b.WriteByte(' ')
		}
	}
	b.WriteString(text[cur:])
	return b.String(), golds
}

// Table renders the report for a terminal: counts and rates only, and the
// synthetic values of a few misses; never conversation text.
func (r Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "PII evaluation: %d texts, %d injected spans, seed %d\n", r.Texts, r.Injected, r.Seed)
	fmt.Fprintf(&b, "%-8s %7s %7s %7s %6s %9s %9s %6s %8s  %s\n",
		"type", "support", "found", "recall", "target", "predicted", "precision", "target", "fp(real)", "pass")
	for _, sc := range r.Scores {
		prec := "-"
		if sc.Predicted > 0 {
			prec = fmt.Sprintf("%.3f", sc.Precision)
		}
		fmt.Fprintf(&b, "%-8s %7d %7d %7.3f %6.2f %9d %9s %6.2f %8d  %s\n",
			sc.Type, sc.Support, sc.Found, sc.Recall, sc.RecallTarget, sc.Predicted, prec, sc.PrecisionTarget, sc.FalsePosReal, yesNo(sc.Pass))
	}
	fmt.Fprintf(&b, "overall: %s\n", map[bool]string{true: "PASS", false: "FAIL"}[r.Pass])
	if len(r.Misses) > 0 {
		b.WriteString("missed (synthetic values only):\n")
		for _, m := range r.Misses {
			fmt.Fprintf(&b, "  %-8s %q in %q\n", m.Type, m.Value, m.Snippet)
		}
	}
	return b.String()
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}
