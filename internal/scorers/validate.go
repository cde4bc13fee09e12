package scorers

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"

	"pixel/internal/artifact"
	"pixel/internal/delivery"
)

// Goals: from the issue where it sets one (EPITOME paper, MI coder,
// crisis, persona, bias), else the project's own, named in docs/scorers.md.
var (
	goalMITherapist = 0.70
	goalMIClient    = 0.65
	goalCrisisAUROC = 0.90
	goalPersona     = 0.90
	goalSafety      = 0.80 // accuracy per checklist item (project goal)
	goalRule        = 0.80 // accuracy of the imminence and permission detectors (project goal)
	goalDeliveryKS  = 0.10 // KS of held-out human replies vs the reference (project goal)
	goalBias        = 0.02
)

func g(v float64) *float64 { return &v }

// Validate measures a trained set on its held-out data and on the bias
// probes, writes validity.json and validity.md into the set, and returns
// the table. The set's key must match the data rebuilt now, which proves
// its heads were fitted on exactly the training side of this split. A
// set with no key is the one trained for these options (`pixel scorers
// validate`); the data is read once either way.
func Validate(ctx context.Context, o Options, set Set) (*Validity, error) {
	tasks, held, err := buildTasks(ctx, o)
	if err != nil {
		return nil, err
	}
	key, err := setKey(o, tasks)
	if err != nil {
		return nil, err
	}
	if set.Key == "" {
		if set, err = trainedFor(o.Dir, key); err != nil {
			return nil, err
		}
	}
	if key != set.Key {
		return nil, fmt.Errorf("scorer set %s was trained on other data or settings than these (key %s, now %s) (fix: run `pixel scorers train` with the same config)", set.Dir, set.Key, key)
	}
	pred := func(n string) string { return filepath.Join(set.Dir, "predictions", n) }
	var specs []map[string]any
	for _, t := range tasks {
		specs = append(specs, map[string]any{"name": t.Name, "input": set.dataFile(t.Name + ".heldout.jsonl"), "output": pred(t.Name + ".heldout.jsonl")})
	}
	miti := mitiRows(held)
	if err := writeExamples(set.dataFile("miti.jsonl"), miti); err != nil {
		return nil, err
	}
	for _, h := range []string{miTherapist, miReflection, miQuestion} {
		specs = append(specs, map[string]any{"name": h, "input": set.dataFile("miti.jsonl"), "output": pred("miti." + h + ".jsonl")})
	}
	// The crisis head on the project's short chat messages (test half):
	// does it tell those with suicidal thoughts from the others, and call
	// them "high", the level the imminence detector is read on?
	short, err := shortMessages(o)
	if err != nil {
		return nil, err
	}
	var shortTest []Example
	for _, e := range short {
		if e.Heldout {
			shortTest = append(shortTest, e)
		}
	}
	shortTest = capEven(shortTest, o.MaxHeldout)
	if err := writeExamples(set.dataFile("short.heldout.jsonl"), shortTest); err != nil {
		return nil, err
	}
	_, decoyTest, err := decoyExamples(o)
	if err != nil {
		return nil, err
	}
	decoyTest = capEven(decoyTest, o.MaxHeldout)
	if err := writeExamples(set.dataFile("decoys.heldout.jsonl"), decoyTest); err != nil {
		return nil, err
	}
	talk, err := smallTalk(ctx, o.DataRoot, "test", o.MaxHeldout)
	if err != nil {
		return nil, err
	}
	if err := writeExamples(set.dataFile("smalltalk.heldout.jsonl"), talk); err != nil {
		return nil, err
	}
	for _, h := range []string{"crisis_level", crisisImminent} {
		specs = append(specs, map[string]any{"name": h, "input": set.dataFile("short.heldout.jsonl"), "output": pred("short." + h + ".jsonl")})
		specs = append(specs, map[string]any{"name": h, "input": set.dataFile("decoys.heldout.jsonl"), "output": pred("decoys." + h + ".jsonl")})
		specs = append(specs, map[string]any{"name": h, "input": set.dataFile("smalltalk.heldout.jsonl"), "output": pred("smalltalk." + h + ".jsonl")})
	}
	var carriers []Example
	for _, t := range tasks {
		if t.Name == empathyMechanisms[0].Task {
			carriers = biasCarriers(t.Heldout, o.BiasCarriers)
		}
	}
	var shortCarriers []Example // scorers.bias_carriers caps both carried families; 0 turns both off
	if o.BiasCarriers > 0 {
		shortCarriers = capEven(shortTest, o.BiasCarriers)
	}
	probes, binfo, err := biasProbes(o, carriers, shortCarriers)
	if err != nil {
		return nil, err
	}
	binfo.CarrierData = "EPITOME held-out seeker posts and replies"
	for kind, exs := range probes {
		if err := writeExamples(set.dataFile("bias."+kind+".jsonl"), exs); err != nil {
			return nil, err
		}
	}
	checked := map[string]bool{}
	for _, bs := range biasScorers {
		for _, h := range bs.heads {
			checked[h] = true
		}
	}
	for _, t := range tasks {
		if !checked[t.Name] {
			continue
		}
		kind := probeKind(t)
		specs = append(specs, map[string]any{"name": t.Name, "input": set.dataFile("bias." + kind + ".jsonl"), "output": pred("bias." + t.Name + ".jsonl")})
		for _, fam := range []string{realFamily, shortFamily} {
			if len(probes[fam+kind]) > 0 {
				specs = append(specs, map[string]any{"name": t.Name, "input": set.dataFile("bias." + fam + kind + ".jsonl"), "output": pred("bias." + fam + t.Name + ".jsonl")})
			}
		}
	}
	if _, err := o.Launcher.Run(ctx, "scorer_predict", map[string]any{"encoder": o.Encoder, "cache_dir": o.embedCache(), "heads_dir": set.heads(), "tasks": specs},
		filepath.Join(set.Dir, "jobs", "scorer_predict_validate.json"), filepath.Join(set.Dir, "worker.log")); err != nil {
		return nil, err
	}
	v := &Validity{Set: set.Key, Encoder: o.Encoder, BiasMax: goalBias}
	if v.Builds, err = headBuilds(set, tasks); err != nil {
		return nil, err
	}
	byName := map[string]*Task{}
	for _, t := range tasks {
		byName[t.Name] = t
	}
	loaded := map[string]map[string]Prediction{} // each head's held-out predictions, read once (its rows, then its calibration row)
	load := func(t *Task) (gold, top []string, probs []Prediction, err error) {
		ps, ok := loaded[t.Name]
		if !ok {
			if ps, err = readPredictions(pred(t.Name + ".heldout.jsonl")); err != nil {
				return nil, nil, nil, err
			}
			loaded[t.Name] = ps
		}
		for _, e := range t.Heldout {
			p, ok := ps[e.ID]
			if !ok {
				return nil, nil, nil, fmt.Errorf("scorer %s: no prediction for held-out %s (fix: rerun `pixel scorers validate`)", t.Name, e.ID)
			}
			gold, top, probs = append(gold, e.Label), append(top, p.Top()), append(probs, p)
		}
		return gold, top, probs, nil
	}
	// empathy
	combined, humanSum := map[string]float64{}, map[string]float64{}
	for _, m := range empathyMechanisms {
		t := byName[m.Task]
		gold, top, probs, err := load(t)
		if err != nil {
			return nil, err
		}
		v.Rows = append(v.Rows, newRow(Row{Scorer: "empathy", Measure: m.Title + " (0-2)", Heldout: t.HeldoutData, N: len(gold), Metric: "macro-F1",
			Kappa: fp(Kappa(gold, top)), Note: "goal: EPITOME paper; " + perClass(gold, top), CI: labelCI(groupsOf(t.Heldout), gold, top, MacroF1)},
			MacroF1(gold, top), g(m.Goal)))
		for j, p := range probs {
			lv, _ := strconv.Atoi(gold[j])
			combined[p.ID] += (p.Probs["1"] + 2*p.Probs["2"]) / 6
			humanSum[p.ID] += float64(lv)
		}
	}
	var cx, hx []float64
	var cg []string
	for _, e := range byName["empathy_er"].Heldout { // in a fixed order, for a reproducible interval
		if c, ok := combined[e.ID]; ok {
			cx, hx, cg = append(cx, c), append(hx, humanSum[e.ID]), append(cg, e.Group)
		}
	}
	rCI := ci95(cg, func(idx []int) float64 { return stat.Correlation(pick(cx, idx), pick(hx, idx), nil) })
	v.Rows = append(v.Rows, newRow(Row{Scorer: "empathy", Measure: "combined 0..1 vs human sum of levels", Heldout: byName["empathy_er"].HeldoutData,
		N: len(cx), Metric: "Pearson r", CI: rCI}, stat.Correlation(cx, hx, nil), nil))
	// MI coder
	miMeasures := []struct {
		task, title string
		goal        *float64
	}{
		{miTherapist, "therapist behaviour (reflection/question/input/other)", g(goalMITherapist)},
		{miClient, "client talk type (change/neutral/sustain)", g(goalMIClient)},
		{miReflection, "reflection simple/complex", nil},
		{miQuestion, "question open/closed", nil},
		{miInput, "input information/advice/options/negotiation", nil},
	}
	for _, m := range miMeasures {
		t := byName[m.task]
		gold, top, _, err := load(t)
		if err != nil {
			return nil, err
		}
		second := held.Second[m.task]
		v.Rows = append(v.Rows, newRow(Row{Scorer: "mi", Measure: m.title, Heldout: t.HeldoutData, N: len(gold), Metric: "macro-F1",
			Kappa: fp(Kappa(gold, top)), HumanKappa: fp(Kappa(second[0], second[1])), CI: labelCI(groupsOf(t.Heldout), gold, top, MacroF1)},
			MacroF1(gold, top), m.goal))
	}
	mitiRow, err := mitiValidity(held, miti, pred)
	if err != nil {
		return nil, err
	}
	rrecs, err := readRuleSet(o.RuleSet, o.RuleSetName)
	if err != nil {
		return nil, err
	}
	rules := map[string]Row{}
	for _, name := range []string{crisisImminent, miPermission} {
		gold, top, _, err := load(byName[name])
		if err != nil {
			return nil, err
		}
		c, err := chosenC(set, name)
		if err != nil {
			return nil, err
		}
		rules[name] = ruleRow(byName[name], rrecs, gold, top, c)
	}
	v.Rows = append(v.Rows, mitiRow, rules[miPermission])
	// crisis
	ct := byName["crisis_level"]
	gold, top, probs, err := load(ct)
	if err != nil {
		return nil, err
	}
	var scores []float64
	var pos []bool
	var sg []string
	for i, e := range ct.Heldout {
		if e.Meta["source"] == "t-sid" {
			scores, pos, sg = append(scores, probs[i].Probs["high"]), append(pos, e.Label == "high"), append(sg, e.Group)
		}
	}
	aucCI := ci95(sg, func(idx []int) float64 { return AUROC(pick(scores, idx), pick(pos, idx)) })
	v.Rows = append(v.Rows,
		newRow(Row{Scorer: "crisis", Measure: "any suicide risk: P(high or above)", Heldout: "T-SID held-out posts", N: len(scores), Metric: "AUROC", CI: aucCI},
			AUROC(scores, pos), g(goalCrisisAUROC)),
		newRow(Row{Scorer: "crisis", Measure: "risk level none/low/moderate/high", Heldout: ct.HeldoutData, N: len(gold), Metric: "macro-F1", Kappa: fp(Kappa(gold, top)),
			CI: labelCI(groupsOf(ct.Heldout), gold, top, MacroF1)}, MacroF1(gold, top), nil),
		rules[crisisImminent])
	shortLevel, imm, err := crisisPredictions(pred, "short.")
	if err != nil {
		return nil, err
	}
	near := map[string]bool{}
	for _, e := range byName[crisisImminent].Heldout {
		near[e.ID] = e.Label == "1"
	}
	sr, err := shortMessageRows(shortTest, shortLevel, imm, near, o.RuleSetName+", "+o.ChatSetName)
	if err != nil {
		return nil, err
	}
	v.Rows = append(v.Rows, sr...)
	decoyLevel, decoyImm, err := crisisPredictions(pred, "decoys.")
	if err != nil {
		return nil, err
	}
	dr, err := decoyRows(decoyTest, decoyLevel, decoyImm, o.DecoySetName)
	if err != nil {
		return nil, err
	}
	v.Rows = append(v.Rows, dr...)
	talkLevel, talkImm, err := crisisPredictions(pred, "smalltalk.")
	if err != nil {
		return nil, err
	}
	tr, err := smallTalkRows(talk, talkLevel, talkImm, smallTalkTrained(tasks))
	if err != nil {
		return nil, err
	}
	v.Rows = append(v.Rows, tr...)
	// safety
	srecs, err := readSafetySet(o.SafetySet, o.SafetySetName)
	if err != nil {
		return nil, err
	}
	for _, it := range SafetyItems {
		t := byName["safety_"+it]
		gold, top, _, err := load(t)
		if err != nil {
			return nil, err
		}
		v.Rows = append(v.Rows, newRow(Row{Scorer: "safety", Measure: it, Heldout: t.HeldoutData, N: len(gold), Metric: "accuracy",
			Kappa: fp(Kappa(gold, top)), Note: fmt.Sprintf("AI-labelled set, docs/safety-labels.md; reply-length baseline %.3f", lengthBaseline(srecs, it)),
			CI: labelCI(groupsOf(t.Heldout), gold, top, Accuracy)},
			Accuracy(gold, top), g(goalSafety)))
	}
	// delivery
	dv, err := deliveryValidity(ctx, o, set)
	if err != nil {
		return nil, err
	}
	v.Rows = append(v.Rows, dv)
	// persona
	pt := byName["persona"]
	gold, top, probs, err = load(pt)
	if err != nil {
		return nil, err
	}
	v.Rows = append(v.Rows, newRow(Row{Scorer: "persona", Measure: "therapist vs client turn", Heldout: pt.HeldoutData, N: len(gold), Metric: "accuracy",
		Kappa: fp(Kappa(gold, top)), CI: labelCI(groupsOf(pt.Heldout), gold, top, Accuracy)}, Accuracy(gold, top), g(goalPersona)))
	// What a model's persona consistency is read against: real speakers do
	// not score 1.0, since a share of their turns read like the other side.
	own := make([]float64, len(gold))
	for i, p := range probs {
		own[i] = p.Probs[gold[i]]
	}
	v.Rows = append(v.Rows, newRow(Row{Scorer: "persona", Measure: "consistency of real speakers' turns (what a model's consistency is read against)", Heldout: pt.HeldoutData,
		N: len(own), Metric: "mean P(own persona)", CI: ci95(groupsOf(pt.Heldout), func(idx []int) float64 { return stat.Mean(pick(own, idx), nil) })},
		stat.Mean(own, nil), nil))
	// The same turns split at 4 words: the 1-3 word ones ("Yeah.",
	// "Mm-hmm.") either side says, so the long ones are what to expect on a
	// model's reply, and the short ones come with the speaker who said the same
	// words most often in training, an estimate of the ceiling for a reader
	// of the turn alone. No goals of their own.
	var lg, lt, lgr, sh, st, shr, sl []string
	majority := wordsMajority(pt.Train)
	for i, e := range pt.Heldout {
		if shortTurn(e.Texts["text"]) {
			sh, st, shr, sl = append(sh, gold[i]), append(st, top[i]), append(shr, e.Group), append(sl, majority(e.Texts["text"]))
		} else {
			lg, lt, lgr = append(lg, gold[i]), append(lt, top[i]), append(lgr, e.Group)
		}
	}
	v.Rows = append(v.Rows, newRow(Row{Scorer: "persona", Measure: "therapist vs client turn, turns of 4+ words", Heldout: pt.HeldoutData, N: len(lg),
		Metric: "accuracy", Kappa: fp(Kappa(lg, lt)), CI: labelCI(lgr, lg, lt, Accuracy)}, Accuracy(lg, lt), nil))
	if len(sh) > 0 {
		v.Rows = append(v.Rows, newRow(Row{Scorer: "persona", Measure: "therapist vs client turn, turns of 1-3 words", Heldout: pt.HeldoutData, N: len(sh),
			Metric: "accuracy", Kappa: fp(Kappa(sh, st)), CI: labelCI(shr, sh, st, Accuracy),
			Note: fmt.Sprintf("the speaker who said the same words most often in training: %.3f", Accuracy(sh, sl))}, Accuracy(sh, st), nil))
	}
	// calibration: how far each head's probabilities can be read as such
	for _, t := range tasks {
		gold, _, probs, err := load(t)
		if err != nil {
			return nil, err
		}
		r, err := calibrationRow(set, t, gold, probs)
		if err != nil {
			return nil, err
		}
		v.Rows = append(v.Rows, r)
	}
	// bias
	rows, err := biasRows(probes, binfo, pred)
	if err != nil {
		return nil, err
	}
	v.Rows = append(v.Rows, rows...)
	if err := artifact.WriteJSON(set.ValidityPath(), v); err != nil {
		return nil, err
	}
	svg, err := v.Chart()
	if err != nil {
		return nil, err
	}
	if err := artifact.WriteBytes(filepath.Join(set.Dir, "validity.svg"), svg); err != nil {
		return nil, err
	}
	if svg, err = v.CalibrationChart(); err != nil {
		return nil, err
	}
	if err := artifact.WriteBytes(filepath.Join(set.Dir, "calibration.svg"), svg); err != nil {
		return nil, err
	}
	var md bytes.Buffer
	v.Markdown(&md)
	if err := artifact.WriteBytes(filepath.Join(set.Dir, "validity.md"), md.Bytes()); err != nil {
		return nil, err
	}
	return v, nil
}

func nanV() float64 { return math.NaN() } // no value: a rule without human labels

// mitiRows are the held-out transcripts' therapist turns, each with the
// turn before it as context, for the MITI summary check.
func mitiRows(held *miHeldout) []Example {
	var out []Example
	ids := make([]string, 0, len(held.Transcripts))
	for id := range held.Transcripts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		prev := ""
		for _, u := range held.Transcripts[id] {
			if u.Speaker == "therapist" {
				out = append(out, Example{ID: fmt.Sprintf("miti-%s-%04d", id, u.N), Texts: map[string]string{"context": prev, "response": u.Text}, Group: id})
			}
			prev = u.Text
		}
	}
	return out
}

// mitiValidity: does therapeutic appropriateness from the coder's codes
// separate AnnoMI's high- from low-quality held-out transcripts? The same
// figure from the human codes is the reference (in HumanKappa's place it
// would mislead, so it goes in the note).
func mitiValidity(held *miHeldout, rows []Example, pred func(string) string) (Row, error) {
	ps := map[string]map[string]Prediction{}
	for _, h := range []string{miTherapist, miReflection, miQuestion} {
		p, err := readPredictions(pred("miti." + h + ".jsonl"))
		if err != nil {
			return Row{}, err
		}
		ps[h] = p
	}
	codes := map[string][]TherapistCode{}
	for _, r := range rows {
		t, rf, q := ps[miTherapist][r.ID], ps[miReflection][r.ID], ps[miQuestion][r.ID]
		codes[r.Group] = append(codes[r.Group], TherapistCode{Reflection: t.Probs["reflection"], Complex: rf.Probs["complex"],
			Question: t.Probs["question"], Open: q.Probs["open"]}) // permission is not part of appropriateness
	}
	var model, human []float64
	var high []bool
	var used []string // the transcript of each value
	ids := make([]string, 0, len(held.Transcripts))
	for id := range held.Transcripts {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a fixed order, for a reproducible interval
	for _, id := range ids {
		us := held.Transcripts[id]
		m, h := SummarizeMITI(codes[id]), SummarizeMITI(humanCodes(us))
		if m.Appropriateness == nil || h.Appropriateness == nil || len(us) == 0 {
			continue
		}
		model, human, high = append(model, *m.Appropriateness), append(human, *h.Appropriateness), append(high, us[0].Quality == "high")
		used = append(used, id)
	}
	humanAUC := AUROC(human, high)
	ci := ci95(used, func(idx []int) float64 { return AUROC(pick(model, idx), pick(high, idx)) })
	return newRow(Row{Scorer: "mi", Measure: "therapeutic appropriateness (MITI) vs AnnoMI high/low quality", Heldout: "AnnoMI held-out transcripts",
		N: len(model), Metric: "AUROC", CI: ci, Note: fmt.Sprintf("same figure from the human codes: %s", fmtOpt(fp(humanAUC)))}, AUROC(model, high), nil), nil
}

// deliveryValidity: the reference (human replies not held out) against
// held-out human replies.
func deliveryValidity(ctx context.Context, o Options, set Set) (Row, error) {
	ref, err := delivery.LoadReference(set.reference())
	if err != nil {
		return Row{}, err
	}
	replies, err := delivery.HumanReplies(ctx, o.DataRoot)
	if err != nil {
		return Row{}, err
	}
	_, heldout := delivery.Split(replies, o.HeldoutPercent)
	val := delivery.Validate(ref, delivery.Texts(heldout))
	return newRow(Row{Scorer: "delivery", Measure: "human-reply reference generalises (max over the six features)",
		Heldout: fmt.Sprintf("ESConv + CounselChat replies, %d%% of conversations held out", o.HeldoutPercent), N: val.HeldoutReplies,
		Metric: "KS", LowerIsBetter: true, Note: fmt.Sprintf("held-out human mean overall %.3f, reference %.3f", val.HeldoutMeanOverall, val.RefMeanOverall)},
		val.MaxKS, g(goalDeliveryKS)), nil
}

// perClass is "F1 per class 0/1/2: 0.84/0.67/0.61 (n 424/160/29)" over the
// gold classes in order: where a macro-F1 is lost.
func perClass(gold, pred []string) string {
	f1, n := ClassF1(gold, pred), map[string]int{}
	for _, c := range gold {
		n[c]++
	}
	classes := make([]string, 0, len(n))
	for c := range n {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	fs, ns := make([]string, len(classes)), make([]string, len(classes))
	for i, c := range classes {
		fs[i], ns[i] = fmt.Sprintf("%.2f", f1[c]), strconv.Itoa(n[c])
	}
	return fmt.Sprintf("F1 per class %s: %s (n %s)", strings.Join(classes, "/"), strings.Join(fs, "/"), strings.Join(ns, "/"))
}

// crisisPredictions reads the level head's and the imminence detector's
// predictions for one extra test set (prefix "short.", "decoys." or
// "smalltalk.").
func crisisPredictions(pred func(string) string, prefix string) (level, imm map[string]Prediction, err error) {
	if level, err = readPredictions(pred(prefix + "crisis_level.jsonl")); err != nil {
		return nil, nil, err
	}
	if imm, err = readPredictions(pred(prefix + crisisImminent + ".jsonl")); err != nil {
		return nil, nil, err
	}
	return level, imm, nil
}
