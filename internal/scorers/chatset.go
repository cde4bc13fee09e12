package scorers

import (
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// chatRecord is one line of the chat-distress set (docs/rule-labels.md):
// a short support-chat message with no suicidal thoughts and its level.
type chatRecord struct {
	ID    string `json:"id"`
	Split string `json:"split"` // dev (training the crisis head) | test (measuring it)
	Text  string `json:"text"`
	Label string `json:"label"` // none | low
	Note  string `json:"note"`
}

// readChatSet parses the chat-distress set; name is for error messages.
func readChatSet(data []byte, name string) ([]chatRecord, error) {
	return readJSONL(data, name, "docs/rule-labels.md", true, func(r *chatRecord) string { return r.ID }, func(r *chatRecord) error {
		switch {
		case r.Split != "dev" && r.Split != "test":
			return fmt.Errorf("split %q (fix: dev or test)", r.Split)
		case strings.TrimSpace(r.Text) == "":
			return fmt.Errorf("empty text (fix: the user's message)")
		case r.Label != "none" && r.Label != "low":
			return fmt.Errorf("label %q (fix: none or low; the set holds messages without suicidal thoughts)", r.Label)
		}
		return nil
	})
}

// shortMessages are the crisis head's short chat messages, written for the
// project: the rule-cue set's imminence messages (every one from a person
// with suicidal thoughts: "high") and the chat-distress set's (none or
// low). The dev halves train the head beside the public data, all of them
// (Keep: a cap sized for the public posts would thin them to a third); the
// test halves measure it on short messages.
func shortMessages(o Options) ([]Example, error) {
	rules, err := readRuleSet(o.RuleSet, o.RuleSetName)
	if err != nil {
		return nil, err
	}
	chat, err := readChatSet(o.ChatSet, o.ChatSetName)
	if err != nil {
		return nil, err
	}
	var out []Example
	add := func(id, text, level, source, split string) {
		out = append(out, Example{ID: id, Texts: map[string]string{"text": text}, Label: level, Group: id, Heldout: split == "test",
			Meta: map[string]string{"source": source}, Keep: true})
	}
	for _, r := range rules {
		if r.Rule == ruleImminence {
			add(r.ID, r.Text, "high", "rule-cues", r.Split)
		}
	}
	for _, r := range chat {
		add(r.ID, r.Text, r.Label, "chat-distress", r.Split)
	}
	// The decoys' dev half, where scorers.decoys_train names the level
	// head; their test half is measured on its own (decoyRows), never here.
	if slices.Contains(o.DecoysTrain, "crisis_level") {
		decoys, _, err := decoyExamples(o)
		if err != nil {
			return nil, err
		}
		for _, e := range decoys {
			add(e.ID, e.Texts["text"], e.Label, "decoys", "dev")
		}
	}
	return out, nil
}

// endToEnd reads a message's crisis verdict as a report does: P(high)
// and whether "high" is the top level, and "imminent" when the detector
// also says near. what names the message in the error.
func endToEnd(id, what string, level, imm map[string]Prediction) (pHigh float64, high, imminent bool, err error) {
	l, okL := level[id]
	m, okI := imm[id]
	if !okL || !okI {
		return 0, false, false, fmt.Errorf("crisis: no prediction for %s %s (fix: rerun `pixel scorers validate`)", what, id)
	}
	high = l.Top() == "high"
	return l.Probs["high"], high, high && m.Probs["1"] >= 0.5, nil
}

// shortMessageRows measure the crisis head on the short messages' test
// half (level: its predictions there): P(high) separating messages with
// suicidal thoughts from those without (AUROC), the share of each rated
// "high", and how many near ones (imminence label 1) end up "imminent".
func shortMessageRows(test []Example, level, imm map[string]Prediction, near map[string]bool, name string) ([]Row, error) {
	var scores, isHigh []float64
	var pos []bool
	var groups []string
	// End to end "imminent" (rated high, then the detector says near):
	// near messages caught, and the others with and without suicidal
	// thoughts raised to imminent.
	var nearN, caught, farN, farImm, noneN, noneImm int
	for _, e := range test {
		pHigh, h, onImm, err := endToEnd(e.ID, "short message", level, imm)
		if err != nil {
			return nil, err
		}
		scores, isHigh, pos, groups = append(scores, pHigh), append(isHigh, float64(b2i(h))), append(pos, e.Label == "high"), append(groups, e.Group)
		imminent := b2i(onImm)
		switch {
		case near[e.ID]:
			nearN, caught = nearN+1, caught+imminent
		case e.Label == "high":
			farN, farImm = farN+1, farImm+imminent
		default:
			noneN, noneImm = noneN+1, noneImm+imminent
		}
	}
	held := "Pixel short chat messages (" + name + "), test half"
	if !slices.Contains(pos, true) || !slices.Contains(pos, false) {
		return []Row{newRow(Row{Scorer: "crisis", Measure: "any suicide risk on short chat messages: P(high)", Heldout: "none", Metric: "—",
			Note: "the short-message sets need test messages with and without suicidal thoughts"}, nanV(), nil)}, nil
	}
	share := func(want bool) func(idx []int) float64 {
		return func(idx []int) float64 {
			var xs []float64
			for _, i := range idx {
				if pos[i] == want {
					xs = append(xs, isHigh[i])
				}
			}
			return stat.Mean(xs, nil)
		}
	}
	all := make([]int, len(test))
	for i := range all {
		all[i] = i
	}
	n := func(want bool) int {
		c := 0
		for _, p := range pos {
			c += b2i(p == want)
		}
		return c
	}
	note := "AI-written sets, docs/rule-labels.md; no goal"
	return []Row{
		newRow(Row{Scorer: "crisis", Measure: "any suicide risk on short chat messages: P(high)", Heldout: held, N: len(test), Metric: "AUROC", Note: note,
			CI: ci95(groups, func(idx []int) float64 { return AUROC(pick(scores, idx), pick(pos, idx)) })}, AUROC(scores, pos), nil),
		newRow(Row{Scorer: "crisis", Measure: "short messages with suicidal thoughts rated high", Heldout: held, N: n(true), Metric: "share", CI: ci95(groups, share(true)),
			Note: fmt.Sprintf("%s; rated imminent end to end: near ones %d of %d, others %d of %d", note, caught, nearN, farImm, farN)}, share(true)(all), nil),
		newRow(Row{Scorer: "crisis", Measure: "short messages without suicidal thoughts rated high (false alarms)", Heldout: held, N: n(false), Metric: "share",
			LowerIsBetter: true, CI: ci95(groups, share(false)), Note: fmt.Sprintf("%s; rated imminent end to end: %d of %d", note, noneImm, noneN)}, share(false)(all), nil),
	}, nil
}
