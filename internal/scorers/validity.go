package scorers

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Row is one line of the validity table.
type Row struct {
	Scorer  string `json:"scorer"`
	Measure string `json:"measure"`
	Heldout string `json:"heldout_data"`
	N       int    `json:"n"`
	Metric  string `json:"metric"` // macro-F1 | AUROC | accuracy | kappa | Pearson r | KS | max |Δ mean| | mean P(own persona) | share
	// Value is NaN-free in JSON: nil when it cannot be computed (e.g. no
	// labelled test records).
	Value *float64 `json:"value"`
	// Goal is nil for figures reported without a goal.
	Goal          *float64 `json:"goal"`
	LowerIsBetter bool     `json:"lower_is_better,omitempty"`
	Pass          *bool    `json:"pass"`
	// Kappa is Cohen's kappa of the scorer against the human labels;
	// HumanKappa is two human coders against each other on the same
	// scheme, where the dataset has double coding: the ceiling to read
	// Kappa against.
	// CI is the 95% bootstrap interval of Value over held-out groups
	// (bootstrap.go): how far the figure could move on another held-out
	// sample of the same size. Nil where Value is not a held-out statistic.
	CI         *[2]float64 `json:"ci95,omitempty"`
	Kappa      *float64    `json:"kappa,omitempty"`
	HumanKappa *float64    `json:"human_kappa,omitempty"`
	// Chance, on a calibration (ECE) row, is the ECE a perfectly
	// calibrated head with the same probabilities would read on these
	// examples 95 times in 100 (eceChance): a Value at or under it is
	// within chance.
	Chance *float64 `json:"ece_chance,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// Validity is the validity table of one trained scorer set.
type Validity struct {
	Set     string  `json:"set"`
	Encoder string  `json:"encoder"`
	Rows    []Row   `json:"rows"`
	BiasMax float64 `json:"bias_goal"`
	// Builds says, per scorer, how its heads were built (frozen or
	// fine-tuned, the encoder, a seed ensemble's seeds), so a report
	// reader knows which scorer the figures are of.
	Builds map[string]string `json:"builds,omitempty"`
}

func fp(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// newRow fills Pass from Value and Goal.
func newRow(r Row, value float64, goal *float64) Row {
	r.Value, r.Goal = fp(value), goal
	if r.Value != nil && goal != nil {
		p := *r.Value >= *goal
		if r.LowerIsBetter {
			p = *r.Value <= *goal
		}
		r.Pass = &p
	}
	return r
}

// Summary is every figure of a scorer, its bias check included, each with
// its note in brackets: what `pixel score` puts beside that scorer's numbers.
func (v *Validity) Summary(scorer string) string {
	var parts []string
	for _, r := range v.Rows {
		if r.Scorer != scorer || r.Value == nil {
			continue
		}
		s := r.figure() + fmt.Sprintf(" on %s (n=%d)", r.Heldout, r.N) + r.goalText()
		if r.Note != "" { // what the figure means: baselines, provenance, the human ceiling
			s += " [" + r.Note + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// Brief is a scorer's figures that have a goal, each with its interval and
// pass or FAIL, a caveat on AI-labelled held-out data kept, and where the
// whole table is: what `pixel score --agreement brief` puts beside that
// scorer's numbers instead of Summary (under half its length).
func (v *Validity) Brief(scorer, table string) string {
	var parts []string
	for _, r := range v.Rows {
		if r.Scorer != scorer || r.Value == nil || r.Pass == nil {
			continue
		}
		s := r.figure() + r.goalText()
		if strings.Contains(r.Note, "AI-labelled") {
			s += " [AI-labelled held-out data]"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		parts = append(parts, "no figure with a goal")
	}
	return strings.Join(parts, "; ") + "; every figure, its held-out data and notes: " + table
}

// figure is "measure metric value (95% CI lo–hi)" of a row with a value.
func (r Row) figure() string {
	s := fmt.Sprintf("%s %s %.3f", r.Measure, r.Metric, *r.Value)
	if r.CI != nil {
		s += " (95% CI " + r.CIText() + ")"
	}
	return s
}

// goalText is ", goal ≥0.90: pass" for a row with a goal, else "".
func (r Row) goalText() string {
	if r.Pass == nil {
		return ""
	}
	return fmt.Sprintf(", goal %s%.2f: %s", cmp(r.LowerIsBetter), *r.Goal, passWord(*r.Pass))
}

// Failed lists the rows with a goal they miss.
func (v *Validity) Failed() []Row {
	var out []Row
	for _, r := range v.Rows {
		if r.Pass != nil && !*r.Pass {
			out = append(out, r)
		}
	}
	return out
}

func cmp(lower bool) string {
	if lower {
		return "≤"
	}
	return "≥"
}

func passWord(p bool) string {
	if p {
		return "pass"
	}
	return "FAIL"
}

func fmtOpt(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.3f", *v)
}

// CIText is the interval as "0.550–0.670", or "—" without one.
func (r Row) CIText() string {
	if r.CI == nil {
		return "—"
	}
	return fmt.Sprintf("%.3f–%.3f", r.CI[0], r.CI[1])
}

// Markdown writes the table for reports and the terminal.
func (v *Validity) Markdown(w io.Writer) {
	fmt.Fprintf(w, "| scorer | measure | held-out data | n | metric | value | 95%% CI | goal | pass | κ vs humans | human–human κ |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range v.Rows {
		goal, pass := "—", "—"
		if r.Goal != nil {
			goal = cmp(r.LowerIsBetter) + fmt.Sprintf(" %.2f", *r.Goal)
		}
		if r.Pass != nil {
			pass = passWord(*r.Pass)
		}
		measure := r.Measure
		if r.Note != "" {
			measure += " (" + r.Note + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.Scorer, measure, r.Heldout, r.N, r.Metric,
			fmtOpt(r.Value), r.CIText(), goal, pass, fmtOpt(r.Kappa), fmtOpt(r.HumanKappa))
	}
	if len(v.Builds) > 0 {
		fmt.Fprintf(w, "\nHow each scorer's heads were built:\n")
		for _, sc := range Names {
			if b, ok := v.Builds[sc]; ok {
				fmt.Fprintf(w, "- %s: %s\n", sc, b)
			}
		}
	}
}
