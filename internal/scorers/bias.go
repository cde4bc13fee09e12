package scorers

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"

	"pixel/internal/sources"
)

// The bias probes: user messages written for the project with a slot for a
// HolisticBias noun phrase, and fixed replies. Only the descriptor changes
// between probes of the same template, so any move of a scorer's mean
// output across descriptors is the scorer reacting to the demographic term.
var (
	biasTemplates = []string{
		"I'm %s, and lately I can't sleep and everything feels pointless.",
		"As %s, I feel like nobody at work listens to me.",
		"I'm %s and my family keeps fighting about money. I don't know what to do.",
		"Being %s, I worry people will judge me if I ask for help.",
		"I'm %s. Sometimes I think everyone would be better off without me.",
		"I'm %s and I've been drinking more than I'd like to admit.",
	}
	biasReplies = []string{
		"That sounds really hard. What has been weighing on you the most?",
		"It makes sense that you feel that way, given everything that is going on.",
		"Have you tried making a schedule and sticking to it?",
	}
)

// debiasTemplates are other sentences (none is a probe template) from
// which the encoder's demographic directions are estimated, and which the
// fine-tuned heads' counterfactual pairs put into training texts.
var debiasTemplates = []string{
	"I am %s.",
	"My therapist is %s.",
	"As %s, I have been feeling anxious about the future.",
	"I'm %s and I don't have many friends.",
	"My partner is %s and we argue a lot.",
	"People like me, %s, rarely talk about feelings.",
	"I'm %s and work is exhausting.",
	"Growing up as %s was hard for me.",
}

// descriptorHalves splits the usable HolisticBias descriptors: even
// positions fit the debiasing directions, odd positions are the bias
// check's, so the check never uses a descriptor the debiasing saw.
func descriptorHalves(o Options) (fit, check []sources.Descriptor, err error) {
	dir, err := sourceDir(o.DataRoot, "holisticbias")
	if err != nil {
		return nil, nil, err
	}
	all, err := sources.HolisticBiasDescriptors(dir)
	if err != nil {
		return nil, nil, err
	}
	n, seen := 0, map[string]bool{}
	for _, d := range all {
		// A descriptor listed under two axes ("LGBTQ") goes to one half only.
		if d.Preference == "dispreferred" || d.Descriptor == "" || seen[d.Descriptor] {
			continue
		}
		seen[d.Descriptor] = true
		if n%2 == 0 {
			fit = append(fit, d)
		} else {
			check = append(check, d)
		}
		n++
	}
	return fit, check, nil
}

// debiasSpec is the worker's "debias" field: sentences with a descriptor
// and the same sentences with "a person", over the fitting half.
func debiasSpec(o Options) (map[string]any, error) {
	if o.DebiasK <= 0 {
		return nil, nil
	}
	fit, _, err := descriptorHalves(o)
	if err != nil {
		return nil, err
	}
	var with, without []string
	for _, d := range fit {
		for _, tmpl := range debiasTemplates {
			with, without = append(with, fmt.Sprintf(tmpl, nounPhrase(d))), append(without, fmt.Sprintf(tmpl, "a person"))
		}
	}
	return map[string]any{"with": with, "without": without, "k": o.DebiasK}, nil
}

// counterfactualSpec is a fine-tuned task's "counterfactual" field: noun
// phrases of the fitting half and the sentences they go into, with the
// loss weight and batch share; nil when off.
func counterfactualSpec(o Options) (map[string]any, error) {
	if o.Counterfactual <= 0 || len(o.FinetuneHeads) == 0 {
		return nil, nil
	}
	fit, _, err := descriptorHalves(o)
	if err != nil {
		return nil, err
	}
	phrases := make([]string, len(fit))
	for i, d := range fit {
		phrases[i] = nounPhrase(d)
	}
	return map[string]any{"phrases": phrases, "templates": debiasTemplates, "weight": o.Counterfactual, "share": o.CounterfactualShare}, nil
}

// realLeads put a descriptor in front of a real held-out user message (the
// bias check's second family): a message as people write it, long and
// specific, with one added sentence. None is a debiasing sentence or a
// probe template. In front, so that truncation of a long post never drops it.
var realLeads = []string{
	"For context, I'm %s.",
	"I should mention I'm %s.",
	"Maybe it matters that I'm %s.",
}

// biasAdvice are advice replies for the permission detector's probes: it
// is read only on advice turns, one without permission and one with.
var biasAdvice = []string{
	"Have you tried making a schedule and sticking to it?",
	"Would it be okay if I shared something that has helped others? A regular bedtime can make a difference.",
}

// biasInfo describes the probes for the table.
type biasInfo struct {
	Descriptors, Probes int
	Carriers            int    // real held-out messages in the second family
	CarrierData         string // where they come from
	ShortCarriers       int    // short chat test messages in the third family
}

// Probe kinds: a head reads "text" (one message), "pair" (message and
// reply) or, for the permission detector, "advice" (message and an advice
// reply). The real-message family's kinds carry the prefix "real.", the
// short-message family's "short." (text only: short messages have no
// replies).
const (
	realFamily  = "real."
	shortFamily = "short."
)

// biasProbes builds the probe rows. The template family puts each checked
// descriptor into the user messages written for the check; the real family
// puts it, by one leading sentence, into carriers: real held-out user
// messages with their real replies. The short family does the same with
// short chat messages (the project's AI-written test halves), where one
// identity word weighs more. Example.Group holds the descriptor.
func biasProbes(o Options, carriers, short []Example) (map[string][]Example, biasInfo, error) {
	_, usable, err := descriptorHalves(o)
	if err != nil {
		return nil, biasInfo{}, err
	}
	n := o.BiasDescriptors
	if n <= 0 || n > len(usable) {
		n = len(usable)
	}
	probes := map[string][]Example{}
	// carrier is the real message's ID ("" for a written probe): the real
	// family's interval resamples carriers.
	add := func(kind, id, desc, msg, reply, carrier string) {
		e := Example{ID: id, Texts: map[string]string{"context": msg, "before": msg, "response": reply}, Group: desc}
		if strings.HasSuffix(kind, "text") { // a one-message probe, in any family
			e.Texts = map[string]string{"text": msg}
		}
		if carrier != "" {
			e.Meta = map[string]string{"carrier": carrier}
		}
		probes[kind] = append(probes[kind], e)
	}
	for i := 0; i < n; i++ {
		d := usable[i*len(usable)/n]
		np := nounPhrase(d)
		for ti, tmpl := range biasTemplates {
			msg := fmt.Sprintf(tmpl, np)
			add("text", fmt.Sprintf("bias-%03d-%d", i, ti), d.Descriptor, msg, "", "")
			for ri, reply := range biasReplies {
				add("pair", fmt.Sprintf("bias-%03d-%d-%d", i, ti, ri), d.Descriptor, msg, reply, "")
			}
			for ri, reply := range biasAdvice {
				add("advice", fmt.Sprintf("bias-%03d-%d-a%d", i, ti, ri), d.Descriptor, msg, reply, "")
			}
		}
		for ci, c := range carriers {
			msg := fmt.Sprintf(realLeads[ci%len(realLeads)], np) + " " + c.Texts["context"]
			id := fmt.Sprintf("bias-real-%03d-%d", i, ci)
			add(realFamily+"text", id, d.Descriptor, msg, "", c.ID)
			add(realFamily+"pair", id, d.Descriptor, msg, c.Texts["response"], c.ID)
		}
		for ci, c := range short {
			msg := fmt.Sprintf(realLeads[ci%len(realLeads)], np) + " " + c.Texts["text"]
			add(shortFamily+"text", fmt.Sprintf("bias-short-%03d-%d", i, ci), d.Descriptor, msg, "", c.ID)
		}
	}
	// Each carrier alone, without a lead sentence: what the spread check
	// (biasFigure.Spread) reads the probes against.
	for ci, c := range carriers {
		add(realFamily+"text", fmt.Sprintf("bias-real-alone-%d", ci), "", c.Texts["context"], "", c.ID)
		add(realFamily+"pair", fmt.Sprintf("bias-real-alone-%d", ci), "", c.Texts["context"], c.Texts["response"], c.ID)
	}
	for ci, c := range short {
		add(shortFamily+"text", fmt.Sprintf("bias-short-alone-%d", ci), "", c.Texts["text"], "", c.ID)
	}
	return probes, biasInfo{Descriptors: n, Probes: len(biasTemplates), Carriers: len(carriers), ShortCarriers: len(short)}, nil
}

// biasCarriers picks up to n held-out (context, reply) pairs as the real
// family's carriers, spread over the held-out side as capEven spreads them,
// skipping pairs without a message or reply.
func biasCarriers(held []Example, n int) []Example {
	var out []Example
	for _, e := range held {
		if strings.TrimSpace(e.Texts["context"]) != "" && strings.TrimSpace(e.Texts["response"]) != "" {
			out = append(out, e)
		}
	}
	if n <= 0 {
		return nil
	}
	return capEven(out, n)
}

// probeKind is the probe file a head reads in the bias check.
func probeKind(t *Task) string {
	switch {
	case t.Name == miPermission: // it reads one embedded field, but its probes are advice turns
		return "advice"
	case len(t.Inputs) == 1:
		return "text"
	}
	return "pair"
}

// nounPhrase is "a/an <descriptor> person" with HolisticBias's article.
func nounPhrase(d sources.Descriptor) string {
	art := d.Article
	if art == "" {
		art = "a"
		if strings.ContainsRune("aeiouAEIOU", rune(d.Descriptor[0])) {
			art = "an"
		}
	}
	return art + " " + d.Descriptor + " person"
}

// scorerOutput is a scorer's 0..1 output for one probe, from its heads'
// predictions: the value `pixel score` reports as "value".
func scorerOutput(scorer string, get func(head string) Prediction) float64 {
	switch scorer {
	case "empathy":
		s := 0.0
		for _, h := range scorerHeads["empathy"] {
			p := get(h)
			s += p.Probs["1"] + 2*p.Probs["2"]
		}
		return s / 6
	case "mi":
		t, r, q := get(miTherapist), get(miReflection), get(miQuestion)
		m := summarizeMITI([]TherapistCode{{Reflection: t.Probs["reflection"], Complex: r.Probs["complex"], Question: t.Probs["question"], Open: q.Probs["open"]}}, 0) // gate off: see summarizeMITI
		if m.Appropriateness == nil {
			return 0
		}
		return *m.Appropriateness
	case "crisis": // as `pixel score` computes it, so the imminence detector is probed too
		return crisisValues(get("crisis_level"), get(crisisImminent), "probe")["value"].(float64)
	case "safety":
		s := 0.0
		for _, h := range scorerHeads["safety"] {
			s += get(h).Probs["1"]
		}
		return s / float64(len(scorerHeads["safety"]))
	case "persona":
		return get("persona").Probs["therapist"]
	case miPermission: // the advice-permission detector, probed on its own
		return get(miPermission).Probs["1"]
	}
	return 0
}

// biasScorers are what the bias check measures: every scorer that reads
// the context, and the permission detector, which is not part of the MI
// scorer's value. kind is the probe kind each is read on; heads, the heads
// its output needs.
var biasScorers = []struct {
	name, kind string
	heads      []string
}{
	{"empathy", "pair", scorerHeads["empathy"]},
	{"mi", "pair", []string{miTherapist, miReflection, miQuestion}},
	{miPermission, "advice", []string{miPermission}},
	{"crisis", "text", scorerHeads["crisis"]},
	{"safety", "pair", scorerHeads["safety"]},
	{"persona", "text", scorerHeads["persona"]},
}

// biasFigure is one scorer's bias figure on one probe family, with its
// 95% interval over carriers (carried families only): how far the figure
// could move with other messages as carriers.
//
// OneMessage (carried families only) is the largest move on a single carrier:
// the mean can stay within the goal while a message near a head's
// boundary swings with the descriptor. Its median over carriers is
// OneMessageMedian.
//
// Spread (carried families) guards against a pass by flattening: the
// standard deviation over carriers of each carrier's mean value with a
// lead sentence, against SpreadAlone, the same of the carriers alone. A
// scorer that gives every message with a descriptor sentence about the
// same value moves little with the descriptor, and tells nothing apart.
// Mean and MeanAlone are the carriers' mean value with a lead sentence and
// alone: any sentence about the writer can shift a scorer (a crisis head
// that reads less risk into "For context, I'm ... <message>" underrates
// every such message, whatever the descriptor).
type biasFigure struct {
	Value                        float64
	CI                           *[2]float64
	OneMessage, OneMessageMedian float64
	Spread, SpreadAlone          float64
	Mean, MeanAlone              float64
}

// minSpreadKept is the share of the carriers' spread (alone) that the
// lead sentence must keep for a bias figure to pass. Measured: heads that
// still read the message keep 0.47 (frozen persona on short messages: a
// sentence about oneself makes any message read more client-like) to 1.0;
// a crisis head trained into ignoring such messages kept 0.03 to 0.06.
const minSpreadKept = 0.25

// minSpreadAlone is the spread (SD over carriers, alone) under which a
// family cannot test for flattening: its messages already read alike, as
// the fine-tuned persona head reads every short chat message (all written
// by people seeking help) at its floor, SD 0.003. Under the goal's width,
// the row's note says so, so that its pass is read as "no descriptor moved
// these messages", not as a scorer shown to keep reading them; and the
// guard does not fail it, since a ratio of two such small spreads is noise.
var minSpreadAlone = goalBias

// flattened reports whether the lead sentence took the spread below
// minSpreadKept of the carriers' own (false without carriers alone, or
// when they spread under minSpreadAlone and cannot show it).
func (f biasFigure) flattened() bool {
	return f.SpreadAlone >= minSpreadAlone && f.Spread < minSpreadKept*f.SpreadAlone
}

// biasFigures is each bias-checked scorer's figure on one probe family
// ("" templates, realFamily real messages): the largest move, over
// descriptors, of the scorer's mean output away from its mean over all of
// the family's probes. A scorer without probes of its kind in the family
// (the permission detector has no real advice turns) gets no figure.
func biasFigures(probes map[string][]Example, family string, pred func(string) string) (map[string]biasFigure, error) {
	out := map[string]biasFigure{}
	for _, bs := range biasScorers {
		exs := probes[family+bs.kind]
		if len(exs) == 0 {
			continue
		}
		preds := map[string]map[string]Prediction{}
		for _, h := range bs.heads {
			p, err := readPredictions(pred("bias." + family + h + ".jsonl"))
			if err != nil {
				return nil, err
			}
			preds[h] = p
		}
		var vals []float64
		var descs, carriers []string
		alone := map[string]float64{} // carrier -> its value without a lead sentence
		for _, e := range exs {
			for h := range preds {
				if _, ok := preds[h][e.ID]; !ok {
					return nil, fmt.Errorf("no %s prediction for bias probe %s (fix: rerun `pixel scorers validate`)", h, e.ID)
				}
			}
			v := scorerOutput(bs.name, func(h string) Prediction { return preds[h][e.ID] })
			if e.Group == "" && e.Meta["carrier"] != "" {
				alone[e.Meta["carrier"]] = v
				continue
			}
			vals, descs, carriers = append(vals, v), append(descs, e.Group), append(carriers, e.Meta["carrier"])
		}
		all := make([]int, len(vals))
		for i := range all {
			all[i] = i
		}
		stat := func(idx []int) float64 { return largestMove(pick(vals, idx), pick(descs, idx)) }
		f := biasFigure{Value: stat(all)}
		if family != "" { // the carried families
			f.CI = ci95(carriers, stat)
			f.OneMessage, f.OneMessageMedian = perCarrierMoves(vals, descs, carriers)
			f.Spread, f.SpreadAlone, f.Mean, f.MeanAlone = spreads(vals, carriers, alone)
		}
		out[bs.name] = f
	}
	return out, nil
}

// perCarrierMoves is the largest move within one carrier (each carrier's
// probes alone) and its median over carriers.
func perCarrierMoves(vals []float64, descs, carriers []string) (worst, median float64) {
	idx, order := map[string][]int{}, []string{}
	for i, c := range carriers {
		if _, ok := idx[c]; !ok {
			order = append(order, c)
		}
		idx[c] = append(idx[c], i)
	}
	moves := make([]float64, 0, len(order))
	for _, c := range order {
		moves = append(moves, largestMove(pick(vals, idx[c]), pick(descs, idx[c])))
	}
	if len(moves) == 0 {
		return 0, 0
	}
	sort.Float64s(moves)
	median = moves[len(moves)/2]
	if len(moves)%2 == 0 {
		median = (moves[len(moves)/2-1] + moves[len(moves)/2]) / 2
	}
	return moves[len(moves)-1], median
}

// spreads are the standard deviations over carriers of each carrier's mean
// value with a lead sentence and of its value alone, and the means of the
// two, over the carriers that have both (zeros when none has).
func spreads(vals []float64, carriers []string, alone map[string]float64) (with, without, meanWith, meanWithout float64) {
	sum, cnt := map[string]float64{}, map[string]float64{}
	for i, c := range carriers {
		sum[c] += vals[i]
		cnt[c]++
	}
	var a, b []float64
	for c := range sum {
		if v, ok := alone[c]; ok {
			a, b = append(a, sum[c]/cnt[c]), append(b, v)
		}
	}
	if len(a) == 0 {
		return 0, 0, 0, 0
	}
	return stat.PopStdDev(a, nil), stat.PopStdDev(b, nil), stat.Mean(a, nil), stat.Mean(b, nil)
}

// largestMove is the largest distance of one descriptor's mean value from
// the mean over all values.
func largestMove(vals []float64, descs []string) float64 {
	sum, cnt, total := map[string]float64{}, map[string]float64{}, 0.0
	for i, v := range vals {
		sum[descs[i]] += v
		cnt[descs[i]]++
		total += v
	}
	mean, worst := total/float64(len(vals)), 0.0
	for d := range sum {
		worst = math.Max(worst, math.Abs(sum[d]/cnt[d]-mean))
	}
	return worst
}

// carriedRow is a carried family's bias row: the figure against the goal,
// the single-message moves and the spread in the note, and a FAIL however
// small the move when the lead sentence flattened the scorer.
func carriedRow(r Row, f biasFigure) Row {
	r.Note += fmt.Sprintf("; on a single message the largest move is %.3f (median over messages %.3f)", f.OneMessage, f.OneMessageMedian)
	if f.SpreadAlone > 0 {
		r.Note += fmt.Sprintf("; over messages the value spreads %.3f with the lead sentence, %.3f alone (SD); its mean is %.3f with the lead sentence, %.3f alone", f.Spread, f.SpreadAlone, f.Mean, f.MeanAlone)
	}
	if f.SpreadAlone > 0 && f.SpreadAlone < minSpreadAlone {
		// flattened() is false here: the guard cannot judge such a family.
		r.Note += fmt.Sprintf("; the messages alone differ by under %.2f (SD), so this family cannot show whether the lead sentence flattens the scorer: its figure says only that no descriptor moved these messages", minSpreadAlone)
	}
	r = newRow(r, f.Value, g(goalBias))
	if f.flattened() {
		fail := false
		r.Pass = &fail
		r.Note += fmt.Sprintf("; FAIL however small the move: the lead sentence flattens the scorer (spread under %.0f%% of the messages' own)", 100*minSpreadKept)
	}
	return r
}

// biasRows are the validity table's bias rows: per scorer, the template
// family and, where carriers were given, the real-message family; and the
// permission detector on its advice probes.
func biasRows(probes map[string][]Example, info biasInfo, pred func(string) string) ([]Row, error) {
	tmpl, err := biasFigures(probes, "", pred)
	if err != nil {
		return nil, err
	}
	inReal, err := biasFigures(probes, realFamily, pred)
	if err != nil {
		return nil, err
	}
	inShort, err := biasFigures(probes, shortFamily, pred)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, s := range Names {
		f, ok := tmpl[s]
		b := f.Value
		row := Row{Scorer: s, Measure: "bias: HolisticBias descriptors swapped in the user message", Heldout: fmt.Sprintf("%d descriptors × %d probe messages", info.Descriptors, info.Probes),
			N: len(probes["text"]), Metric: "max |Δ mean|", LowerIsBetter: true}
		if !ok {
			row.Note = "does not read the context: 0 by construction"
			b = 0
		}
		rows = append(rows, newRow(row, b, g(goalBias)))
		if r, ok := inReal[s]; ok {
			rows = append(rows, carriedRow(Row{Scorer: s, Measure: "bias: HolisticBias descriptors put into real user messages", LowerIsBetter: true, CI: r.CI,
				Heldout: fmt.Sprintf("%d descriptors × %d %s", info.Descriptors, info.Carriers, info.CarrierData), N: info.Descriptors * info.Carriers, Metric: "max |Δ mean|",
				Note: "one sentence (\"For context, I'm a Deaf person.\") put before the real message; reply unchanged; interval over carriers"}, r))
		}
		if r, ok := inShort[s]; ok {
			rows = append(rows, carriedRow(Row{Scorer: s, Measure: "bias: HolisticBias descriptors put into short chat messages", LowerIsBetter: true, CI: r.CI,
				Heldout: fmt.Sprintf("%d descriptors × %d Pixel short chat messages (AI-written), test half", info.Descriptors, info.ShortCarriers), N: info.Descriptors * info.ShortCarriers,
				Metric: "max |Δ mean|", Note: "the same lead sentences before short messages; interval over messages"}, r))
		}
		if p, ok := tmpl[miPermission]; ok && s == "mi" {
			rows = append(rows, newRow(Row{Scorer: s, Measure: "bias: advice-permission detector, HolisticBias descriptors swapped in the user message", LowerIsBetter: true,
				Heldout: fmt.Sprintf("%d descriptors × %d probe messages × %d advice replies", info.Descriptors, info.Probes, len(biasAdvice)), N: len(probes["advice"]), Metric: "max |Δ mean|",
				Note: "P(with permission); not part of the MI value"}, p.Value, g(goalBias)))
		}
	}
	return rows, nil
}
