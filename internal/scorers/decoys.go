package scorers

import (
	"fmt"

	"gonum.org/v1/gonum/stat"
)

// Decoys are short messages from people without suicidal thoughts that
// carry the surface signs of imminence in an ordinary sense (a goodbye at
// the airport, medicine "tonight", letters to a pen pal): the false alarms
// the imminence detector met (docs/rule-labels.md). Same format as the
// chat-distress set. The dev half trains the heads scorers.decoys_train
// names (the level head by default; [] keeps the earlier recipe and its
// cached sets); the test half measures both heads end to end.
func decoyExamples(o Options) (dev, test []Example, err error) {
	recs, err := readChatSet(o.DecoySet, o.DecoySetName)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range recs {
		e := Example{ID: r.ID, Texts: map[string]string{"text": r.Text}, Label: r.Label, Group: r.ID, Heldout: r.Split == "test",
			Meta: map[string]string{"source": "decoys"}}
		if e.Heldout {
			test = append(test, e)
		} else {
			dev = append(dev, e)
		}
	}
	return dev, test, nil
}

// decoyRows measure the test decoys end to end, as `pixel score` reads a
// message: the share the crisis head rates "high" (where the detector is
// read) and the share then raised to "imminent".
func decoyRows(test []Example, level, imm map[string]Prediction, name string) ([]Row, error) {
	held := "Pixel imminence decoys (" + name + "), test half"
	if len(test) == 0 {
		return []Row{newRow(Row{Scorer: "crisis", Measure: "decoys (no suicidal thoughts, imminence words) rated imminent", Heldout: "none", Metric: "—",
			Note: "the decoy set has no test half"}, nanV(), nil)}, nil
	}
	high, imminent := make([]float64, len(test)), make([]float64, len(test))
	groups := make([]string, len(test))
	for i, e := range test {
		_, h, onImm, err := endToEnd(e.ID, "decoy", level, imm)
		if err != nil {
			return nil, err
		}
		high[i], imminent[i], groups[i] = float64(b2i(h)), float64(b2i(onImm)), e.ID
	}
	mean := func(xs []float64) func(idx []int) float64 {
		return func(idx []int) float64 { return stat.Mean(pick(xs, idx), nil) }
	}
	count := func(xs []float64) int { return int(stat.Mean(xs, nil)*float64(len(xs)) + 0.5) }
	note := "AI-written decoys, docs/rule-labels.md; no goal"
	return []Row{
		newRow(Row{Scorer: "crisis", Measure: "decoys (no suicidal thoughts, imminence words) rated high", Heldout: held, N: len(test), Metric: "share",
			LowerIsBetter: true, CI: ci95(groups, mean(high)), Note: fmt.Sprintf("%s; %d of %d", note, count(high), len(test))}, stat.Mean(high, nil), nil),
		newRow(Row{Scorer: "crisis", Measure: "decoys rated imminent end to end", Heldout: held, N: len(test), Metric: "share",
			LowerIsBetter: true, CI: ci95(groups, mean(imminent)), Note: fmt.Sprintf("%s; %d of %d", note, count(imminent), len(test))}, stat.Mean(imminent, nil), nil),
	}, nil
}
