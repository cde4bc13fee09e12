// Package curriculum trains the stages in order, each starting from the
// previous stage's adapter, through the worker's train job. Each stage leaves
// a self-describing checkpoint folder: the plan's per-stage deliverable.
package curriculum

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"pixel/internal/artifact"
	"pixel/internal/config"
	"pixel/internal/worker"
)

// Point is one logged loss value.
type Point struct {
	Step  int      `json:"step"`
	Epoch *float64 `json:"epoch"`
	Split string   `json:"split"` // train | val
	Loss  float64  `json:"loss"`
}

// StageResult is a trained stage, read back from its checkpoint's metrics.json.
type StageResult struct {
	Index          int     `json:"index"`
	Name           string  `json:"name"`
	Checkpoint     string  `json:"checkpoint"`
	Steps          int     `json:"steps"`
	TrainSeconds   float64 `json:"train_seconds"`
	FinalTrainLoss float64 `json:"final_train_loss"`
	FinalValLoss   float64 `json:"final_val_loss"`
	History        []Point `json:"history"`
}

// Layout names the folders of a run that training reads and writes.
type Layout struct {
	RunDir     string // runs/<run-id>
	ConfigPath string // the resolved config the worker reads
	DataDir    string // stage shards: <DataDir>/<stage>/{train,val}.jsonl
	LogPath    string
}

// CheckpointDir is where stage i (0-based) of the given name is saved.
func (l Layout) CheckpointDir(i int, name string) string {
	return filepath.Join(l.RunDir, "checkpoints", fmt.Sprintf("%d-%s", i+1, name))
}

// Train runs every stage of cfg in order and returns what each produced.
func Train(ctx context.Context, cfg *config.Config, lay Layout, l *worker.Launcher) ([]StageResult, error) {
	dataHash, err := artifact.HashFile(filepath.Join(lay.DataDir, artifact.ManifestName))
	if err != nil {
		return nil, fmt.Errorf("stage shards have no manifest: %w", err)
	}
	var results []StageResult
	prevAdapter := ""
	for i, st := range cfg.Stages {
		sc := cfg.ForStage(st)
		out := lay.CheckpointDir(i, st.Name)
		trainFile, replayed := filepath.Join(lay.DataDir, st.Name, "train.jsonl"), 0
		if i > 0 && cfg.Train.Replay > 0 {
			var earlier []string
			for _, e := range cfg.Stages[:i] {
				earlier = append(earlier, e.Name)
			}
			trainFile, replayed, err = withReplay(lay, st.Name, earlier, cfg.Train.Replay, uint64(cfg.Run.Seed)+uint64(i),
				filepath.Join(lay.RunDir, "replay", fmt.Sprintf("%d-%s.train.jsonl", i+1, st.Name)))
			if err != nil {
				return results, fmt.Errorf("stage %d (%s): %w", i+1, st.Name, err)
			}
		}
		spec := map[string]any{
			"config": lay.ConfigPath, "run_dir": lay.RunDir, "stage": st.Name, "replayed": replayed,
			"train_file": trainFile,
			"val_file":   filepath.Join(lay.DataDir, st.Name, "val.jsonl"),
			"output_dir": out, "lr": sc.LR, "epochs": sc.Epochs, "max_steps": sc.MaxSteps,
			"init_adapter": worker.Optional(prevAdapter), "data_manifest_hash": dataHash,
			"max_val_conversations": cfg.Eval.MaxConversations,
		}
		specPath := filepath.Join(lay.RunDir, "jobs", fmt.Sprintf("train-%d-%s.json", i+1, st.Name))
		// The worker renames a checkpoint into place only when it is whole,
		// so an existing folder is a finished stage: a resumed run skips it.
		// A killed train job leaves a <checkpoint>.tmp-<pid> scratch folder.
		if stale, _ := filepath.Glob(out + ".tmp-*"); len(stale) > 0 {
			for _, d := range stale {
				os.RemoveAll(d)
			}
		}
		if complete(out) {
			l.Progress.Note(fmt.Sprintf("stage %d %s: checkpoint already complete, skipped", i+1, st.Name))
		} else if _, err := l.Run(ctx, "train", spec, specPath, lay.LogPath); err != nil {
			return results, fmt.Errorf("stage %d (%s): %w", i+1, st.Name, err)
		}
		res, err := readStage(out)
		if err != nil {
			return results, fmt.Errorf("stage %d (%s): %w", i+1, st.Name, err)
		}
		res.Index, res.Name, res.Checkpoint = i+1, st.Name, out
		man := artifact.NewManifest("checkpoint")
		man.Extra = map[string]any{"stage": st.Name, "init_adapter": prevAdapter, "data_manifest_hash": dataHash, "replayed_conversations": replayed}
		if err := man.AddInput(lay.ConfigPath); err != nil {
			return results, err
		}
		if err := man.Write(out); err != nil {
			return results, err
		}
		results = append(results, res)
		prevAdapter = filepath.Join(out, "adapter")
	}
	return results, nil
}

// complete reports whether a stage's checkpoint was fully written.
func complete(dir string) bool {
	for _, f := range []string{"checkpoint.json", "metrics.json", "adapter/adapter_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

func readStage(dir string) (StageResult, error) {
	var r StageResult
	b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		return r, fmt.Errorf("checkpoint %s has no metrics.json: %w", dir, err)
	}
	var raw struct {
		Steps          int      `json:"steps"`
		TrainSeconds   float64  `json:"train_seconds"`
		FinalTrainLoss *float64 `json:"final_train_loss"`
		FinalValLoss   *float64 `json:"final_val_loss"`
		History        []Point  `json:"history"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return r, fmt.Errorf("%s/metrics.json: %w", dir, err)
	}
	r.Steps, r.TrainSeconds, r.History = raw.Steps, raw.TrainSeconds, raw.History
	if raw.FinalTrainLoss != nil {
		r.FinalTrainLoss = *raw.FinalTrainLoss
	}
	if raw.FinalValLoss != nil {
		r.FinalValLoss = *raw.FinalValLoss
	}
	return r, nil
}
