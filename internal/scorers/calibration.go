package scorers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// eceBins is the number of equal-width confidence bins of ECE.
const eceBins = 10

// ECE is the expected calibration error of top-label probabilities: the
// examples binned by the probability of their predicted class (10 equal
// bins over 0..1), and each bin's |accuracy − mean probability| weighted
// by its share of the examples. 0 is perfectly calibrated; NaN with no
// examples.
func ECE(conf []float64, correct []bool) float64 {
	if len(conf) == 0 {
		return math.NaN()
	}
	var n, hit, sum [eceBins]float64
	for i, c := range conf {
		b := min(int(c*eceBins), eceBins-1) // a probability of 1 falls in the last bin
		n[b]++
		sum[b] += c
		if correct[i] {
			hit[b]++
		}
	}
	e := 0.0
	for b := range n {
		if n[b] > 0 {
			e += n[b] / float64(len(conf)) * math.Abs(hit[b]/n[b]-sum[b]/n[b])
		}
	}
	return e
}

// eceChance is the ECE a perfectly calibrated head with these top-class
// probabilities would read on this many examples, 95 times in 100: each
// example is drawn right with its own probability, 1,000 times (fixed
// seed), and the 95th percentile of the draws' ECE is kept. ECE counts
// each bin's sampling noise as error, so on a small set even a calibrated
// head reads well above 0; an ECE at or under this is within chance (a
// consistency check in the sense of Bröcker and Smith's reliability
// diagrams). NaN with no examples.
func eceChance(conf []float64) float64 {
	if len(conf) == 0 {
		return math.NaN()
	}
	rng := rand.New(rand.NewPCG(11, uint64(len(conf))))
	draws, correct := make([]float64, bootstrapResamples), make([]bool, len(conf))
	for d := range draws {
		for i, c := range conf {
			correct[i] = rng.Float64() < c
		}
		draws[d] = ECE(conf, correct)
	}
	sort.Float64s(draws)
	return quantile(draws, 0.95)
}

// calibration says how the head's probabilities were calibrated.
func (h headBuild) calibration() string {
	switch {
	case h.Kind == "finetuned" && h.Temperature != nil && h.TemperatureRefit > 0:
		s := fmt.Sprintf("fine-tuned; temperature %.3g fitted on %d out-of-fold predictions of its encoder trained again on %d folds of its training rows, groups kept whole",
			*h.Temperature, h.TemperatureRows, h.TemperatureRefit)
		if len(h.TemperatureLogLoss) == 2 {
			s += fmt.Sprintf(" (log loss there %.3f → %.3f)", h.TemperatureLogLoss[0], h.TemperatureLogLoss[1])
		}
		if h.TemperatureLeftOut > 0 {
			s += fmt.Sprintf("; %d rows of a label their fold never trained on left out", h.TemperatureLeftOut)
		}
		return s
	case h.Kind == "finetuned" && h.Temperature != nil && h.TemperatureRows > 0:
		s := fmt.Sprintf("fine-tuned; temperature %.3g fitted on %d training-side rows beyond its cap, from groups none of its training rows share", *h.Temperature, h.TemperatureRows)
		if len(h.TemperatureLogLoss) == 2 {
			s += fmt.Sprintf(" (log loss there %.3f → %.3f)", h.TemperatureLogLoss[0], h.TemperatureLogLoss[1])
		}
		return s
	case h.Kind == "finetuned" && h.TemperatureRefitShort > 0:
		return fmt.Sprintf("fine-tuned, no temperature fitted: its encoder was trained again on %d folds, but every out-of-fold row is a short turn its frozen head reads",
			h.TemperatureRefitShort)
	case h.Kind == "finetuned" && h.Calibration != nil && h.Calibration.Spare == 0:
		return "fine-tuned, no temperature fitted: every training-side row taught its encoder"
	case h.Kind == "finetuned" && h.Calibration != nil && h.Calibration.Spare >= h.Calibration.Needed:
		return "fine-tuned, no temperature fitted: the calibration rows drawn are all short turns its frozen head reads"
	case h.Kind == "finetuned" && h.Calibration != nil:
		return fmt.Sprintf("fine-tuned, no temperature fitted: %d training-side rows beyond its cap from groups it never trained on, under the %d of scorers.calibration_rows",
			h.Calibration.Spare, h.Calibration.Needed)
	case h.Kind == "finetuned":
		return "fine-tuned, no temperature fitted (scorers.calibration_rows 0, or a set trained before it)"
	case h.Temperature != nil && h.TemperatureFolds > 0 && h.TemperatureReads > 0:
		s := fmt.Sprintf("temperature %.3g fitted on %d-fold out-of-fold logits of the %d training rows it reads (the folds split every row",
			*h.Temperature, h.TemperatureFolds, h.TemperatureReads)
		if len(h.TemperatureLogLoss) == 2 {
			s += fmt.Sprintf("; log loss there %.3f → %.3f", h.TemperatureLogLoss[0], h.TemperatureLogLoss[1])
		}
		return s + ")"
	case h.Temperature != nil && h.TemperatureFolds > 0:
		return fmt.Sprintf("temperature %.3g fitted on %d-fold out-of-fold logits of its training rows", *h.Temperature, h.TemperatureFolds)
	case h.Temperature != nil:
		return "no temperature fitted (a label has under 2 training rows)"
	default:
		return "no temperature fitted (scorers.calibration_folds 0, or a set trained before it)"
	}
}

// calibrationRow is how well one head's held-out probabilities match how
// often its top class is right: ECE with its interval, and a note with
// the mean top probability against the accuracy and the head's
// temperature, if any. No goal: it tells a reader how far to trust a
// probability the scorer reports (crisis p_any_suicide_risk, each safety
// item's probability, P(therapist)), not whether the scorer passes.
func calibrationRow(set Set, t *Task, gold []string, probs []Prediction) (Row, error) {
	conf, correct := make([]float64, len(probs)), make([]bool, len(probs))
	meanConf, acc := 0.0, 0.0
	for i, p := range probs {
		top := p.Top()
		conf[i], correct[i] = p.Probs[top], top == gold[i]
		meanConf += conf[i]
		if correct[i] {
			acc++
		}
	}
	var h headBuild
	if err := readHeadJSON(set, t.Name, &h); err != nil {
		return Row{}, err
	}
	how := h.calibration()
	if h.ShortTurns != nil {
		var s headBuild
		if err := readHeadJSON(set, h.ShortTurns.Head, &s); err != nil {
			return Row{}, err
		}
		how += "; its short turns' frozen head: " + s.calibration()
	}
	note, ece := how, ECE(conf, correct)
	var chance *float64
	if len(probs) > 0 {
		meanConf, acc = meanConf/float64(len(probs)), acc/float64(len(probs))
		lean := "about even"
		switch {
		case acc-meanConf > 0.02:
			lean = "underconfident"
		case meanConf-acc > 0.02:
			lean = "overconfident"
		}
		chance = fp(eceChance(conf))
		within := "beyond chance"
		if ece <= *chance {
			within = "within chance"
		}
		note = fmt.Sprintf("mean top probability %.3f, accuracy %.3f: %s; a perfectly calibrated head with these probabilities would read ECE up to %.3f on these %d examples (95%% of 1,000 draws): %s; %s",
			meanConf, acc, lean, *chance, len(probs), within, how)
	}
	return newRow(Row{Scorer: t.Scorer, Measure: t.Name + " probabilities, calibration", Heldout: t.HeldoutData, N: len(probs),
		Metric: "ECE", LowerIsBetter: true, Note: note, Chance: chance,
		CI: ci95(groupsOf(t.Heldout), func(idx []int) float64 { return ECE(pick(conf, idx), pick(correct, idx)) })}, ece, nil), nil
}
