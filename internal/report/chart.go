package report

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"pixel/internal/curriculum"
)

var stageColors = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}}

// LossChart draws every stage's train and validation loss on one axis of
// cumulative steps, so the curriculum reads left to right. It returns SVG.
func LossChart(stages []curriculum.StageResult, format string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Loss per stage (assistant tokens only)"
	p.X.Label.Text = "step (cumulative over stages)"
	p.Y.Label.Text = "cross-entropy"
	p.Legend.Top = true
	offset := 0
	for i, s := range stages {
		var train, val plotter.XYs
		for _, h := range s.History {
			pt := plotter.XY{X: float64(offset + h.Step), Y: h.Loss}
			if h.Split == "val" {
				val = append(val, pt)
			} else {
				train = append(train, pt)
			}
		}
		c := stageColors[i%len(stageColors)]
		if len(train) > 0 {
			l, err := plotter.NewLine(train)
			if err != nil {
				return nil, err
			}
			l.Color = c
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%d %s train", s.Index, s.Name), l)
		}
		if len(val) > 0 {
			l, sc, err := plotter.NewLinePoints(val)
			if err != nil {
				return nil, err
			}
			l.Color, l.Dashes = c, []vg.Length{vg.Points(4), vg.Points(3)}
			sc.Color, sc.Shape = c, draw.CircleGlyph{}
			p.Add(l, sc)
			p.Legend.Add(fmt.Sprintf("%d %s val", s.Index, s.Name), l, sc)
		}
		offset += s.Steps
	}
	p.Add(plotter.NewGrid())
	w, err := p.WriterTo(9*vg.Inch, 4.5*vg.Inch, format)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
