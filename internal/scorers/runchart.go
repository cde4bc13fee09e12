package scorers

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart draws each scorer's figure per checkpoint, in curriculum order, as
// a line with its 95% interval over prompts as whiskers, as SVG: where a
// stage moved a scorer, and whether the move is larger than the prompts'
// noise. Each scorer's points are shifted a little sideways so whiskers do
// not hide each other. Crisis is left out (it reads the prompts, the same
// for every checkpoint). nil when there is nothing to draw.
func (rs *RunScores) Chart() ([]byte, error) { return rs.chart("svg") }

func (rs *RunScores) chart(format string) ([]byte, error) {
	if rs == nil || len(rs.Models) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = "Scorers on each checkpoint's samples (whiskers: 95% bootstrap interval over prompts)"
	p.Y.Label.Text = "scorer figure (0..1)"
	p.Y.Min, p.Y.Max = 0, 1.3 // room above 1 for the legend
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"}, {Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}})
	p.Legend.Top = true
	var drawn int
	for k, s := range rs.Scorers {
		if s == "crisis" {
			continue
		}
		var pts plotter.XYs
		var bars ciBars
		shift := 0.06 * (float64(k) - float64(len(rs.Scorers)-1)/2)
		for i, m := range rs.Models {
			if m.N[s] == 0 {
				continue
			}
			pt := plotter.XY{X: float64(i) + shift, Y: m.Means[s]}
			pts = append(pts, pt)
			if c := m.CI[s]; c != nil {
				bars.XYs = append(bars.XYs, pt)
				bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{pt.Y - c[0], c[1] - pt.Y})
			}
		}
		if len(pts) == 0 {
			continue
		}
		c := okabeIto[k%len(okabeIto)]
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color, sc.Shape = c, c, draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(s, l, sc)
		if len(bars.XYs) > 0 {
			eb, err := plotter.NewYErrorBars(bars)
			if err != nil {
				return nil, err
			}
			eb.Color, eb.CapWidth = c, vg.Points(4)
			p.Add(eb)
		}
		drawn++
	}
	if drawn == 0 {
		return nil, nil
	}
	names := make([]string, len(rs.Models))
	for i, m := range rs.Models {
		names[i] = m.Model
	}
	p.NominalX(names...)
	p.Add(plotter.NewGrid())
	return render(p, 9*vg.Inch, 4.5*vg.Inch, format)
}

// okabeIto is a colour-blind-safe palette (Okabe and Ito 2008).
var okabeIto = []color.RGBA{{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255}, {230, 159, 0, 255}, {86, 180, 233, 255}, {0, 0, 0, 255}}
