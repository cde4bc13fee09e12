package pipeline

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"pixel/internal/config"
)

var planStages = []config.Stage{{Name: "foundation", Share: 0.40}, {Name: "expertise", Share: 0.25}, {Name: "edge", Share: 0.20}, {Name: "voice", Share: 0.15}}

// synth makes n train records per stage with the given token sizes.
func synth(perStage map[string]int, tokens int) []meta {
	var out []meta
	for stage, n := range perStage {
		for i := 0; i < n; i++ {
			src := "a"
			if i%3 == 0 {
				src = "b"
			}
			out = append(out, meta{id: fmt.Sprintf("%s-%05d", stage, i), source: src, stage: stage, split: "train", tokens: tokens + i%50, weight: 1})
		}
	}
	return out
}

func TestMixMeetsShares(t *testing.T) {
	cases := []struct {
		name     string
		counts   map[string]int
		upsample float64
		total    int64
	}{
		{"plenty everywhere", map[string]int{"foundation": 4000, "expertise": 3000, "edge": 2000, "voice": 1500}, 3, 0},
		{"scarce edge is repeated", map[string]int{"foundation": 4000, "expertise": 3000, "edge": 300, "voice": 1500}, 3, 0},
		{"fixed budget", map[string]int{"foundation": 4000, "expertise": 3000, "edge": 2000, "voice": 1500}, 3, 200000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			copies, mix := Mix(synth(tc.counts, 100), planStages, config.MixingConfig{TotalTokens: tc.total, MaxUpsample: tc.upsample}, 1)
			var all int64
			for _, m := range mix {
				all += m.SelectedTok
				if m.Shortfall {
					t.Errorf("%s: shortfall %d of %d", m.Stage, m.SelectedTok, m.TargetTok)
				}
				if math.Abs(m.Share-m.TargetShare) > 0.01 {
					t.Errorf("%s: share %.4f, target %.2f", m.Stage, m.Share, m.TargetShare)
				}
				if m.Upsample > tc.upsample+1e-9 {
					t.Errorf("%s: upsampled %.2fx over the cap %.1f", m.Stage, m.Upsample, tc.upsample)
				}
			}
			if tc.total > 0 && math.Abs(float64(all-tc.total)) > 0.01*float64(tc.total) {
				t.Errorf("selected %d tokens, budget %d", all, tc.total)
			}
			n := 0
			for _, c := range copies {
				n += c
			}
			if n == 0 {
				t.Fatal("nothing selected")
			}
		})
	}
}

func TestMixDeterministicAndOrderFree(t *testing.T) {
	metas := synth(map[string]int{"foundation": 500, "expertise": 300, "edge": 50, "voice": 100}, 80)
	c1, m1 := Mix(metas, planStages, config.MixingConfig{MaxUpsample: 3}, 9)
	rev := append([]meta(nil), metas...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	c2, m2 := Mix(rev, planStages, config.MixingConfig{MaxUpsample: 3}, 9)
	if !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(m1, m2) {
		t.Fatal("the mix depends on input order")
	}
	c3, _ := Mix(metas, planStages, config.MixingConfig{MaxUpsample: 3}, 10)
	if reflect.DeepEqual(c1, c3) {
		t.Fatal("a different seed drew the same records")
	}
}

func TestMixWeightsFavourSources(t *testing.T) {
	metas := synth(map[string]int{"foundation": 3000, "expertise": 10, "edge": 10, "voice": 10}, 100)
	for i := range metas {
		if metas[i].source == "b" {
			metas[i].weight = 5
		}
	}
	// A small budget: a heavy source should be drawn far more than its count share.
	_, mix := Mix(metas, []config.Stage{{Name: "foundation", Share: 1}}, config.MixingConfig{TotalTokens: 30000, MaxUpsample: 1}, 3)
	b, a := mix[0].BySourceTokens["b"], mix[0].BySourceTokens["a"]
	if b <= a {
		t.Fatalf("weight 5 source got %d tokens, weight 1 source %d (b is a third of the records)", b, a)
	}
}

func TestMixOnlyTrainAndShortfall(t *testing.T) {
	metas := synth(map[string]int{"foundation": 1000, "edge": 10}, 100)
	metas = append(metas, meta{id: "val-1", stage: "edge", split: "val", tokens: 1e6, weight: 1})
	copies, mix := Mix(metas, []config.Stage{{Name: "foundation", Share: 0.5}, {Name: "edge", Share: 0.5}}, config.MixingConfig{TotalTokens: 200000, MaxUpsample: 2}, 1)
	if copies["val-1"] != 0 {
		t.Fatal("a val record was mixed into training")
	}
	if !mix[1].Shortfall || mix[1].Upsample > 2 {
		t.Fatalf("edge: shortfall=%v upsample=%.2f; want a recorded shortfall within the cap", mix[1].Shortfall, mix[1].Upsample)
	}
}

func TestSplitOf(t *testing.T) {
	counts := map[string]int{}
	for i := 0; i < 20000; i++ {
		g := fmt.Sprintf("src:%d", i)
		s := splitOf(g, "", 5, 0.1, 0.1)
		if s != splitOf(g, "", 5, 0.1, 0.1) {
			t.Fatal("split is not deterministic")
		}
		counts[s]++
	}
	if splitOf("x:1", "test", 5, 0.1, 0.1) != "test" {
		t.Error("a dataset's own test items must stay held out")
	}
	for split, want := range map[string]float64{"val": 0.1, "test": 0.1, "train": 0.8} {
		if got := float64(counts[split]) / 20000; math.Abs(got-want) > 0.01 {
			t.Errorf("%s share %.3f, want %.2f", split, got, want)
		}
	}
}
