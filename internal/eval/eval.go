// Package eval measures every stage checkpoint, and the base model it
// started from, on held-out data: loss and perplexity over assistant tokens
// on every stage's test split (so a later stage that undoes an earlier one
// shows up), and replies to a fixed prompt set.
//
// These are language-model measurements, not clinical ones: the validated
// scorers (empathy, crisis safety, ...) plug in here as further suites.
package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"pixel/internal/artifact"
	"pixel/internal/config"
	"pixel/internal/corpus"
	"pixel/internal/curriculum"
	"pixel/internal/worker"
)

// Split is the held-out loss of one model on one shard.
type Split struct {
	Loss          float64 `json:"loss"`
	Perplexity    float64 `json:"perplexity"`
	Tokens        int     `json:"tokens"`
	Conversations int     `json:"conversations"`
}

// Sample is a reply to a fixed prompt.
type Sample struct {
	ID               string `json:"id"`
	Stage            string `json:"stage"`
	Persona          string `json:"persona"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	Stopped          bool   `json:"stopped"` // ended with the end-of-turn token
	Completion       string `json:"completion"`
}

// ModelEval is what one model (the base, or a stage checkpoint) scored.
type ModelEval struct {
	Model   string           `json:"model"` // "base" or the stage name
	Adapter string           `json:"adapter,omitempty"`
	Loss    map[string]Split `json:"test_loss"` // by stage shard
	Samples []Sample         `json:"samples"`
}

// Run evaluates the base model and each stage checkpoint, writing
// <runDir>/eval/<n>-<model>/{loss.json,samples.jsonl} and a manifest.
func Run(ctx context.Context, cfg *config.Config, lay curriculum.Layout, stages []curriculum.StageResult, l *worker.Launcher) ([]ModelEval, error) {
	evalDir := filepath.Join(lay.RunDir, "eval")
	prompts := filepath.Join(evalDir, "prompts.jsonl")
	if err := writePrompts(cfg.Eval.Prompts, prompts); err != nil {
		return nil, err
	}
	files := map[string]string{}
	for _, st := range cfg.Stages {
		files[st.Name] = filepath.Join(lay.DataDir, st.Name, "test.jsonl")
	}
	models := []ModelEval{{Model: "base"}}
	for _, s := range stages {
		models = append(models, ModelEval{Model: s.Name, Adapter: filepath.Join(s.Checkpoint, "adapter")})
	}
	man := artifact.NewManifest("eval")
	for i := range models {
		m := &models[i]
		dir := filepath.Join(evalDir, fmt.Sprintf("%d-%s", i, m.Model))
		base := map[string]any{"config": lay.ConfigPath, "run_dir": lay.RunDir, "adapter": worker.Optional(m.Adapter), "label": m.Model}
		lossSpec := clone(base, map[string]any{"files": files, "output_file": filepath.Join(dir, "loss.json"), "max_conversations": cfg.Eval.MaxConversations})
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		lossOut, samplesOut := filepath.Join(dir, "loss.json"), filepath.Join(dir, "samples.jsonl")
		if exists(lossOut) {
			l.Progress.Note("eval " + m.Model + ": loss already measured, skipped")
		} else if _, err := l.Run(ctx, "loss", lossSpec, filepath.Join(lay.RunDir, "jobs", fmt.Sprintf("loss-%d-%s.json", i, m.Model)), lay.LogPath); err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", m.Model, err)
		}
		genSpec := clone(base, map[string]any{"prompts_file": prompts, "output_file": filepath.Join(dir, "samples.jsonl"),
			"max_new_tokens": cfg.Eval.MaxNewTokens, "temperature": cfg.Eval.Temperature})
		if exists(samplesOut) {
			l.Progress.Note("eval " + m.Model + ": samples already generated, skipped")
		} else if _, err := l.Run(ctx, "generate", genSpec, filepath.Join(lay.RunDir, "jobs", fmt.Sprintf("generate-%d-%s.json", i, m.Model)), lay.LogPath); err != nil {
			return nil, fmt.Errorf("generate with %s: %w", m.Model, err)
		}
		if err := readJSON(filepath.Join(dir, "loss.json"), &m.Loss); err != nil {
			return nil, err
		}
		samples, err := readSamples(filepath.Join(dir, "samples.jsonl"))
		if err != nil {
			return nil, err
		}
		m.Samples = samples
	}
	if err := man.AddInput(lay.ConfigPath); err != nil {
		return nil, err
	}
	return models, man.Write(evalDir)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func writePrompts(src, dst string) error {
	b := corpus.DemoPrompts()
	if src != corpus.Embedded {
		var err error
		if b, err = os.ReadFile(src); err != nil {
			return fmt.Errorf("eval.prompts: %w (fix: point it at a JSONL prompt file or use %s)", err, corpus.Embedded)
		}
	}
	return artifact.WriteBytes(dst, b)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func readSamples(path string) ([]Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Sample
	dec := json.NewDecoder(f)
	for dec.More() {
		var s Sample
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func clone(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
