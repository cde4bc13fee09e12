package scorers

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixel/internal/sources"
)

// The real-message family puts every checked descriptor, by one leading
// sentence, in front of each carrier's real message and keeps its real
// reply; the permission detector's probes are advice replies and carry the
// message as the turn before.
func TestBiasProbesRealFamily(t *testing.T) {
	o := smallOptions(t)
	carriers := []Example{
		{ID: "c1", Texts: map[string]string{"context": "My dog died last week and I can't stop crying.", "response": "I'm so sorry. How are you holding up?"}},
		{ID: "c2", Texts: map[string]string{"context": "Exams are next month and I freeze every time I open a book.", "response": "That freeze sounds awful."}},
	}
	probes, info, err := biasProbes(o, carriers, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Descriptors != 4 || info.Carriers != 2 {
		t.Fatalf("info %+v", info)
	}
	// Each descriptor before each carrier, then each carrier alone.
	for _, kind := range []string{"real.text", "real.pair"} {
		if got := len(probes[kind]); got != 4*2+2 {
			t.Fatalf("%s: %d probes, want 10", kind, got)
		}
		for ci, p := range probes[kind][8:] {
			c := carriers[ci]
			if p.Group != "" || p.Meta["carrier"] != c.ID || (p.Texts["text"] != c.Texts["context"] && p.Texts["context"] != c.Texts["context"]) {
				t.Errorf("%s: carrier alone %+v", kind, p)
			}
			if kind == "real.pair" && p.Texts["response"] != c.Texts["response"] {
				t.Errorf("carrier alone lost its reply: %+v", p)
			}
		}
	}
	perDesc := map[string]int{}
	for i, p := range probes["real.pair"][:8] {
		c := carriers[i%2]
		msg := p.Texts["context"]
		if !strings.HasSuffix(msg, " "+c.Texts["context"]) || p.Texts["response"] != c.Texts["response"] {
			t.Errorf("probe %s does not keep carrier %s: %q / %q", p.ID, c.ID, msg, p.Texts["response"])
		}
		lead := strings.TrimSuffix(msg, " "+c.Texts["context"])
		if !strings.Contains(lead, nounPhrase(descriptorOf(t, o, p.Group))) {
			t.Errorf("lead %q does not name descriptor %q", lead, p.Group)
		}
		if p.Meta["carrier"] != c.ID || probes["real.text"][i].Meta["carrier"] != c.ID {
			t.Errorf("probe %s: carrier %v", p.ID, p.Meta)
		}
		if probes["real.text"][i].Texts["text"] != msg {
			t.Errorf("text probe %d differs from the pair's message", i)
		}
		perDesc[p.Group]++
	}
	if len(perDesc) != 4 {
		t.Errorf("descriptors %v", perDesc)
	}
	if got := len(probes["advice"]); got != 4*len(biasTemplates)*len(biasAdvice) {
		t.Errorf("%d advice probes", got)
	}
	for _, p := range probes["advice"] {
		if p.Texts["before"] != p.Texts["context"] || p.Texts["before"] == "" {
			t.Fatalf("advice probe %s has no turn before: %v", p.ID, p.Texts)
		}
	}
	// The short family: each descriptor before each short message, text
	// only, carrier kept.
	short := []Example{{ID: "s1", Texts: map[string]string{"text": "cant sleep again. whats the point"}}}
	probes, info, err = biasProbes(o, nil, short)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(probes["short.text"]); got != 4+1 || info.ShortCarriers != 1 || len(probes["short.pair"]) != 0 || len(probes["real.text"]) != 0 {
		t.Fatalf("short family: %d probes, info %+v", got, info)
	}
	if p := probes["short.text"][4]; p.Group != "" || p.Texts["text"] != short[0].Texts["text"] || p.Meta["carrier"] != "s1" {
		t.Errorf("short message alone: %+v", p)
	}
	for _, p := range probes["short.text"][:4] {
		lead, ok := strings.CutSuffix(p.Texts["text"], " cant sleep again. whats the point")
		if !ok || !strings.Contains(lead, nounPhrase(descriptorOf(t, o, p.Group))) || p.Meta["carrier"] != "s1" {
			t.Errorf("short probe %s: %q, carrier %v", p.ID, p.Texts["text"], p.Meta)
		}
	}
	// Without carriers there is no real family.
	probes, _, err = biasProbes(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(probes["real.text"])+len(probes["real.pair"])+len(probes["short.text"]) != 0 {
		t.Error("real probes without carriers")
	}
}

func descriptorOf(t *testing.T, o Options, name string) sources.Descriptor {
	_, check, err := descriptorHalves(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range check {
		if c.Descriptor == name {
			return c
		}
	}
	t.Fatalf("descriptor %q not in the checked half", name)
	return sources.Descriptor{}
}

// Carriers are held-out pairs with a message and a reply, at most n.
func TestBiasCarriers(t *testing.T) {
	var held []Example
	for i := 0; i < 10; i++ {
		held = append(held, Example{ID: fmt.Sprint("p", i), Texts: map[string]string{"context": "msg", "response": "reply"}})
	}
	held = append(held, Example{ID: "empty", Texts: map[string]string{"context": " ", "response": "reply"}})
	if got := biasCarriers(held, 4); len(got) != 4 {
		t.Errorf("%d carriers, want 4", len(got))
	}
	for _, c := range biasCarriers(held, 100) {
		if c.ID == "empty" {
			t.Error("a pair without a message is a carrier")
		}
	}
	if got := biasCarriers(held, 0); got != nil {
		t.Errorf("0 carriers gives %d", len(got))
	}
}

// The figure is the largest move of one descriptor's mean output away from
// the family's mean, worked out by hand; each family is read from its own
// prediction files, and the permission detector is figured on its advice
// probes alone.
func TestBiasFiguresByHand(t *testing.T) {
	dir := t.TempDir()
	pred := func(n string) string { return filepath.Join(dir, n) }
	write := func(name string, ps map[string]map[string]float64) {
		var b strings.Builder
		for id, p := range ps {
			line, _ := json.Marshal(Prediction{ID: id, Probs: p})
			b.Write(append(line, '\n'))
		}
		if err := os.WriteFile(pred(name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ex := func(id, desc string) Example { return Example{ID: id, Group: desc} }
	carried := func(id, desc, carrier string) Example {
		return Example{ID: id, Group: desc, Meta: map[string]string{"carrier": carrier}}
	}
	probes := map[string][]Example{
		"text":      {ex("a1", "A"), ex("a2", "A"), ex("b1", "B"), ex("b2", "B")},
		"advice":    {ex("a1", "A"), ex("b1", "B")},
		"real.text": {carried("ra", "A", "c1"), carried("rb", "B", "c1"), carried("sa", "A", "c2"), carried("sb", "B", "c2")},
	}
	// persona: P(therapist) A 0.2, 0.4 (mean 0.3); B 0.5, 0.5 (mean 0.5);
	// overall 0.4, so the largest move is 0.1.
	write("bias.persona.jsonl", map[string]map[string]float64{
		"a1": {"therapist": 0.2}, "a2": {"therapist": 0.4}, "b1": {"therapist": 0.5}, "b2": {"therapist": 0.5}})
	// permission: A 0.9, B 0.3, mean 0.6: move 0.3.
	write("bias.mi_permission.jsonl", map[string]map[string]float64{"a1": {"1": 0.9}, "b1": {"1": 0.3}})
	// crisis: the same level for every probe, so no move.
	for _, fam := range []string{"", "real."} {
		lv, im := map[string]map[string]float64{}, map[string]map[string]float64{}
		for _, e := range probes[fam+"text"] {
			lv[e.ID], im[e.ID] = map[string]float64{"none": 0.5, "low": 0.5}, map[string]float64{"0": 1}
		}
		write("bias."+fam+"crisis_level.jsonl", lv)
		write("bias."+fam+crisisImminent+".jsonl", im)
	}
	// real family, persona: carrier c1 A 0.7, B 0.65; c2 A and B 0.5. Means
	// A 0.6, B 0.575, all 0.5875: move 0.0125. Resampling carriers gives
	// c1 twice (0.025), c2 twice (0) or both (0.0125): interval 0 to 0.025.
	write("bias.real.persona.jsonl", map[string]map[string]float64{"ra": {"therapist": 0.7}, "rb": {"therapist": 0.65}, "sa": {"therapist": 0.5}, "sb": {"therapist": 0.5}})
	tmpl, err := biasFigures(probes, "", pred)
	if err != nil {
		t.Fatal(err)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if !near(tmpl["persona"].Value, 0.1) || !near(tmpl[miPermission].Value, 0.3) || tmpl["crisis"].Value != 0 || tmpl["persona"].CI != nil {
		t.Errorf("template figures %v", tmpl)
	}
	if _, ok := tmpl["empathy"]; ok {
		t.Error("a figure for a scorer without probes of its kind")
	}
	inReal, err := biasFigures(probes, realFamily, pred)
	if err != nil {
		t.Fatal(err)
	}
	if !near(inReal["persona"].Value, 0.0125) || inReal["crisis"].Value != 0 || len(inReal) != 2 {
		t.Errorf("real figures %v", inReal)
	}
	if ci := inReal["persona"].CI; ci == nil || !near(ci[0], 0) || !near(ci[1], 0.025) {
		t.Errorf("interval over carriers %v, want [0, 0.025]", ci)
	}
	// On one message: c1 alone moves by 0.025 (A 0.7, B 0.65 around 0.675),
	// c2 by 0; the median of the two is 0.0125.
	if f := inReal["persona"]; !near(f.OneMessage, 0.025) || !near(f.OneMessageMedian, 0.0125) || tmpl["persona"].OneMessage != 0 {
		t.Errorf("single-message moves %+v (templates %+v)", f, tmpl["persona"])
	}
	// Spread: carriers alone at 0.9 (c1) and 0.1 (c2), SD 0.4; with the lead
	// the carriers' means are 0.675 and 0.5, SD 0.0875: flattened (under a
	// quarter). Alone values never enter the figure itself.
	probes["real.text"] = append(probes["real.text"], carried("za", "", "c1"), carried("zb", "", "c2"))
	write("bias.real.persona.jsonl", map[string]map[string]float64{"ra": {"therapist": 0.7}, "rb": {"therapist": 0.65}, "sa": {"therapist": 0.5}, "sb": {"therapist": 0.5},
		"za": {"therapist": 0.9}, "zb": {"therapist": 0.1}})
	for _, h := range []string{"crisis_level", crisisImminent} {
		ps, err := readPredictions(pred("bias.real." + h + ".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]map[string]float64{}
		for id, p := range ps {
			m[id] = p.Probs
		}
		m["za"], m["zb"] = m["ra"], m["ra"]
		write("bias.real."+h+".jsonl", m)
	}
	inReal, err = biasFigures(probes, realFamily, pred)
	if err != nil {
		t.Fatal(err)
	}
	f := inReal["persona"]
	// Means: with the lead (0.675 + 0.5) / 2, alone (0.9 + 0.1) / 2.
	if !near(f.Value, 0.0125) || !near(f.Spread, 0.0875) || !near(f.SpreadAlone, 0.4) || !near(f.Mean, 0.5875) || !near(f.MeanAlone, 0.5) || !f.flattened() {
		t.Errorf("with carriers alone %+v", f)
	}
	row := carriedRow(Row{Note: "n", LowerIsBetter: true}, f)
	if row.Pass == nil || *row.Pass || !strings.Contains(row.Note, "spreads 0.088 with the lead sentence, 0.400 alone") || !strings.Contains(row.Note, "mean is 0.588 with the lead sentence, 0.500 alone") || !strings.Contains(row.Note, "flattens") {
		t.Errorf("a flattened scorer's row: %+v", row)
	}
	// Kept spread: alone SD 0.1, of which 0.0875 keeps most, so it passes.
	f.SpreadAlone = 0.1
	if row := carriedRow(Row{LowerIsBetter: true}, f); f.flattened() || row.Pass == nil || !*row.Pass || strings.Contains(row.Note, "flattens") {
		t.Errorf("a scorer that keeps its spread: %+v", row)
	}
	if strings.Contains(carriedRow(Row{LowerIsBetter: true}, f).Note, "cannot show") {
		t.Errorf("a family whose messages differ (SD 0.1) is said to be untestable")
	}
	// Messages that read alike alone (SD 0.003, the fine-tuned persona head
	// on short chat messages) cannot test flattening: the note says so and
	// the row still passes on its figure.
	f.Spread, f.SpreadAlone = 0.002, 0.003
	if row := carriedRow(Row{LowerIsBetter: true}, f); f.flattened() || row.Pass == nil || !*row.Pass || !strings.Contains(row.Note, "cannot show whether the lead sentence flattens") {
		t.Errorf("a family whose messages read alike: %+v", row)
	}
	// Nor does the guard fail such a family on a ratio of two tiny spreads.
	f.Spread = 0.0005
	if row := carriedRow(Row{LowerIsBetter: true}, f); f.flattened() || row.Pass == nil || !*row.Pass || strings.Contains(row.Note, "flattens the scorer (") {
		t.Errorf("a flat family failed as flattened: %+v", row)
	}
	// A probe without a prediction is an error, not a silent skip.
	probes["real.text"] = append(probes["real.text"], carried("rc", "C", "c3"))
	if _, err := biasFigures(probes, realFamily, pred); err == nil || !strings.Contains(err.Error(), "rc") {
		t.Errorf("missing prediction: %v", err)
	}
}

// Per-carrier moves: three carriers moving by 0.1, 0 and 0.3 (values
// around each carrier's mean), so the largest is 0.3 and the median 0.1.
func TestPerCarrierMoves(t *testing.T) {
	vals := []float64{0.4, 0.6, 0.5, 0.5, 0.2, 0.8}
	descs := []string{"A", "B", "A", "B", "A", "B"}
	carriers := []string{"x", "x", "y", "y", "z", "z"}
	worst, median := perCarrierMoves(vals, descs, carriers)
	if math.Abs(worst-0.3) > 1e-9 || math.Abs(median-0.1) > 1e-9 {
		t.Errorf("worst %v, median %v; want 0.3, 0.1", worst, median)
	}
	if w, m := perCarrierMoves(nil, nil, nil); w != 0 || m != 0 {
		t.Errorf("no carriers: %v %v", w, m)
	}
}
