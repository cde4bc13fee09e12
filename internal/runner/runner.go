// Package runner is `pixel run`, top to bottom: resolve the config, build the
// stage shards, train the curriculum, evaluate every checkpoint, and write
// the report, all inside one self-describing run folder.
package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"pixel/internal/artifact"
	"pixel/internal/config"
	"pixel/internal/curriculum"
	"pixel/internal/eval"
	"pixel/internal/pipeline"
	"pixel/internal/report"
	"pixel/internal/scorers"
	"pixel/internal/shards"
	"pixel/internal/worker"
)

// Options are what the command line decides.
type Options struct {
	ConfigPath string   // "" = the embedded demo config
	Sets       []string // --set key=value overrides
	Out        io.Writer
	Progress   *worker.Progress
	WorkerEnv  []string // extra environment for the worker
	// Resume is a run folder to finish: its resolved config is used, and
	// shards, checkpoints and evaluations already complete are kept.
	Resume string
	// TrainOnly stops after the curriculum (pixel train): no evaluation.
	TrainOnly bool
}

// Summary is what a finished run produced.
type Summary struct {
	RunDir string
	Report string
	Stages []curriculum.StageResult
	Evals  []eval.ModelEval
}

// Run executes the whole pipeline and returns where its outputs are.
func Run(ctx context.Context, opt Options) (*Summary, error) {
	if opt.Resume != "" && (opt.ConfigPath != "" || len(opt.Sets) > 0) {
		return nil, fmt.Errorf("--resume uses the run's own config.yaml; drop --config and --set (or start a new run)")
	}
	cfg, runDir, cfgPath, err := prepare(opt)
	if err != nil {
		return nil, err
	}
	resolved, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	python, wdir, err := worker.Locate(cfg.Worker.Python, cfg.Worker.Dir)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(runDir, "run.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	say := func(format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		fmt.Fprintf(opt.Out, "%s\n", msg)
		fmt.Fprintf(logf, "%s %s\n", time.Now().UTC().Format(time.RFC3339), msg)
	}
	if opt.Resume != "" {
		say("resuming run %s", runDir)
	} else {
		say("run %s (config %s)", runDir, nameOf(opt.ConfigPath))
	}

	lay := curriculum.Layout{RunDir: runDir, ConfigPath: cfgPath, DataDir: filepath.Join(runDir, "data"), LogPath: logPath}
	stageNames := make([]string, len(cfg.Stages))
	for i, s := range cfg.Stages {
		stageNames[i] = s.Name
	}
	l := &worker.Launcher{Python: python, Dir: wdir, Log: logf, Env: opt.WorkerEnv, Progress: opt.Progress, TrainProcesses: cfg.Worker.Processes}
	if cfg.Eval.Scorers && !opt.TrainOnly { // fail before training, not after it
		if _, _, err := scorerSet(cfg, l); err != nil {
			return nil, err
		}
	}
	say("[1/4] building stage shards from %s", cfg.Data.Corpus)
	data, err := shards.Load(lay.DataDir) // shards of a resumed run are kept: checkpoints name their hash
	if err != nil {
		data, err = buildShards(ctx, cfg, lay, l, stageNames, say)
	}
	if err != nil {
		return nil, err
	}
	for _, s := range stageNames {
		c := data.Counts[s]
		say("      %-10s train %4d  val %3d  test %3d", s, c["train"], c["val"], c["test"])
	}
	if n := sum(data.Quarantined); n > 0 {
		say("      %d input records quarantined (reasons in %s)", n, filepath.Join(lay.DataDir, "quarantine.jsonl"))
	}

	say("[2/4] training %d stages on %s", len(cfg.Stages), cfg.Model.Base)
	stages, err := curriculum.Train(ctx, cfg, lay, l)
	if err != nil {
		return nil, err
	}
	for _, s := range stages {
		say("      %d %-10s %3d steps  val loss %.4f  -> %s", s.Index, s.Name, s.Steps, s.FinalValLoss, s.Checkpoint)
	}
	var evals []eval.ModelEval
	if opt.TrainOnly {
		say("[3/4] evaluation skipped (pixel train); `pixel run --resume %s` adds it", runDir)
	} else {
		say("[3/4] evaluating the base model and %d checkpoints", len(stages))
		if evals, err = eval.Run(ctx, cfg, lay, stages, l); err != nil {
			return nil, err
		}
	}
	var scores *scorers.RunScores
	if cfg.Eval.Scorers && !opt.TrainOnly {
		if scores, err = scoreSamples(ctx, cfg, l, lay, evals); err != nil {
			return nil, err
		}
		say("      samples scored with scorer set %s (validity table in the report)", scores.Validity.Set)
	}

	say("[4/4] writing metrics and report")
	cfgHash, err := artifact.HashFile(cfgPath)
	if err != nil {
		return nil, err
	}
	if err := artifact.WriteJSON(filepath.Join(runDir, "metrics.json"), map[string]any{
		"run_id": filepath.Base(runDir), "config_hash": cfgHash, "code_version": artifact.CodeVersion(),
		"created": time.Now().UTC().Format(time.RFC3339), "data": data, "stages": stages, "eval": evals, "scores": scores,
		"notes": "test_loss is mean cross-entropy over assistant tokens of each stage's test split; perplexity = exp(loss). Language-model measurements, not clinical scores.",
	}); err != nil {
		return nil, err
	}
	reportPath, err := report.Write(runDir, report.Run{
		ID: filepath.Base(runDir), Created: time.Now().UTC().Format(time.RFC3339), CodeVersion: artifact.CodeVersion(),
		ConfigHash: cfgHash, Config: string(resolved), BaseModel: cfg.Model.Base, Data: data.Counts,
		Quarantined: data.Quarantined, Stages: stages, Evals: evals, StageNames: stageNames, Scores: scores,
	})
	if err != nil {
		return nil, err
	}
	man := artifact.NewManifest("run")
	man.ConfigHash = cfgHash
	man.Extra = map[string]any{"config": nameOf(opt.ConfigPath), "overrides": opt.Sets}
	if err := man.Write(runDir); err != nil {
		return nil, err
	}
	say("done: report %s", reportPath)
	return &Summary{RunDir: runDir, Report: reportPath, Stages: stages, Evals: evals}, nil
}

// buildShards writes the stage shards: from the public sources through the
// data pipeline (data.corpus: sources), or from the demo corpus or canonical
// JSONL files.
func buildShards(ctx context.Context, cfg *config.Config, lay curriculum.Layout, l *worker.Launcher, stages []string, say func(string, ...any)) (*shards.Result, error) {
	if cfg.Data.Corpus != "sources" {
		return shards.Build(shards.Options{Corpus: cfg.Data.Corpus, Stages: stages, ValFraction: cfg.Data.ValFraction,
			TestFraction: cfg.Data.TestFraction, Seed: uint64(cfg.Run.Seed)}, lay.DataDir)
	}
	opt := pipeline.Options{Config: cfg, Log: say}
	if cfg.Data.Mixing.Counter == "tokenizer" {
		opt.Counter = pipeline.WorkerCounter(l, lay.ConfigPath, lay.RunDir, lay.LogPath)
	}
	res, err := pipeline.Build(ctx, opt, lay.DataDir)
	if err != nil {
		return nil, err
	}
	out := &shards.Result{Quarantined: map[string]int{}, Counts: res.Splits}
	for _, st := range res.Sources {
		out.Read += st.Read
		for r, n := range st.Rejected {
			out.Quarantined[r] += n
		}
		for r, n := range st.Invalid {
			out.Quarantined[r] += n
		}
	}
	for k, n := range res.Dedup {
		out.Quarantined["duplicate_"+k] += n
	}
	return out, nil
}

// prepare loads the config and makes the run folder with its resolved
// config.yaml, or, when resuming, reads both back.
func prepare(opt Options) (*config.Config, string, string, error) {
	if opt.Resume != "" {
		runDir, err := filepath.Abs(opt.Resume)
		if err != nil {
			return nil, "", "", err
		}
		cfgPath := filepath.Join(runDir, "config.yaml")
		if _, err := os.Stat(cfgPath); err != nil {
			return nil, "", "", fmt.Errorf("--resume %s: no config.yaml there (fix: pass a folder that `pixel run` created, e.g. runs/demo-...)", opt.Resume)
		}
		cfg, err := config.Load(cfgPath, nil)
		return cfg, runDir, cfgPath, err
	}
	cfg, err := config.Load(opt.ConfigPath, opt.Sets)
	if err != nil {
		return nil, "", "", err
	}
	runDir, err := newRunDir(cfg)
	if err != nil {
		return nil, "", "", err
	}
	resolved, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, "", "", err
	}
	cfgPath := filepath.Join(runDir, "config.yaml")
	header := fmt.Sprintf("# Resolved configuration of run %s (the worker reads this file).\n# Resume: pixel run --resume %s\n", filepath.Base(runDir), runDir)
	return cfg, runDir, cfgPath, artifact.WriteBytes(cfgPath, append([]byte(header), resolved...))
}

// newRunDir makes out_dir/<name>-<UTC time>, with a suffix if it exists.
func newRunDir(cfg *config.Config) (string, error) {
	base := filepath.Join(cfg.Run.OutDir, cfg.Run.Name+"-"+time.Now().UTC().Format("20060102-150405"))
	dir := base
	for i := 2; ; i++ {
		err := os.MkdirAll(filepath.Dir(dir), 0o755)
		if err == nil {
			err = os.Mkdir(dir, 0o755)
		}
		if err == nil {
			return filepath.Abs(dir)
		}
		if !os.IsExist(err) {
			return "", fmt.Errorf("create run folder: %w (fix: set run.out_dir to a writable folder)", err)
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

// scoreSamples scores every checkpoint's samples with the latest trained
// scorer set.
func scoreSamples(ctx context.Context, cfg *config.Config, l *worker.Launcher, lay curriculum.Layout, evals []eval.ModelEval) (*scorers.RunScores, error) {
	o, set, err := scorerSet(cfg, l)
	if err != nil {
		return nil, err
	}
	return scorers.ScoreSamples(ctx, o, set, filepath.Join(lay.RunDir, "eval"), evals)
}

func scorerSet(cfg *config.Config, l *worker.Launcher) (scorers.Options, scorers.Set, error) {
	o, err := scorers.FromConfig(cfg, l, nil)
	if err != nil {
		return o, scorers.Set{}, err
	}
	var set scorers.Set
	if key := cfg.Eval.ScorerSet; key != "" {
		if set, err = scorers.ByKey(o.Dir, key); err != nil {
			return o, set, fmt.Errorf("eval.scorer_set: %w", err)
		}
	} else if set, err = scorers.Latest(o.Dir); err != nil {
		return o, set, fmt.Errorf("eval.scorers: %w (or set eval.scorers: false)", err)
	}
	return o, set, nil
}

func nameOf(path string) string {
	if path == "" {
		return config.DemoName
	}
	return path
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
