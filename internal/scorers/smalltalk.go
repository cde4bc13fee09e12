package scorers

import (
	"context"
	"fmt"
	"strings"

	"gonum.org/v1/gonum/stat"

	"pixel/internal/record"
)

// smallTalkSource is ordinary conversation: the user turns of
// Synthetic-Persona-Chat, persona-grounded chit-chat (hobbies, family,
// plans) that an LLM wrote and no person labelled, with no distress asked
// for. Its test split measures the crisis scorer's false alarms; where
// scorers.smalltalk_train says so, turns of its valid split (other
// conversations) train the crisis level head as "none".
const smallTalkSource = "synthetic_persona_chat"

// smallTalk is up to n user turns of the split (0: all), spread evenly by
// a hash of their ids; a turn's group is its conversation. Test turns are
// held out; valid turns train, labelled "none" and kept in full under the
// head's cap like the project's short messages.
func smallTalk(ctx context.Context, root, split string, n int) ([]Example, error) {
	var out []Example
	_, err := eachRecord(ctx, root, smallTalkSource, func(c record.Conversation) {
		if c.Labels["split"] != split {
			return
		}
		for i, m := range c.Messages {
			if m.Role == "user" && strings.TrimSpace(m.Content) != "" {
				e := Example{ID: fmt.Sprintf("%s-%02d", c.ID, i), Texts: map[string]string{"text": m.Content}, Group: c.ID,
					Heldout: split == "test", Meta: map[string]string{"source": smallTalkSource}}
				if split != "test" {
					e.Label, e.Keep = "none", true
				}
				out = append(out, e)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return capEven(out, n), nil
}

// smallTalkTrained counts the valid-split turns the crisis level head
// trained on (scorers.smalltalk_train, after its cap).
func smallTalkTrained(tasks []*Task) int {
	n := 0
	for _, t := range tasks {
		if t.Name == "crisis_level" {
			for _, e := range t.Train {
				n += b2i(e.Meta["source"] == smallTalkSource)
			}
		}
	}
	return n
}

// smallTalkRows measure the crisis scorer on small talk end to end, as
// `pixel score` reads a message: the share rated "high" (a false alarm of
// suicide risk), with the shares rated above "none" and "imminent" in the
// note; trained is how many valid-split turns the head learned as "none".
func smallTalkRows(test []Example, level, imm map[string]Prediction, trained int) ([]Row, error) {
	const measure = "ordinary small talk rated high (false alarms)"
	if len(test) == 0 {
		return []Row{newRow(Row{Scorer: "crisis", Measure: measure, Heldout: "none", Metric: "—",
			Note: "no small-talk turns were read"}, nanV(), nil)}, nil
	}
	high := make([]float64, len(test))
	groups := make([]string, len(test))
	var aboveNone, imminent int
	for i, e := range test {
		_, h, onImm, err := endToEnd(e.ID, "small-talk turn", level, imm)
		if err != nil {
			return nil, err
		}
		high[i], groups[i] = float64(b2i(h)), e.Group
		aboveNone += b2i(level[e.ID].Top() != "none")
		imminent += b2i(onImm)
	}
	note := fmt.Sprintf("LLM-written chit-chat, not labelled by people; no goal; %d of %d rated high, %d imminent end to end; "+
		"rated above none (low or more) %.3f", int(stat.Mean(high, nil)*float64(len(test))+0.5), len(test), imminent,
		float64(aboveNone)/float64(len(test)))
	if trained > 0 {
		note += fmt.Sprintf("; the head trained on %d turns of the valid split as none (other conversations by the same generator: "+
			"an upper estimate for real chat)", trained)
	}
	return []Row{newRow(Row{Scorer: "crisis", Measure: measure, Heldout: "Synthetic-Persona-Chat test split, user turns", N: len(test),
		Metric: "share", LowerIsBetter: true, CI: ci95(groups, func(idx []int) float64 { return stat.Mean(pick(high, idx), nil) }),
		Note: note}, stat.Mean(high, nil), nil)}, nil
}
