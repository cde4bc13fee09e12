package pii

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

var fixtureTexts = []string{
	"I had problems in the past and somehow right now",
	"What sort of problems were in your past and now?",
	"I loved physics and I decided to attend university, but soon after I slowly lost my interest",
	"so I started to skipping the classes and failing",
	"",
	"Hi",
}

func TestEvaluateIsDeterministic(t *testing.T) {
	s := New()
	a, b := Evaluate(fixtureTexts, 42, s), Evaluate(fixtureTexts, 42, s)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different reports:\n%s\n%s", a.Table(), b.Table())
	}
	if evalDoc(fixtureTexts[0], 42) != evalDoc(fixtureTexts[0], 42) || evalDoc(fixtureTexts[0], 42) == evalDoc(fixtureTexts[0], 43) {
		t.Errorf("injection is not a function of the seed")
	}
	if a.Texts != len(fixtureTexts) || a.Injected < len(fixtureTexts) {
		t.Errorf("Texts=%d Injected=%d", a.Texts, a.Injected)
	}
}

// evalDoc is the first injected document Evaluate would build for text.
func evalDoc(text string, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	sy := &synth{rng: rng, firstNames: parseList(evalFirstTxt), lastNames: parseList(evalLastTxt)}
	doc, _ := inject(text, []fragment{sy.fragment(templates[rng.IntN(len(templates))])}, rng)
	return doc
}

func TestInjectRecordsGoldSpans(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sy := &synth{rng: rng, firstNames: parseList(evalFirstTxt), lastNames: parseList(evalLastTxt)}
	for i := range 500 {
		text := fixtureTexts[i%len(fixtureTexts)]
		frags := []fragment{sy.fragment(templates[i%len(templates)]), sy.fragment(templates[(i*7)%len(templates)])}
		doc, golds := inject(text, frags, rng)
		if len(golds) != 2 {
			t.Fatalf("%d golds for 2 fragments", len(golds))
		}
		for _, g := range golds {
			if doc[g.span.Start:g.span.End] != g.value {
				t.Fatalf("gold %v covers %q, want %q", g.span, doc[g.span.Start:g.span.End], g.value)
			}
		}
		if strings.Join(strings.Fields(strings.Replace(strings.Replace(doc, frags[0].text, "", 1), frags[1].text, "", 1)), " ") !=
			strings.Join(strings.Fields(text), " ") {
			t.Fatalf("injecting changed the original words: %q -> %q", text, doc)
		}
	}
}

func TestEveryTypeHasTemplates(t *testing.T) {
	have := map[string]bool{}
	for _, tp := range templates {
		if strings.Count(tp.text, "{v}") != 1 {
			t.Errorf("template %q needs exactly one {v}", tp.text)
		}
		have[tp.typ] = true
	}
	for _, typ := range Types {
		if !have[typ] {
			t.Errorf("no template injects %s", typ)
		}
	}
}

// The injected names must be unknown to the scrubber, or name recall would
// only measure the gazetteer.
func TestEvalNamesDisjointFromGazetteer(t *testing.T) {
	g := loadGazetteer()
	for _, list := range []string{evalFirstTxt, evalLastTxt} {
		names := parseList(list)
		if len(names) < 100 {
			t.Errorf("eval name list has %d entries, want >= 100", len(names))
		}
		for _, n := range names {
			if g.first[n] || g.last[n] {
				t.Errorf("eval name %q is also in the gazetteer", n)
			}
		}
	}
}

func TestGazetteerSize(t *testing.T) {
	g := loadGazetteer()
	if len(g.first) < 2000 || len(g.last) < 1000 {
		t.Errorf("gazetteer has %d given names and %d surnames; want a few thousand", len(g.first), len(g.last))
	}
	for w := range g.first {
		if w != strings.ToLower(strings.TrimSpace(w)) {
			t.Errorf("gazetteer entry %q is not lowercase and trimmed", w)
		}
	}
}

func TestReportTableShowsNoConversationText(t *testing.T) {
	secret := "my landlord keeps threatening me"
	r := Evaluate([]string{secret, secret + " again"}, 5, New())
	tab := r.Table()
	if strings.Contains(tab, "landlord") || strings.Contains(tab, "threatening") {
		t.Errorf("Table() quotes the conversation:\n%s", tab)
	}
	for _, typ := range Types {
		if !strings.Contains(tab, typ) {
			t.Errorf("Table() lacks a row for %s", typ)
		}
	}
}

// TestEvaluateESConv is the measurement the issue asks for: synthetic PII
// injected into 2,000 real ESConv utterances (validation split).
func TestEvaluateESConv(t *testing.T) {
	texts := esconvUtterances(t, "hf_split_valid.jsonl", 2000)
	r := Evaluate(texts, 1, New())
	t.Log("\n" + r.Table())
	for _, sc := range r.Scores {
		if !sc.Pass {
			t.Errorf("%s: recall %.3f (target %.2f), precision %.3f (target %.2f)", sc.Type, sc.Recall, sc.RecallTarget, sc.Precision, sc.PrecisionTarget)
		}
	}
}
