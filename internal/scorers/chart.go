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
	c := barChart{
		title:  "Scorer validity on held-out data: value (bar, whiskers: 95% bootstrap CI) against goal (+)",
		yLabel: "metric value (bias and KS: lower is better)", yMax: 1,
		series: [2]barSeries{{label: "pass", c: color.RGBA{44, 160, 44, 255}}, {label: "fail", c: color.RGBA{214, 39, 40, 255}}},
		mark:   "goal", glyph: draw.PlusGlyph{},
	}
	for _, r := range v.Rows {
		if r.Goal == nil || r.Value == nil {
			continue
		}
		c.add(fmt.Sprintf("%s: %s", r.Scorer, short(strings.TrimPrefix(r.Measure, "bias: "))), r, *r.Goal, r.Pass == nil || !*r.Pass)
	}
	return c.render(format)
}

// CalibrationChart draws every head's ECE as a bar (blue: within what a
// perfectly calibrated head would read on as many examples, orange: beyond
// it) with its 95% interval as whiskers and that chance level as a ring, as
// SVG; nil when no row is a calibration row.
func (v *Validity) CalibrationChart() ([]byte, error) { return v.calibrationChart("svg") }

func (v *Validity) calibrationChart(format string) ([]byte, error) {
	c := barChart{
		title:  "Calibration on held-out data: ECE (bar, whiskers: 95% bootstrap CI) against what chance alone gives a calibrated head (o)",
		yLabel: "ECE of the top-class probability (lower is better)",
		series: [2]barSeries{{label: "within chance", c: color.RGBA{31, 119, 180, 255}}, {label: "beyond chance", c: color.RGBA{255, 127, 14, 255}}},
		mark:   "a calibrated head, 95 in 100", glyph: draw.RingGlyph{},
	}
	for _, r := range v.Rows {
		if r.Metric != "ECE" || r.Value == nil || r.Chance == nil {
			continue
		}
		c.add(strings.TrimSuffix(r.Measure, " probabilities, calibration"), r, *r.Chance, *r.Value > *r.Chance)
	}
	return c.render(format)
}

// barChart is one bar per figure in one of two series, its 95% interval as
// whiskers and one mark (a goal, a chance level) beside it.
type barChart struct {
	title, yLabel string
	yMax          float64 // 0: from the data
	names         []string
	series        [2]barSeries
	bars          ciBars
	marks         plotter.XYs
	mark          string
	glyph         draw.GlyphDrawer
}

// barSeries is the bars of one colour.
type barSeries struct {
	label string
	c     color.RGBA
	pts   plotter.XYs
}

// add puts r's value as a bar named name, in the second series if second.
func (c *barChart) add(name string, r Row, mark float64, second bool) {
	x := float64(len(c.names))
	c.names = append(c.names, name)
	s := &c.series[0]
	if second {
		s = &c.series[1]
	}
	s.pts = append(s.pts, plotter.XY{X: x, Y: *r.Value})
	c.marks = append(c.marks, plotter.XY{X: x, Y: mark})
	if r.CI != nil {
		c.bars.XYs = append(c.bars.XYs, plotter.XY{X: x, Y: *r.Value})
		c.bars.YErrors = append(c.bars.YErrors, struct{ Low, High float64 }{*r.Value - r.CI[0], r.CI[1] - *r.Value})
	}
}

// render draws the chart in format ("svg", "png"); nil with no bar.
func (c *barChart) render(format string) ([]byte, error) {
	if len(c.names) == 0 {
		return nil, nil // nothing to draw (gonum's nominal axis needs a name)
	}
	p := plot.New()
	p.Title.Text, p.Y.Label.Text = c.title, c.yLabel
	p.Y.Min, p.Y.Max = 0, c.top()
	p.Legend.Top = true
	for _, s := range c.series {
		if len(s.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.pts)
		if err != nil {
			return nil, err
		}
		sc.Shape, sc.Color, sc.Radius = draw.BoxGlyph{}, s.c, vg.Points(5)
		p.Add(sc)
		p.Legend.Add(s.label, sc)
		for _, pt := range s.pts {
			l, err := plotter.NewLine(plotter.XYs{{X: pt.X, Y: 0}, {X: pt.X, Y: pt.Y}})
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = s.c, vg.Points(8)
			p.Add(l)
		}
	}
	if len(c.bars.XYs) > 0 {
		eb, err := plotter.NewYErrorBars(c.bars)
		if err != nil {
			return nil, err
		}
		eb.Color, eb.Width, eb.CapWidth = color.Black, vg.Points(1), vg.Points(6)
		p.Add(eb)
	}
	m, err := plotter.NewScatter(c.marks)
	if err != nil {
		return nil, err
	}
	m.Shape, m.Color, m.Radius = c.glyph, color.Black, vg.Points(7)
	p.Add(m)
	p.Legend.Add(c.mark, m)
	p.NominalX(c.names...)
	p.X.Tick.Label.Rotation = 0.9
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.Add(plotter.NewGrid())
	return render(p, 11*vg.Inch, 6*vg.Inch, format)
}

// legendRoom is the share of the plot's height kept free above the highest
// bar, whisker or mark when the axis is scaled to the data (yMax 0): the
// legend (three lines at the top right) takes about a sixth of the plot
// area, so no whisker runs under it.
const legendRoom = 0.25

// top is the y axis' upper end: yMax when set, else the highest bar,
// whisker or mark with legendRoom above it.
func (c *barChart) top() float64 {
	if c.yMax > 0 {
		return c.yMax
	}
	hi := 0.0
	for _, s := range c.series {
		for _, pt := range s.pts {
			hi = max(hi, pt.Y)
		}
	}
	for i, pt := range c.bars.XYs {
		hi = max(hi, pt.Y+c.bars.YErrors[i].High)
	}
	for _, pt := range c.marks {
		hi = max(hi, pt.Y)
	}
	if hi <= 0 {
		return 1
	}
	return hi / (1 - legendRoom)
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
