package scorers

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// MacroF1 is the unweighted mean over classes of each class's F1, over the
// classes that occur in gold or predicted labels.
func MacroF1(gold, pred []string) float64 {
	f1 := ClassF1(gold, pred)
	if len(f1) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, v := range f1 {
		sum += v
	}
	return sum / float64(len(f1))
}

// ClassF1 is each class's F1 (0 when it is never predicted right), for the
// classes that occur in gold or predicted labels.
func ClassF1(gold, pred []string) map[string]float64 {
	out := map[string]float64{}
	for i := range gold {
		out[gold[i]], out[pred[i]] = 0, 0
	}
	for c := range out {
		tp, fp, fn := confusion(gold, pred, c)
		if tp > 0 {
			out[c] = 2 * tp / (2*tp + fp + fn)
		}
	}
	return out
}

// confusion counts class c's true positives, false positives and false
// negatives.
func confusion(gold, pred []string, c string) (tp, fp, fn float64) {
	for i := range gold {
		switch {
		case gold[i] == c && pred[i] == c:
			tp++
		case pred[i] == c:
			fp++
		case gold[i] == c:
			fn++
		}
	}
	return tp, fp, fn
}

// Accuracy is the share of predictions equal to the gold label.
func Accuracy(gold, pred []string) float64 {
	if len(gold) == 0 {
		return math.NaN()
	}
	n := 0
	for i := range gold {
		if gold[i] == pred[i] {
			n++
		}
	}
	return float64(n) / float64(len(gold))
}

// Kappa is Cohen's kappa between two labelings of the same items.
func Kappa(a, b []string) float64 {
	if len(a) == 0 {
		return math.NaN()
	}
	n := float64(len(a))
	ca, cb := map[string]float64{}, map[string]float64{}
	agree := 0.0
	for i := range a {
		ca[a[i]]++
		cb[b[i]]++
		if a[i] == b[i] {
			agree++
		}
	}
	po, pe := agree/n, 0.0
	for c, k := range ca {
		pe += k / n * cb[c] / n
	}
	if pe == 1 {
		return 1
	}
	return (po - pe) / (1 - pe)
}

// AUROC is the area under the ROC curve of scores against binary labels
// (gonum's ROC, integrated with the trapezoidal rule). NaN when either class
// is missing.
func AUROC(scores []float64, positive []bool) float64 {
	pos := 0
	for _, p := range positive {
		if p {
			pos++
		}
	}
	if pos == 0 || pos == len(positive) {
		return math.NaN()
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	y, cl := make([]float64, len(idx)), make([]bool, len(idx))
	for i, j := range idx {
		y[i], cl[i] = scores[j], positive[j]
	}
	tpr, fpr, _ := stat.ROC(nil, y, cl, nil)
	return integrate.Trapezoidal(fpr, tpr)
}
