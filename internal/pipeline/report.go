package pipeline

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"pixel/internal/artifact"
	"pixel/internal/config"
)

//go:embed report.html.tmpl
var reportTemplate string

func jsonLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(b, '\n'), err
}

// writeReport writes report.json, the two charts and report.html.
func writeReport(outDir string, res *Result, cfg *config.Config) error {
	if err := artifact.WriteJSON(filepath.Join(outDir, "report.json"), res); err != nil {
		return err
	}
	funnel, err := funnelChart(res)
	if err != nil {
		return err
	}
	shares, err := shareChart(res)
	if err != nil {
		return err
	}
	for name, svg := range map[string][]byte{"funnel.svg": funnel, "stage_shares.svg": shares} {
		if err := artifact.WriteBytes(filepath.Join(outDir, name), svg); err != nil {
			return err
		}
	}
	var nc, sa []string
	for _, l := range res.License {
		if l.NonCommercial {
			nc = append(nc, l.Source)
		}
		if l.ShareAlike {
			sa = append(sa, l.Source)
		}
	}
	tmpl, err := template.New("data").Parse(reportTemplate)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	err = tmpl.Execute(&buf, map[string]any{
		"Res": res, "Funnel": template.HTML(funnel), "Shares": template.HTML(shares), // our own SVG
		"NonCommercial": nc, "ShareAlike": sa, "Manifest": cfg.Data.Manifest, "Seed": cfg.Run.Seed,
	})
	if err != nil {
		return err
	}
	return artifact.WriteBytes(filepath.Join(outDir, "report.html"), buf.Bytes())
}

// funnelChart: per source, records read, valid, unique and selected.
func funnelChart(res *Result) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Data funnel per source"
	p.Y.Label.Text = "records"
	var names []string
	for _, st := range res.Sources {
		names = append(names, st.Source)
	}
	steps := []string{"read", "valid", "unique", "selected"}
	colors := []color.RGBA{{158, 202, 225, 255}, {66, 146, 198, 255}, {8, 81, 156, 255}, {44, 160, 44, 255}}
	w := vg.Points(5)
	for i, step := range steps {
		vals := make(plotter.Values, len(names))
		for j, n := range names {
			vals[j] = float64(res.Funnel[n][step])
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		b.Color, b.LineStyle.Width = colors[i], 0
		b.Offset = w * vg.Length(i-len(steps)/2)
		p.Add(b)
		p.Legend.Add(step, b)
	}
	p.Legend.Top = true
	p.NominalX(names...)
	p.X.Tick.Label.Rotation, p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = 0.7, -1, -0.5
	return svgOf(p, 10*vg.Inch, 5*vg.Inch)
}

// shareChart: each stage's share of selected training tokens against the plan.
func shareChart(res *Result) ([]byte, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Stage shares of training tokens (%s count)", res.Counter)
	p.Y.Label.Text = "share"
	var target, got plotter.Values
	var names []string
	for _, m := range res.Mixing {
		names = append(names, m.Stage)
		target, got = append(target, m.TargetShare), append(got, m.Share)
	}
	w := vg.Points(18)
	for i, v := range []plotter.Values{target, got} {
		b, err := plotter.NewBarChart(v, w)
		if err != nil {
			return nil, err
		}
		b.Offset = w * vg.Length(2*i-1) / 2
		b.Color = []color.RGBA{{200, 200, 200, 255}, {31, 119, 180, 255}}[i]
		p.Add(b)
		p.Legend.Add([]string{"target", "selected"}[i], b)
	}
	p.Legend.Top = true
	p.NominalX(names...)
	return svgOf(p, 6*vg.Inch, 4*vg.Inch)
}

func svgOf(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = wt.WriteTo(&buf)
	return buf.Bytes(), err
}
