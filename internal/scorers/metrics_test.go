package scorers

import (
	"math"
	"testing"
)

func TestMacroF1(t *testing.T) {
	gold := []string{"a", "a", "b", "b", "c"}
	pred := []string{"a", "b", "b", "b", "a"}
	// a: tp1 fp1 fn1 -> 0.5; b: tp2 fp1 fn0 -> 0.8; c: tp0 -> 0.
	if got, want := MacroF1(gold, pred), (0.5+0.8+0)/3; math.Abs(got-want) > 1e-12 {
		t.Fatalf("MacroF1 = %v, want %v", got, want)
	}
	if got := MacroF1(gold, gold); got != 1 {
		t.Fatalf("perfect MacroF1 = %v", got)
	}
	if got, want := perClass(gold, pred), "F1 per class a/b/c: 0.50/0.80/0.00 (n 2/2/1)"; got != want {
		t.Fatalf("perClass = %q, want %q", got, want)
	}
}

func TestKappa(t *testing.T) {
	a := []string{"y", "y", "n", "n"}
	if got := Kappa(a, a); got != 1 {
		t.Fatalf("self kappa = %v", got)
	}
	// po = 0.5, pe = 0.5 -> 0
	if got := Kappa(a, []string{"y", "n", "y", "n"}); math.Abs(got) > 1e-12 {
		t.Fatalf("chance kappa = %v", got)
	}
}

func TestAUROC(t *testing.T) {
	cases := []struct {
		scores []float64
		pos    []bool
		want   float64
	}{
		{[]float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{[]float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		// one inverted pair of four: 3/4
		{[]float64{0.1, 0.6, 0.5, 0.9}, []bool{false, false, true, true}, 0.75},
		// ties count half
		{[]float64{0.5, 0.5}, []bool{false, true}, 0.5},
	}
	for _, c := range cases {
		if got := AUROC(c.scores, c.pos); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("AUROC(%v, %v) = %v, want %v", c.scores, c.pos, got, c.want)
		}
	}
	if !math.IsNaN(AUROC([]float64{1, 2}, []bool{true, true})) {
		t.Error("one-class AUROC should be NaN")
	}
}
