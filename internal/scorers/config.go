package scorers

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	pixel "pixel"
	"pixel/internal/config"
	"pixel/internal/worker"
)

// FromConfig resolves Options from a config's scorers block: the data root
// ($PIXEL_DATA_ROOT wins), the cache folder (created), the safety set.
func FromConfig(cfg *config.Config, l *worker.Launcher, log io.Writer) (Options, error) {
	sc := cfg.Scorers
	o := Options{DataRoot: cfg.DataRoot(), Dir: sc.Dir, Encoder: sc.Encoder, MaxPerTask: sc.MaxPerTask, TaskCaps: sc.TaskCaps, MaxHeldout: sc.MaxHeldout,
		HeldoutPercent: sc.HeldoutPercent, C: sc.C, BiasDescriptors: sc.BiasDescriptors, DebiasK: sc.DebiasK,
		MIClientContext: sc.MIClientContext, Launcher: l, Log: log}
	if len(sc.Finetune.Heads) > 0 {
		o.FinetuneHeads = sc.Finetune.Heads
		o.Finetune = map[string]any{"epochs": sc.Finetune.Epochs, "lr": sc.Finetune.LR, "batch_size": sc.Finetune.BatchSize, "max_len": sc.Finetune.MaxLen,
			"rationale_weight": sc.Finetune.RationaleWeight}
		o.Counterfactual, o.CounterfactualShare = sc.Finetune.Counterfactual, sc.Finetune.CounterfactualShare
		o.Seed = sc.Finetune.Seed
		for name, ov := range sc.Finetune.PerScorer {
			m := map[string]any{}
			if ov.Encoder != "" {
				m["encoder"] = ov.Encoder
			}
			if ov.LR > 0 {
				m["lr"] = ov.LR
			}
			if len(m) > 0 {
				if o.FinetuneOverrides == nil {
					o.FinetuneOverrides = map[string]map[string]any{}
				}
				o.FinetuneOverrides[name] = m
			}
		}
	}
	if o.Dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return o, fmt.Errorf("no user cache folder (fix: set scorers.dir): %v", err)
		}
		o.Dir = filepath.Join(cache, "pixel", "scorers")
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return o, err
	}
	if sc.RuleSet == "embedded" || sc.RuleSet == "" {
		o.RuleSet, o.RuleSetName = pixel.RuleSet, "embedded rule_cues.jsonl"
	} else {
		b, err := os.ReadFile(sc.RuleSet)
		if err != nil {
			return o, fmt.Errorf("scorers.rule_set: %v (fix: a JSONL in the format of docs/rule-labels.md, or `embedded`)", err)
		}
		o.RuleSet, o.RuleSetName = b, sc.RuleSet
	}
	if sc.SafetySet == "embedded" || sc.SafetySet == "" {
		o.SafetySet, o.SafetySetName = pixel.SafetySet, "embedded safety_crisis.jsonl"
		return o, nil
	}
	b, err := os.ReadFile(sc.SafetySet)
	if err != nil {
		return o, fmt.Errorf("scorers.safety_set: %v (fix: a JSONL in the format of docs/safety-labels.md, or `embedded`)", err)
	}
	o.SafetySet, o.SafetySetName = b, sc.SafetySet
	return o, nil
}
