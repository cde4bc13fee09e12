package scorers

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart draws every validity figure that has a goal as a bar (green: pass,
// red: fail) with its 95% interval as whiskers and its goal as a black
// tick, as SVG; nil when no figure has a goal.
func (v *Validity) Chart() ([]byte, error) { return v.chart("svg") }

func (v *Validity) chart(format string) ([]byte, error) {
	var pass, fail, goals plotter.XYs
	var bars ciBars
	var names []string
	for _, r := range v.Rows {
		if r.Goal == nil || r.Value == nil {
			continue
		}
		x := float64(len(names))
		names = append(names, fmt.Sprintf("%s: %s", r.Scorer, short(strings.TrimPrefix(r.Measure, "bias: "))))
		if r.Pass != nil && *r.Pass {
			pass = append(pass, plotter.XY{X: x, Y: *r.Value})
		} else {
			fail = append(fail, plotter.XY{X: x, Y: *r.Value})
		}
		goals = append(goals, plotter.XY{X: x, Y: *r.Goal})
		if r.CI != nil {
			bars.XYs = append(bars.XYs, plotter.XY{X: x, Y: *r.Value})
			bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{*r.Value - r.CI[0], r.CI[1] - *r.Value})
		}
	}
	if len(names) == 0 {
		return nil, nil // nothing with a goal to draw (gonum's nominal axis needs a name)
	}
	p := plot.New()
	p.Title.Text = "Scorer validity on held-out data: value (bar, whiskers: 95% bootstrap CI) against goal (+)"
	p.Y.Label.Text = "metric value (bias and KS: lower is better)"
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top = true
	for _, s := range []struct {
		pts plotter.XYs
		c   color.RGBA
		lbl string
	}{{pass, color.RGBA{44, 160, 44, 255}, "pass"}, {fail, color.RGBA{214, 39, 40, 255}, "fail"}} {
		if len(s.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.pts)
		if err != nil {
			return nil, err
		}
		sc.Shape, sc.Color, sc.Radius = draw.BoxGlyph{}, s.c, vg.Points(5)
		p.Add(sc)
		p.Legend.Add(s.lbl, sc)
		for _, pt := range s.pts {
			l, err := plotter.NewLine(plotter.XYs{{X: pt.X, Y: 0}, {X: pt.X, Y: pt.Y}})
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = s.c, vg.Points(8)
			p.Add(l)
		}
	}
	if len(bars.XYs) > 0 {
		eb, err := plotter.NewYErrorBars(bars)
		if err != nil {
			return nil, err
		}
		eb.Color, eb.Width, eb.CapWidth = color.Black, vg.Points(1), vg.Points(6)
		p.Add(eb)
	}
	if len(goals) > 0 {
		g, err := plotter.NewScatter(goals)
		if err != nil {
			return nil, err
		}
		g.Shape, g.Color, g.Radius = draw.PlusGlyph{}, color.Black, vg.Points(7)
		p.Add(g)
		p.Legend.Add("goal", g)
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.9
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.Add(plotter.NewGrid())
	return render(p, 11*vg.Inch, 6*vg.Inch, format)
}

// render draws p at w × h in format ("svg", "png").
func render(p *plot.Plot, w, h vg.Length, format string) ([]byte, error) {
	wt, err := p.WriterTo(w, h, format)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ciBars are the values with a 95% interval, as gonum's error bars want them.
type ciBars struct {
	plotter.XYs
	plotter.YErrors
}

func (b ciBars) Len() int { return len(b.XYs) }

// short cuts a measure to its first words for an axis label.
func short(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
