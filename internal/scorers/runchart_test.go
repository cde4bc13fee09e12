package scorers

import (
	"strings"
	"testing"
)

// The run chart draws the scorers with a figure, leaves crisis out, and is
// nil when there is nothing to draw.
func TestRunScoresChart(t *testing.T) {
	if b, err := (&RunScores{Scorers: Names}).Chart(); err != nil || b != nil {
		t.Fatalf("no models: %d bytes, %v", len(b), err)
	}
	rs := &RunScores{Scorers: Names}
	for i, m := range []string{"base", "foundation", "edge"} {
		rs.Models = append(rs.Models, ModelScores{Model: m,
			Means: map[string]float64{"empathy": 0.2 + 0.1*float64(i), "crisis": 0.3, "persona": 0.7},
			N:     map[string]int{"empathy": 8, "crisis": 8, "persona": 8},
			CI:    map[string]*[2]float64{"empathy": {0.1 + 0.1*float64(i), 0.3 + 0.1*float64(i)}}})
	}
	b, err := rs.Chart()
	if err != nil {
		t.Fatal(err)
	}
	svg := string(b)
	for _, w := range []string{"Scorers on each checkpoint", "empathy", "persona", "foundation"} {
		if !strings.Contains(svg, w) {
			t.Errorf("chart lacks %q", w)
		}
	}
	if strings.Contains(svg, ">crisis<") {
		t.Error("crisis drawn: it reads the prompts, the same for every checkpoint")
	}
}
