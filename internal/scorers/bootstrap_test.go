package scorers

import (
	"fmt"
	"math"
	"testing"
)

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// The interval holds the figure, is reproducible, narrows with more groups,
// and resampling whole groups gives a wider interval than resampling
// examples when the examples of a group agree with each other.
func TestCI95(t *testing.T) {
	clustered := func(groups, per int) ([]string, []float64) {
		var gs []string
		var xs []float64
		for g := 0; g < groups; g++ {
			v := float64(g % 2) // every example of a group has its group's value
			for range per {
				gs, xs = append(gs, fmt.Sprint(g)), append(xs, v)
			}
		}
		return gs, xs
	}
	gs, xs := clustered(20, 10)
	stat := func(idx []int) float64 { return mean(pick(xs, idx)) }
	ci := ci95(gs, stat)
	if ci == nil || ci[0] > 0.5 || ci[1] < 0.5 || ci[0] >= ci[1] {
		t.Fatalf("interval %v should hold the mean 0.5", ci)
	}
	if again := ci95(gs, stat); *again != *ci {
		t.Fatalf("not reproducible: %v then %v", ci, again)
	}
	each := make([]string, len(gs))
	for i := range each {
		each[i] = fmt.Sprint(i)
	}
	byExample := ci95(each, stat)
	if byExample[1]-byExample[0] >= ci[1]-ci[0] {
		t.Fatalf("resampling examples %v should be narrower than resampling groups %v for clustered data", byExample, ci)
	}
	gs2, xs2 := clustered(200, 10)
	wide := ci95(gs2, func(idx []int) float64 { return mean(pick(xs2, idx)) })
	if wide[1]-wide[0] >= ci[1]-ci[0] {
		t.Fatalf("200 groups %v should be narrower than 20 %v", wide, ci)
	}
	if ci95([]string{"a", "a"}, stat) != nil {
		t.Fatal("one group has no interval")
	}
	if ci95(gs, func([]int) float64 { return math.NaN() }) != nil {
		t.Fatal("an undefined statistic has no interval")
	}
}
