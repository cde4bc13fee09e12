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
		HeldoutPercent: sc.HeldoutPercent, C: sc.C, BiasDescriptors: sc.BiasDescriptors, BiasCarriers: sc.BiasCarriers, DebiasK: sc.DebiasK,
		MIClientContext: sc.MIClientContext, PersonaShortWords: sc.PersonaShortWords, CalibrationFolds: sc.CalibrationFolds, CalibrationRows: sc.CalibrationRows,
		CalibrationRefit: sc.CalibrationRefit, CalibrationRefitFolds: sc.CalibrationRefitFolds,
		CalibrationRefitFoldsPer: sc.CalibrationRefitFoldsPerScorer, Launcher: l, Log: log}
	if len(sc.Finetune.Heads) > 0 {
		o.FinetuneHeads = sc.Finetune.Heads
		o.Finetune = map[string]any{"epochs": sc.Finetune.Epochs, "lr": sc.Finetune.LR, "batch_size": sc.Finetune.BatchSize, "max_len": sc.Finetune.MaxLen,
			"rationale_weight": sc.Finetune.RationaleWeight}
		o.Counterfactual, o.CounterfactualShare = sc.Finetune.Counterfactual, sc.Finetune.CounterfactualShare
		o.CounterfactualFocus = sc.Finetune.CounterfactualFocus
		o.Seed = sc.Finetune.Seed
		o.CheckpointSeconds = sc.Finetune.CheckpointMinutes * 60
		for name, ov := range sc.Finetune.PerScorer {
			m := map[string]any{}
			if ov.Encoder != "" {
				m["encoder"] = ov.Encoder
			}
			if ov.LR > 0 {
				m["lr"] = ov.LR
			}
			if ov.Seeds > 1 { // 1 is one encoder, as without the setting, and keeps its sets
				m["seeds"] = ov.Seeds
			}
			if ov.LabelledPairs { // absent when off, so earlier sets keep their key
				m["labelled_pairs"] = true
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
	var err error
	if o.ChatSet, o.ChatSetName, err = labelledSet(sc.ChatSet, pixel.ChatSet, "chat_distress.jsonl", "scorers.chat_set", "docs/rule-labels.md"); err != nil {
		return o, err
	}
	o.DecoysTrain, o.SmallTalkTrain = sc.DecoysTrain, sc.SmallTalkTrain
	if o.DecoySet, o.DecoySetName, err = labelledSet(sc.DecoySet, pixel.DecoySet, "imminence_decoys.jsonl", "scorers.decoy_set", "docs/rule-labels.md"); err != nil {
		return o, err
	}
	if o.RuleSet, o.RuleSetName, err = labelledSet(sc.RuleSet, pixel.RuleSet, "rule_cues.jsonl", "scorers.rule_set", "docs/rule-labels.md"); err != nil {
		return o, err
	}
	o.SafetySet, o.SafetySetName, err = labelledSet(sc.SafetySet, pixel.SafetySet, "safety_crisis.jsonl", "scorers.safety_set", "docs/safety-labels.md")
	return o, err
}

// labelledSet is a project-built labelled set: the embedded one for
// "embedded" or "", else the file at path; and its name for the table.
func labelledSet(path string, embedded []byte, file, key, doc string) ([]byte, string, error) {
	if path == "embedded" || path == "" {
		return embedded, "embedded " + file, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v (fix: a JSONL in the format of %s, or `embedded`)", key, err, doc)
	}
	return b, path, nil
}
