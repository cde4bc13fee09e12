// Package report renders a run as one HTML page (and the loss chart as SVG
// beside it): what went in, what each stage produced, and every number with
// a note on what it can and cannot show.
package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"path/filepath"

	"pixel/internal/artifact"
	"pixel/internal/curriculum"
	"pixel/internal/eval"
	"pixel/internal/scorers"
)

//go:embed report.html.tmpl
var pageTemplate string

// Run is everything the report shows.
type Run struct {
	ID          string
	Created     string
	CodeVersion string
	ConfigHash  string
	Config      string // the resolved YAML
	BaseModel   string
	Data        map[string]map[string]int // stage -> split -> conversations
	Quarantined map[string]int
	Stages      []curriculum.StageResult
	Evals       []eval.ModelEval
	StageNames  []string
	Scores      *scorers.RunScores // nil unless eval.scorers is on
}

// Write renders <dir>/report.html and <dir>/loss_curves.svg atomically and
// returns the report's path.
func Write(dir string, r Run) (string, error) {
	svg, err := LossChart(r.Stages, "svg")
	if err != nil {
		return "", err
	}
	if err := artifact.WriteBytes(filepath.Join(dir, "loss_curves.svg"), svg); err != nil {
		return "", err
	}
	tmpl, err := template.New("report").Funcs(template.FuncMap{
		"inc":   func(i int) int { return i + 1 },
		"deref": func(b *bool) bool { return b != nil && *b },
		"opt": func(v *float64) string {
			if v == nil {
				return "—"
			}
			return fmt.Sprintf("%.3f", *v)
		},
		"ci": func(c *[2]float64) string { // a sample mean's interval, or nothing
			if c == nil {
				return ""
			}
			return fmt.Sprintf(" (%.2f–%.2f)", c[0], c[1])
		},
		"change": func(c *scorers.Change) template.HTML { // signed, bold where the interval excludes 0
			t := fmt.Sprintf("%+.3f", c.Value)
			if c.CI == nil {
				return template.HTML(t)
			}
			t += fmt.Sprintf(" (%+.3f to %+.3f)", c.CI[0], c.CI[1])
			if c.CI[0] > 0 || c.CI[1] < 0 {
				t = "<b>" + t + "</b>"
			}
			return template.HTML(t)
		},
		"pct": func(v *float64) string {
			if v == nil {
				return "—"
			}
			return fmt.Sprintf("%.0f%%", 100**v)
		},
		// loss is nil for a stage the model was not scored on, or whose
		// split had no scorable token, so the page shows "-" rather than a
		// zero loss (index would give a zero Split).
		"loss": func(m map[string]eval.Split, stage string) *eval.Split {
			if s, ok := m[stage]; ok && s.Tokens > 0 {
				return &s
			}
			return nil
		},
	}).Parse(pageTemplate)
	if err != nil {
		return "", err
	}
	var validity, scores []byte
	if r.Scores != nil && r.Scores.Validity != nil {
		if validity, err = r.Scores.Validity.Chart(); err != nil {
			return "", err
		}
	}
	if scores, err = r.Scores.Chart(); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	data := struct {
		Run
		Chart, ValidityChart, ScoresChart template.HTML
	}{r, template.HTML(svg), template.HTML(validity), template.HTML(scores)} // our own SVGs, rendered by gonum/plot
	if err := tmpl.Execute(&buf, data); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "report.html")
	return path, artifact.WriteBytes(path, buf.Bytes())
}
