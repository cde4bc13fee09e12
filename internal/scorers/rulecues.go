package scorers

import (
	"fmt"
	"slices"
	"strings"

	"pixel/internal/record"
)

// The cues labelled in the rule-cue set (docs/rule-labels.md).
const (
	ruleImminence  = "imminence"
	rulePermission = "permission"
)

// ruleRecord is one line of the rule-cue set.
type ruleRecord struct {
	ID      string           `json:"id"`
	Rule    string           `json:"rule"`  // imminence | permission
	Split   string           `json:"split"` // dev (fitting the detectors) | test (measuring them)
	Context []record.Message `json:"context"`
	Text    string           `json:"text"`
	Label   *int             `json:"label"`
	Note    string           `json:"note"`
}

// readRuleSet parses the rule-cue set; name is for error messages.
func readRuleSet(data []byte, name string) ([]ruleRecord, error) {
	return readJSONL(data, name, "docs/rule-labels.md", true, func(r *ruleRecord) string { return r.ID }, func(r *ruleRecord) error {
		switch {
		case r.Rule != ruleImminence && r.Rule != rulePermission:
			return fmt.Errorf("rule %q (fix: %s or %s)", r.Rule, ruleImminence, rulePermission)
		case r.Split != "dev" && r.Split != "test":
			return fmt.Errorf("split %q (fix: dev or test)", r.Split)
		case strings.TrimSpace(r.Text) == "":
			return fmt.Errorf("empty text (fix: the message or therapist turn the detector reads)")
		case r.Label == nil || (*r.Label != 0 && *r.Label != 1):
			return fmt.Errorf("label missing or not 0/1 (fix: 1 when the cue is there by the rubric, else 0)")
		}
		for _, m := range r.Context {
			if m.Role != "user" && m.Role != "assistant" {
				return fmt.Errorf("context role %q (fix: user or assistant)", m.Role)
			}
		}
		return nil
	})
}

// The detectors fitted on the rule-cue set's dev half, measured on its
// test half.
const (
	crisisImminent = "crisis_imminent" // 1: acting on suicidal thoughts is near (read on a "high" message)
	miPermission   = "mi_permission"   // 1: a therapist's advice is given with permission (read on an input turn)
)

// detectorCGrid: the detectors learn from 100-200 rows, so their C is
// chosen by 10-fold cross-validation on the dev half, the smallest within
// one standard error of the best (at scorers.c, 1.0, the permission
// detector's context moved its output by 0.022 with the descriptor alone).
var detectorCGrid = []float64{0.1, 0.3, 1, 3}

// ruleTasks makes the two detectors' tasks from the rule-cue set. The
// permission detector reads the therapist's turn with the two turns before
// it (newest first), where a permission question and the client's answer
// or request would be.
func ruleTasks(o Options) ([]*Task, error) {
	recs, err := readRuleSet(o.RuleSet, o.RuleSetName)
	if err != nil {
		return nil, err
	}
	held := "Pixel rule-cue set (" + o.RuleSetName + "), test half"
	imm := &Task{Name: crisisImminent, Scorer: "crisis", Inputs: []string{"text"}, NGrams: true, CGrid: detectorCGrid, HeldoutData: held}
	// The permission detector embeds the advice turn only and reads the
	// turns before as words: their embedding carried a sentence about the
	// client into P(with permission) (docs/scorers.md, "Calibration").
	perm := &Task{Name: miPermission, Scorer: "mi", Inputs: []string{"response"}, NGrams: true, NGramInputs: []string{"response", "before"},
		CGrid: detectorCGrid, HeldoutData: held}
	for _, r := range recs {
		e := Example{ID: r.ID, Label: fmt.Sprint(*r.Label), Group: r.ID, Heldout: r.Split == "test"}
		if r.Rule == ruleImminence {
			e.Texts = map[string]string{"text": r.Text}
			imm.split([]Example{e})
			continue
		}
		e.Texts = map[string]string{"before": turnsBefore(r.Context, permissionTurns), "response": r.Text}
		perm.split([]Example{e})
	}
	// The chat-distress set's dev messages (no suicidal thoughts) train the
	// imminence detector as "not near": it is read on whatever the level
	// head rates "high", false alarms included, and fitted on suicidal
	// messages alone it gave those about 0.55. Its test half stays as it
	// was: imminent vs high on the rule-cue test half.
	chat, err := readChatSet(o.ChatSet, o.ChatSetName)
	if err != nil {
		return nil, err
	}
	for _, r := range chat {
		if r.Split == "dev" {
			imm.Train = append(imm.Train, Example{ID: r.ID, Texts: map[string]string{"text": r.Text}, Label: "0", Group: r.ID})
		}
	}
	// The decoys' dev half too, where scorers.decoys_train says so:
	// messages without suicidal thoughts that use its cue words
	// ("goodbye", "tonight", "letters"). Off by default: it cost the
	// detector recall of near messages (docs/scorers.md, "Decoys").
	if slices.Contains(o.DecoysTrain, crisisImminent) {
		decoys, _, err := decoyExamples(o)
		if err != nil {
			return nil, err
		}
		for _, e := range decoys {
			e.Label, e.Meta = "0", nil
			imm.Train = append(imm.Train, e)
		}
	}
	return []*Task{imm, perm}, nil
}

// turnsBefore is the last n conversation turns of msgs, newest first (a
// system prompt is not a turn): what the MI client head and the permission
// detector (n = permissionTurns) read before the turn they judge.
func turnsBefore(msgs []record.Message, n int) string {
	var before []string
	for _, m := range msgs {
		if m.Role != "system" {
			before = append(before, m.Content)
		}
	}
	return recentTurns(before, n)
}

// permissionTurns: a permission question and the client's answer, or the
// client's request, are in the two turns before the advice.
const permissionTurns = 2

// keywordFires applies the keyword rule that the detectors replaced, as a
// baseline in the validity table's note.
func keywordFires(r ruleRecord) bool {
	if r.Rule == ruleImminence {
		return imminenceCue(r.Text)
	}
	return permissionCue(r.Text) || permissionCue(lastAssistant(r.Context))
}

// lastAssistant is the last assistant turn of msgs ("" when none).
func lastAssistant(msgs []record.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "assistant" {
			return msgs[i].Content
		}
	}
	return ""
}

// ruleRow is a detector's validity row: accuracy on the test half, with
// precision and recall of label 1 and three baselines on the same records
// in the note: the majority label, the best length cut on dev (the set's
// writer may have made one label longer) and the keyword rule.
//
// c is the head's C as the worker chose it (zero when not recorded).
func ruleRow(t *Task, recs []ruleRecord, gold, top []string, c chosen) Row {
	title := map[string]struct{ scorer, measure, rule string }{
		crisisImminent: {"crisis", "imminent vs high (near: a time, means at hand, preparations)", ruleImminence},
		miPermission:   {"mi", "advice with vs without permission", rulePermission},
	}[t.Name]
	held := map[string]bool{} // the test records the detector was measured on (capped like every held-out side)
	for _, e := range t.Heldout {
		held[e.ID] = true
	}
	var kwGold, kwPred []string
	var devLen, testLen []lengthLabel
	for _, r := range recs {
		switch {
		case r.Rule != title.rule:
		case r.Split == "test" && !held[r.ID]:
		case r.Split == "test":
			kwGold, kwPred = append(kwGold, fmt.Sprint(*r.Label)), append(kwPred, fmt.Sprint(b2i(keywordFires(r))))
			testLen = append(testLen, lengthLabel{len(r.Text), *r.Label})
		default:
			devLen = append(devLen, lengthLabel{len(r.Text), *r.Label})
		}
	}
	if len(gold) == 0 {
		return newRow(Row{Scorer: title.scorer, Measure: title.measure, Heldout: "none", Metric: "—",
			Note: "the rule-cue set has no test records for it"}, nanV(), nil)
	}
	p, rc := precisionRecall(gold, top, "1")
	note := fmt.Sprintf("AI-labelled set, docs/rule-labels.md; precision %.3f, recall %.3f; baselines: majority label %.3f, length %.3f, keyword rule %.3f",
		p, rc, majorityAccuracy(gold), bestLengthRule(devLen, testLen), Accuracy(kwGold, kwPred))
	if c.C > 0 {
		note += fmt.Sprintf("; C %g, chosen by %d-fold cross-validation on the dev half (one-standard-error rule)", c.C, c.Folds)
	}
	return newRow(Row{Scorer: title.scorer, Measure: title.measure, Heldout: t.HeldoutData, N: len(gold), Metric: "accuracy",
		Kappa: fp(Kappa(gold, top)), CI: labelCI(groupsOf(t.Heldout), gold, top, Accuracy), Note: note}, Accuracy(gold, top), g(goalRule))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// precisionRecall of label pos (NaN where undefined).
func precisionRecall(gold, pred []string, pos string) (float64, float64) {
	tp, falsePos, falseNeg := confusion(gold, pred, pos)
	return tp / (tp + falsePos), tp / (tp + falseNeg)
}

// majorityAccuracy is the accuracy of always answering the commonest label.
func majorityAccuracy(gold []string) float64 {
	n := map[string]int{}
	best := 0
	for _, l := range gold {
		n[l]++
		best = max(best, n[l])
	}
	return float64(best) / float64(len(gold))
}

// chosen is a frozen head's C as its json records it, with the folds of
// the cross-validation that chose it.
type chosen struct {
	C     float64 `json:"c"`
	Folds int     `json:"c_cv_folds"`
}

// chosenC reads it (zero when the head records no choice, as sets fitted
// before the choice do).
func chosenC(set Set, head string) (chosen, error) {
	var c chosen
	if err := readHeadJSON(set, head, &c); err != nil {
		return c, err
	}
	if c.Folds == 0 { // a C that was not chosen (scorers.c) is not reported as chosen
		c.C = 0
	}
	return c, nil
}
