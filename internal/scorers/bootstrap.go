package scorers

import (
	"math"
	"math/rand/v2"
	"sort"
)

// bootstrapResamples is how many resamples make a confidence interval.
const bootstrapResamples = 1000

// ci95 is the 95% percentile bootstrap interval of stat on held-out
// examples, resampling whole groups with replacement (groups[i] is example
// i's seeker post, transcript, conversation or post): examples of one group
// are not independent, so resampling examples would give too narrow an
// interval. A resample where stat is undefined (NaN, e.g. AUROC with one
// class) is skipped. The seed is fixed, so the interval is reproducible. It
// says how far the figure could move on another held-out sample of the same
// size; it says nothing about run-to-run training noise.
func ci95(groups []string, stat func(idx []int) float64) *[2]float64 {
	members := map[string][]int{}
	var order []string
	for i, g := range groups {
		if _, ok := members[g]; !ok {
			order = append(order, g)
		}
		members[g] = append(members[g], i)
	}
	if len(order) < 2 {
		return nil
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(groups))))
	var vals []float64
	idx := make([]int, 0, len(groups))
	for b := 0; b < bootstrapResamples; b++ {
		idx = idx[:0]
		for range order {
			idx = append(idx, members[order[rng.IntN(len(order))]]...)
		}
		if v := stat(idx); !math.IsNaN(v) && !math.IsInf(v, 0) {
			vals = append(vals, v)
		}
	}
	if len(vals) < bootstrapResamples/2 {
		return nil
	}
	sort.Float64s(vals)
	return &[2]float64{quantile(vals, 0.025), quantile(vals, 0.975)}
}

// quantile is the p-quantile of sorted (ascending, not empty): the value
// at the nearest rank.
func quantile(sorted []float64, p float64) float64 {
	return sorted[int(p*float64(len(sorted)-1)+0.5)]
}

// pick is s at the indices idx.
func pick[T any](s []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = s[j]
	}
	return out
}

// labelCI is the interval of a label metric (MacroF1, Accuracy) of top
// against gold.
func labelCI(groups, gold, top []string, metric func(gold, pred []string) float64) *[2]float64 {
	return ci95(groups, func(idx []int) float64 { return metric(pick(gold, idx), pick(top, idx)) })
}

// groupsOf is the group of each example.
func groupsOf(exs []Example) []string {
	out := make([]string, len(exs))
	for i, e := range exs {
		out[i] = e.Group
	}
	return out
}
