package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestLoadEveryConfig loads every YAML in configs/, as litgpt does: a config
// that drifts from the struct fails here, not in a user's run.
func TestLoadEveryConfig(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../../configs", func(p string, d fs.DirEntry, err error) error {
		// configs/manifests/ holds training manifests, a schema of their own
		// (internal/pipeline's tests load every one of them).
		if err == nil && d.IsDir() && d.Name() == "manifests" {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no YAML files under configs/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f, nil); err != nil {
				t.Fatalf("Load(%s): %v", f, err)
			}
		})
	}
}

func TestLoadEmbeddedDemo(t *testing.T) {
	for _, path := range []string{"", DemoName} {
		cfg, err := Load(path, nil)
		if err != nil {
			t.Fatalf("Load(%q): %v", path, err)
		}
		if cfg.Run.Name != "demo" || len(cfg.Stages) != len(StageNames) {
			t.Errorf("Load(%q) = run.name %q with %d stages; want the demo config", path, cfg.Run.Name, len(cfg.Stages))
		}
		fromFile, err := Load("../../configs/demo.yaml", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cfg, fromFile) {
			t.Errorf("embedded demo differs from configs/demo.yaml")
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if err == nil || !strings.Contains(err.Error(), "fix:") {
		t.Fatalf("Load(missing) = %v; want an error with a fix", err)
	}
}

func TestLoadDecodeErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "run:\n  name: x\n  colour: blue\n", []string{"line 3", "colour"}},
		{"unknown section", "optimizer:\n  lr: 1\n", []string{"line 1", "optimizer"}},
		{"wrong type", "train:\n  lr: fast\n", []string{"line 2", "fast"}},
		{"list for scalar", "lora:\n  r: [1, 2]\n", []string{"line 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, nil)
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			for _, w := range append([]string{path, "fix:"}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error: key, value, fix
	}{
		{"lr zero", "train: {lr: 0}", []string{"train.lr=0", "must be in (0, 1]"}},
		{"lr above one", "train: {lr: 2}", []string{"train.lr=2", "e.g. 2e-4"}},
		{"lora r zero", "lora: {r: 0}", []string{"lora.r=0", "must be > 0"}},
		{"dtype bogus", "model: {dtype: float8}", []string{"model.dtype=float8", "use float32, bfloat16 or float16"}},
		{"device bogus", "model: {device: tpu}", []string{"model.device=tpu", "use auto, cpu or cuda"}},
		{"val fraction high", "data: {val_fraction: 0.6}", []string{"data.val_fraction=0.6", "must be in (0, 0.5)"}},
		{"val fraction zero", "data: {val_fraction: 0}", []string{"data.val_fraction=0", "must be in (0, 0.5)"}},
		{"test fraction negative", "data: {test_fraction: -0.1}", []string{"data.test_fraction=-0.1"}},
		{"scheduler", "train: {scheduler: step}", []string{"train.scheduler=step", "cosine"}},
		{"no grad clipping", "train: {max_grad_norm: 0}", []string{"train.max_grad_norm=0"}},
		{"run name with slash", "run: {name: a/b}", []string{"run.name=", "without spaces or slashes"}},
		{"tiny heads", "model: {tiny: {heads: 3}}", []string{"model.tiny", "hidden_size must divide by heads"}},
		{"no stages", "stages: []", []string{"stages=[]", "list at least one stage"}},
		{
			"stages out of order",
			"stages:\n- {name: expertise, share: 0.25}\n- {name: foundation, share: 0.40}\n- {name: edge, share: 0.20}\n- {name: voice, share: 0.15}\n",
			[]string{`stages.1.name="foundation"`, "curriculum order"},
		},
		{
			"duplicate stage",
			"stages:\n- {name: foundation, share: 0.5}\n- {name: foundation, share: 0.5}\n",
			[]string{`stages.1.name="foundation"`, "each once"},
		},
		{"unknown stage", "stages:\n- {name: warmup, share: 1}\n", []string{`stages.0.name="warmup"`, "use one of"}},
		{
			"shares do not sum to one",
			"stages:\n- {name: foundation, share: 0.40}\n- {name: expertise, share: 0.25}\n- {name: edge, share: 0.20}\n- {name: voice, share: 0.20}\n",
			[]string{"stages.*.share", "sum to 1.050", "must sum to 1"},
		},
		{"share zero", "stages:\n- {name: foundation, share: 0}\n", []string{"stages.0.share=0", "must be in (0, 1]"}},
		{"negative override", "stages:\n- {name: foundation, share: 1, lr: -1}\n", []string{"stages.0", "must be >= 0"}},
		{"mi client context zero", "scorers: {mi_client_context: 0}", []string{"scorers.mi_client_context=0", "must be 1..8"}},
		{"one calibration fold", "scorers: {calibration_folds: 1}", []string{"scorers.calibration_folds=1", "0 (off) or 2..20"}},
		{"too few calibration rows", "scorers: {calibration_rows: 20}", []string{"scorers.calibration_rows=20", "0 (off) or 100..100000"}},
		{"refit of an unknown scorer", "scorers: {calibration_refit: [safety]}", []string{"scorers.calibration_refit=safety", "empathy, mi, crisis, persona"}},
		{"one refit fold", "scorers: {calibration_refit: [mi], calibration_refit_folds: 1}", []string{"scorers.calibration_refit_folds=1", "2..10"}},
		{"per-scorer refit folds of an unknown scorer", "scorers: {calibration_refit_folds_per_scorer: {safety: 3}}", []string{"scorers.calibration_refit_folds_per_scorer.safety=3", "one of [empathy mi crisis persona]"}},
		{"one per-scorer refit fold", "scorers: {calibration_refit: [persona], calibration_refit_folds_per_scorer: {persona: 1}}", []string{"scorers.calibration_refit_folds_per_scorer.persona=1", "2..10"}},
		{"persona short words negative", "scorers: {persona_short_words: -1}", []string{"scorers.persona_short_words=-1", "must be 0..10"}},
		{"counterfactual share zero", "scorers: {finetune: {counterfactual: 10, counterfactual_share: 0}}", []string{"scorers.finetune.counterfactual_share=0", "e.g. 0.25"}},
		{"per-scorer override of an unknown scorer", "scorers: {finetune: {per_scorer: {empathi: {lr: 3.0e-5}}}}", []string{"scorers.finetune.per_scorer.empathi", "one of [empathy mi crisis persona]"}},
		{"negative per-scorer lr", "scorers: {finetune: {per_scorer: {empathy: {lr: -1}}}}", []string{"scorers.finetune.per_scorer.empathy.lr=-1", "must be >= 0"}},
		{"decoys training an unknown head", "scorers: {decoys_train: [crisis]}", []string{"scorers.decoys_train=crisis", "crisis_level and/or crisis_imminent"}},
		{"negative small talk", "scorers: {smalltalk_train: -1}", []string{"scorers.smalltalk_train=-1", ">= 0"}},
		{"negative per-scorer seeds", "scorers: {finetune: {per_scorer: {crisis: {seeds: -2}}}}", []string{"scorers.finetune.per_scorer.crisis.seeds=-2", "seed ensemble"}},
		{"counterfactual focus above one", "scorers: {finetune: {counterfactual_focus: 1.5}}", []string{"scorers.finetune.counterfactual_focus=1.5", "must be in [0, 1]"}},
		{"negative scorer seed", "scorers: {finetune: {seed: -1}}", []string{"scorers.finetune.seed=-1", "must be >= 0"}},
		{"negative checkpoint interval", "scorers: {finetune: {checkpoint_minutes: -5}}", []string{"scorers.finetune.checkpoint_minutes=-5", "must be >= 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml), nil)
			if err == nil {
				t.Fatal("Parse succeeded; want a validation error")
			}
			for _, w := range append([]string{"test.yaml"}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	_, err := Parse("test.yaml", []byte("train: {lr: 0}\nlora: {r: 0}\n"), nil)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, w := range []string{"train.lr=0", "lora.r=0"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestPartialFileTakesDefaults(t *testing.T) {
	cfg, err := Parse("test.yaml", []byte("run: {name: mine}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	def, err := Defaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Run.Name != "mine" || cfg.Run.OutDir != def.Run.OutDir || cfg.Train.LR != def.Train.LR {
		t.Errorf("got run %+v, train.lr %v; want name mine and the rest from the demo", cfg.Run, cfg.Train.LR)
	}
}

func TestSetOverrides(t *testing.T) {
	tests := []struct {
		name  string
		sets  []string
		check func(*Config) bool
	}{
		{"float", []string{"train.lr=1e-4"}, func(c *Config) bool { return c.Train.LR == 1e-4 }},
		{"list item", []string{"stages.0.max_steps=3"}, func(c *Config) bool { return c.Stages[0].MaxSteps == 3 && c.Stages[1].MaxSteps == 0 }},
		{"list item existing key", []string{"stages.2.share=0.2"}, func(c *Config) bool { return c.Stages[2].Share == 0.2 }},
		{"value with equals", []string{"data.corpus=path/a=b=c"}, func(c *Config) bool { return c.Data.Corpus == "path/a=b=c" }},
		{"empty value", []string{"worker.python="}, func(c *Config) bool { return c.Worker.Python == "" }},
		{"list value", []string{"lora.target_modules=[q_proj, v_proj]"}, func(c *Config) bool {
			return reflect.DeepEqual(c.LoRA.TargetModules, []string{"q_proj", "v_proj"})
		}},
		{"later wins", []string{"train.lr=1e-3", "train.lr=5e-3"}, func(c *Config) bool { return c.Train.LR == 5e-3 }},
		{"string", []string{"run.name=other"}, func(c *Config) bool { return c.Run.Name == "other" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("", tt.sets)
			if err != nil {
				t.Fatalf("Load with %v: %v", tt.sets, err)
			}
			if !tt.check(cfg) {
				t.Errorf("--set %v not applied: %+v", tt.sets, cfg)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name string
		set  string
		want []string
	}{
		{"index out of range", "stages.9.name=x", []string{"stages.9.name", `"9"`, "4-item list", "fix: use 0..3"}},
		{"index not a number", "stages.first.name=x", []string{`"first"`, "not an index"}},
		{"unknown key", "train.nosuchkey=1", []string{"train.nosuchkey=1", "nosuchkey"}},
		{"unknown section", "nosuch.key=1", []string{"nosuch"}},
		{"no equals", "train.lr", []string{"want key=value"}},
		{"empty key", "=1", []string{"want key=value"}},
		{"into a scalar", "train.lr.x=1", []string{`"train.lr" is a value, not a section`}},
		{"wrong type", "train.batch_size=many", []string{"many"}},
		{"fails validation", "train.lr=0", []string{"train.lr=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", []string{tt.set})
			if err == nil {
				t.Fatalf("--set %s succeeded; want an error", tt.set)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestForStage(t *testing.T) {
	cfg := &Config{Train: Train{LR: 1e-2, Epochs: 4, MaxSteps: 0}}
	tests := []struct {
		name  string
		stage Stage
		want  StageConfig
	}{
		{"inherits", Stage{Name: "foundation", Share: 0.4}, StageConfig{Name: "foundation", LR: 1e-2, Epochs: 4}},
		{"lr override", Stage{Name: "edge", LR: 5e-3}, StageConfig{Name: "edge", LR: 5e-3, Epochs: 4}},
		{"all overrides", Stage{Name: "voice", LR: 1e-3, Epochs: 2, MaxSteps: 7}, StageConfig{Name: "voice", LR: 1e-3, Epochs: 2, MaxSteps: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cfg.ForStage(tt.stage); got != tt.want {
				t.Errorf("ForStage(%+v) = %+v; want %+v", tt.stage, got, tt.want)
			}
		})
	}
}
