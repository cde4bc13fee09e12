package scorers

import (
	"fmt"
	"math"
	"strings"

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

// biasInfo describes the probes for the table.
type biasInfo struct{ Descriptors, Probes int }

// biasProbes builds the probe rows: "pair" (context + reply) for heads that
// read both, "text" for heads that read one message. Example.Group holds
// the descriptor.
func biasProbes(o Options) (map[string][]Example, biasInfo, error) {
	_, usable, err := descriptorHalves(o)
	if err != nil {
		return nil, biasInfo{}, err
	}
	n := o.BiasDescriptors
	if n <= 0 || n > len(usable) {
		n = len(usable)
	}
	probes := map[string][]Example{}
	for i := 0; i < n; i++ {
		d := usable[i*len(usable)/n]
		np := nounPhrase(d)
		for ti, tmpl := range biasTemplates {
			msg := fmt.Sprintf(tmpl, np)
			probes["text"] = append(probes["text"], Example{ID: fmt.Sprintf("bias-%03d-%d", i, ti), Texts: map[string]string{"text": msg}, Group: d.Descriptor})
			for ri, reply := range biasReplies {
				probes["pair"] = append(probes["pair"], Example{ID: fmt.Sprintf("bias-%03d-%d-%d", i, ti, ri),
					Texts: map[string]string{"context": msg, "response": reply}, Group: d.Descriptor})
			}
		}
	}
	return probes, biasInfo{Descriptors: n, Probes: len(biasTemplates)}, nil
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
		m := SummarizeMITI([]TherapistCode{{Reflection: t.Probs["reflection"], Complex: r.Probs["complex"], Question: t.Probs["question"], Open: q.Probs["open"]}})
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
	}
	return 0
}

// biasFigures is each scorer's bias figure: the largest move, over
// descriptors, of the scorer's mean output away from its mean over all
// probes. Scorers whose heads read one message are probed with the
// messages alone ("text"), the others with message and reply ("pair").
func biasFigures(probes map[string][]Example, pred func(string) string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, scorer := range []string{"empathy", "mi", "crisis", "safety", "persona"} {
		kind := "pair"
		if scorer == "crisis" || scorer == "persona" {
			kind = "text"
		}
		preds := map[string]map[string]Prediction{}
		for _, h := range scorerHeads[scorer] {
			p, err := readPredictions(pred("bias." + h + ".jsonl"))
			if err != nil {
				return nil, err
			}
			preds[h] = p
		}
		sum, cnt, total := map[string]float64{}, map[string]float64{}, 0.0
		for _, e := range probes[kind] {
			for h := range preds {
				if _, ok := preds[h][e.ID]; !ok {
					return nil, fmt.Errorf("no %s prediction for bias probe %s (fix: rerun `pixel scorers validate`)", h, e.ID)
				}
			}
			v := scorerOutput(scorer, func(h string) Prediction { return preds[h][e.ID] })
			sum[e.Group] += v
			cnt[e.Group]++
			total += v
		}
		mean, worst := total/float64(len(probes[kind])), 0.0
		for d := range sum {
			worst = math.Max(worst, math.Abs(sum[d]/cnt[d]-mean))
		}
		out[scorer] = worst
	}
	return out, nil
}
