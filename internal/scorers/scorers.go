// Package scorers builds, validates and applies the metrics Pixel reports:
// empathy (EPITOME), an MI coder (AnnoMI) with MITI summary scores, crisis
// risk, a safety-in-crisis checklist, delivery and persona. Each neural
// scorer is a logistic head on a frozen sentence encoder, fitted by the
// worker on public human labels; this package builds the labelled data,
// computes every agreement figure on held-out data only, checks each
// scorer's demographic bias, and writes the validity table that every
// number a scorer produces is reported with.
package scorers

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"pixel/internal/artifact"
	"pixel/internal/delivery"
	"pixel/internal/worker"
)

// Names are the scorers, in report order.
var Names = []string{"empathy", "mi", "crisis", "safety", "delivery", "persona"}

// Options say where the data is, where the trained scorers go, and how big
// the training sets are.
type Options struct {
	DataRoot       string         // folder of public datasets (../shared/data)
	Dir            string         // cache folder of trained scorer sets
	Encoder        string         // sentence encoder (see worker/pixel_worker/scorers.py)
	MaxPerTask     int            // cap of training examples per head; 0 = all
	TaskCaps       map[string]int // per-head caps that override MaxPerTask
	MaxHeldout     int            // cap of held-out examples per head; 0 = all
	HeldoutPercent int            // share of groups held out where a dataset has no test split
	C              float64
	// BiasDescriptors is how many HolisticBias descriptors the bias check
	// uses (evenly spaced over all axes).
	BiasDescriptors int
	// BiasCarriers is how many real held-out user messages (EPITOME seeker
	// posts, with their replies) the descriptors are also put into.
	BiasCarriers int
	// DebiasK directions of demographic variation are projected out of the
	// encoder's embeddings before the heads (0 = off).
	DebiasK int
	// MIClientContext is how many turns before a client utterance the MI
	// coder reads for its talk type (1 = the therapist's previous turn).
	MIClientContext int
	// PersonaShortWords: a fine-tuned persona head's turns of at most this
	// many words are read by a frozen head on the same turns (0 = off).
	PersonaShortWords int
	// CalibrationFolds: each logistic head's logits are divided by a
	// temperature fitted on this many folds of its training rows (0 = off).
	CalibrationFolds int
	// CalibrationRows: a fine-tuned head with at least this many training-
	// side rows beyond its cap, from groups none of its training rows
	// share, gets a temperature fitted on this many of them (0 = off).
	CalibrationRows int
	// CalibrationRefit: fine-tuned scorers whose heads, lacking such rows,
	// get a temperature fitted on out-of-fold predictions of their encoder
	// trained again per fold of CalibrationRefitFolds (groups kept whole).
	CalibrationRefit      []string
	CalibrationRefitFolds int
	// CalibrationRefitFoldsPer overrides CalibrationRefitFolds per scorer.
	CalibrationRefitFoldsPer map[string]int
	// FinetuneHeads are trained as fine-tuned encoders with the settings
	// in Finetune (epochs, lr, batch_size, max_len) instead of logistic heads.
	FinetuneHeads []string
	Finetune      map[string]any
	// Counterfactual weighs the fine-tuned heads' invariance to HolisticBias
	// descriptors (the half the bias check never uses); 0 = off.
	// CounterfactualShare is the share of each batch it applies to.
	Counterfactual, CounterfactualShare float64
	// CounterfactualFocus: as many pairs again per batch, drawn from a
	// fine-tuned head's Keep rows (the project's short messages); 0 = off.
	CounterfactualFocus float64
	// FinetuneOverrides are per-scorer settings that replace Finetune's
	// for that scorer's heads: "encoder" (its fine-tuned encoder) and "lr".
	FinetuneOverrides map[string]map[string]any
	// Seed is the fine-tuned encoders' seed (0 = the default).
	Seed int
	// CheckpointSeconds is how often a fine-tuning encoder saves its state
	// so that a killed run resumes (0 = never); not part of a set's key.
	CheckpointSeconds float64
	// BriefAgreement: `pixel score` puts only each scorer's figures with a
	// goal beside its values and writes the whole validity table once
	// beside the output (<output>.validity.md); not part of a set's key.
	BriefAgreement bool
	// BriefTable, when set, is a table the caller has written (ScoreSamples:
	// one in the eval folder for every checkpoint) that the brief form names
	// instead, relative to the output's folder.
	BriefTable    string
	SafetySet     []byte // the labelled safety-in-crisis set (JSONL)
	SafetySetName string
	// RuleSet is the labelled set the hand-written rules are measured on
	// (JSONL, docs/rule-labels.md); it trains nothing.
	RuleSet     []byte
	RuleSetName string
	// ChatSet holds short support-chat messages without suicidal thoughts
	// (JSONL, docs/rule-labels.md), for the crisis head.
	ChatSet     []byte
	ChatSetName string
	// DecoySet holds short messages without suicidal thoughts that use the
	// words of imminence (JSONL, the chat set's format): dev trains what
	// DecoysTrain names, test measures both crisis heads end to end.
	DecoySet     []byte
	DecoySetName string
	// DecoysTrain names the heads the decoys' dev half trains
	// (crisis_level, crisis_imminent); the config's default is
	// crisis_level, an Options literal's none.
	DecoysTrain []string
	// SmallTalkTrain is how many user turns of Synthetic-Persona-Chat's
	// valid split train the crisis level head as "none" (0: none).
	SmallTalkTrain int
	Launcher       *worker.Launcher
	Log            io.Writer // progress lines; nil = none
}

func (o Options) logf(format string, a ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", a...)
	}
}

// buildTasks reads every labelled dataset into the heads' tasks.
func buildTasks(ctx context.Context, o Options) ([]*Task, *miHeldout, error) {
	var tasks []*Task
	emp, err := empathyTasks(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	tasks = append(tasks, emp...)
	mi, held, err := miTasks(o)
	if err != nil {
		return nil, nil, err
	}
	tasks = append(tasks, mi...)
	cr, err := crisisTask(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	tasks = append(tasks, cr)
	sf, err := safetyTasks(o)
	if err != nil {
		return nil, nil, err
	}
	tasks = append(tasks, sf...)
	rt, err := ruleTasks(o)
	if err != nil {
		return nil, nil, err
	}
	tasks = append(tasks, rt...)
	pe, err := personaTask(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	tasks = append(tasks, pe)
	names := map[string]bool{}
	for _, t := range tasks {
		names[t.Name] = true
		limit, ok := o.TaskCaps[t.Name]
		if !ok {
			limit = o.MaxPerTask
		}
		capped := capKeeping(t.Train, limit)
		if o.CalibrationRows > 0 && o.finetunes(t.Name) && !o.refits(t) {
			t.Calibration, t.Spare = calibrationRows(t.Train, capped, o.CalibrationRows)
		}
		t.Train, t.Heldout = capped, capEven(t.Heldout, o.MaxHeldout)
		if err := checkDisjoint(t); err != nil {
			return nil, nil, err
		}
	}
	for head := range o.TaskCaps {
		if !names[head] {
			return nil, nil, fmt.Errorf("scorers.task_caps: no head %q (fix: some of %s)", head, strings.Join(taskNames(tasks), ", "))
		}
	}
	return tasks, held, nil
}

// checkDisjoint fails when a group is on both sides of a task's split, or
// a calibration row's group is on either: the held-out figures must come
// from data the head never saw, and a temperature from rows its encoder
// never saw.
func checkDisjoint(t *Task) error {
	train, held := map[string]bool{}, map[string]bool{}
	for _, e := range t.Train {
		train[e.Group] = true
	}
	for _, e := range t.Heldout {
		if train[e.Group] {
			return fmt.Errorf("scorer task %s: group %q is in both the training and the held-out data (a bug in the split)", t.Name, e.Group)
		}
		held[e.Group] = true
	}
	for _, e := range t.Calibration {
		if train[e.Group] || held[e.Group] {
			return fmt.Errorf("scorer task %s: calibration group %q is also in the training or held-out data (a bug in the split)", t.Name, e.Group)
		}
	}
	return nil
}

// Set is one trained scorer set in the cache: <dir>/<key>/.
type Set struct {
	Dir string // the set's folder
	Key string
}

func (s Set) heads() string            { return filepath.Join(s.Dir, "heads") }
func (s Set) data() string             { return filepath.Join(s.Dir, "data") }
func (s Set) reference() string        { return filepath.Join(s.Dir, "delivery_reference.json") }
func (s Set) ValidityPath() string     { return filepath.Join(s.Dir, "validity.json") }
func (s Set) complete() string         { return filepath.Join(s.Dir, "heads", ".complete") }
func (s Set) dataFile(n string) string { return filepath.Join(s.data(), n) }

// miClientContextKey names, in a set's manifest, how many turns before a
// client utterance its MI coder was trained to read.
const miClientContextKey = "mi_client_context"

// miClientContext is that count (1 for sets from before the setting existed).
func (s Set) miClientContext() (int, error) {
	path := filepath.Join(s.Dir, "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("scorer set %s: %v (fix: rerun `pixel scorers train`)", s.Dir, err)
	}
	var m struct {
		Extra map[string]any `json:"extra"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, fmt.Errorf("%s: %v (fix: rerun `pixel scorers train`)", path, err)
	}
	n, _ := m.Extra[miClientContextKey].(float64)
	return max(int(n), 1), nil
}

// Train builds the labelled data, fits every head (skipped when the cache
// already holds a set trained on identical data and settings) and the
// delivery reference, and marks the set as the latest.
func Train(ctx context.Context, o Options) (Set, error) {
	tasks, _, err := buildTasks(ctx, o)
	if err != nil {
		return Set{}, err
	}
	known := map[string]bool{}
	for _, t := range tasks {
		known[t.Name] = true
	}
	for _, h := range o.FinetuneHeads {
		if !known[h] {
			return Set{}, fmt.Errorf("scorers.finetune.heads: no head %q (fix: some of %s)", h, strings.Join(taskNames(tasks), ", "))
		}
	}
	key, err := setKey(o, tasks)
	if err != nil {
		return Set{}, err
	}
	set := Set{Dir: filepath.Join(o.Dir, key), Key: key}
	if _, err := os.Stat(set.complete()); err == nil {
		o.logf("scorers: %s already trained on the same data and settings; reusing it", set.Dir)
		return set, markLatest(o.Dir, key)
	}
	cf, err := counterfactualSpec(o)
	if err != nil {
		return Set{}, err
	}
	var specs []map[string]any
	for _, t := range tasks {
		o.logf("scorers: %-16s %6d train, %5d held out", t.Name, len(t.Train), len(t.Heldout))
		for _, sd := range t.sides() {
			if err := writeExamples(set.dataFile(t.Name+"."+sd.name+".jsonl"), sd.rows); err != nil {
				return Set{}, err
			}
		}
		if len(t.Calibration) > 0 {
			o.logf("scorers: %-16s %6d calibration rows (of %d beyond its cap, from groups it never trained on)", t.Name, len(t.Calibration), t.Spare)
		}
		if o.refits(t) {
			o.logf("scorers: %-16s temperature from %d refitted encoders (scorers.calibration_refit: its encoder trains again per fold)", t.Name, o.refitFoldsOf(t.Scorer))
		}
		specs = append(specs, o.taskSpec(t, set.dataFile(t.Name+".train.jsonl"), cf))
	}
	for _, s := range o.CalibrationRefit {
		if !slices.Contains(o.refitScorers(tasks), s) {
			o.logf("scorers: scorers.calibration_refit names %s, which has no fine-tuned head here; nothing refitted for it", s)
		}
	}
	if err := buildReference(ctx, o, set); err != nil {
		return Set{}, err
	}
	debias, err := debiasSpec(o)
	if err != nil {
		return Set{}, err
	}
	if _, err := o.Launcher.Run(ctx, "scorer_fit", map[string]any{"encoder": o.Encoder, "cache_dir": o.embedCache(),
		"out_dir": set.heads(), "tasks": specs, "debias": debias, "finetune_cache": filepath.Join(o.Dir, "finetuned"), "seed": o.Seed,
		"checkpoint_seconds": o.CheckpointSeconds}, filepath.Join(set.Dir, "jobs", "scorer_fit.json"), filepath.Join(set.Dir, "worker.log")); err != nil {
		return Set{}, err
	}
	man := artifact.NewManifest("scorers")
	man.Counts = map[string]int64{}
	for _, t := range tasks {
		for _, sd := range t.sides() {
			if err := man.AddInput(set.dataFile(t.Name + "." + sd.name + ".jsonl")); err != nil {
				return Set{}, err
			}
			man.Counts[t.Name+"."+sd.name] = int64(len(sd.rows))
		}
	}
	man.Extra = map[string]any{"key": key, "encoder": o.Encoder, "max_per_task": o.MaxPerTask, "task_caps": o.TaskCaps, "max_heldout": o.MaxHeldout,
		"heldout_percent": o.HeldoutPercent, "c": o.C, "debias_k": o.DebiasK, "finetune_heads": o.FinetuneHeads, "finetune": o.Finetune,
		"counterfactual": o.Counterfactual, "counterfactual_share": o.CounterfactualShare, "counterfactual_focus": o.CounterfactualFocus, "seed": o.Seed, "finetune_per_scorer": o.FinetuneOverrides,
		miClientContextKey: o.MIClientContext, "persona_short_words": o.personaShortWords(), "calibration_folds": o.CalibrationFolds, "calibration_rows": o.CalibrationRows, "calibration_refit": o.refitScorers(tasks), "calibration_refit_folds": o.CalibrationRefitFolds, "calibration_refit_folds_per_scorer": o.refitFoldsOverrides(tasks), "safety_set": o.SafetySetName, "data_root": o.DataRoot}
	if err := man.Write(set.Dir); err != nil {
		return Set{}, err
	}
	if err := artifact.WriteBytes(set.complete(), []byte(key+"\n")); err != nil {
		return Set{}, err
	}
	return set, markLatest(o.Dir, key)
}

// personaShortWords is o.PersonaShortWords where it applies (persona
// fine-tuned), else 0.
func (o Options) personaShortWords() int {
	if !o.finetunes("persona") {
		return 0
	}
	return o.PersonaShortWords
}

// taskSpec is one head's entry in the scorer_fit job. A scorer's fine-tuned
// heads share one encoder, trained jointly with the shared settings and the
// scorer's own overrides (e.g. a larger encoder).
func (o Options) taskSpec(t *Task, train string, cf map[string]any) map[string]any {
	spec := map[string]any{"name": t.Name, "train": train, "inputs": t.Inputs, "ngrams": t.NGrams, "c": o.C}
	if len(t.NGramInputs) > 0 {
		spec["ngram_inputs"] = t.NGramInputs
	}
	if len(t.CGrid) > 0 {
		spec["c_grid"] = t.CGrid
	}
	if o.CalibrationFolds > 0 { // every logistic head, a fine-tuned persona's short-turn head too
		spec["calibration_folds"] = o.CalibrationFolds
	}
	if !o.finetunes(t.Name) {
		return spec
	}
	if t.Name == "persona" && o.personaShortWords() > 0 {
		spec["short_turns"] = map[string]any{"max_words": o.PersonaShortWords}
	}
	ft := map[string]any{"group": t.Scorer}
	for k, v := range o.Finetune {
		ft[k] = v
	}
	for k, v := range o.FinetuneOverrides[t.Scorer] {
		ft[k] = v
	}
	spec["finetune"] = ft
	if o.CalibrationRows > 0 {
		cal := map[string]any{"spare": t.Spare, "needed": o.CalibrationRows}
		if len(t.Calibration) > 0 { // written beside the training rows (Train)
			cal["rows"] = strings.TrimSuffix(train, ".train.jsonl") + ".calibration.jsonl"
		}
		spec["calibration"] = cal
	}
	if o.refits(t) {
		cal, _ := spec["calibration"].(map[string]any)
		if cal == nil {
			cal = map[string]any{}
		}
		k := o.refitFoldsOf(t.Scorer)
		cal["refit"] = map[string]any{"folds": k, "fold_of": refitFolds(t.Train, k)}
		spec["calibration"] = cal
	}
	if cf != nil {
		spec["counterfactual"] = o.focused(cf, t)
	}
	return spec
}

// focused is cf with the counterfactual focus for t: its Keep rows' ids, so
// the worker draws extra pairs from them. A task without Keep rows, or with
// the focus off, gets cf unchanged (and keeps its fine-tune cache).
func (o Options) focused(cf map[string]any, t *Task) map[string]any {
	var ids []string
	for _, e := range t.Train {
		if e.Keep {
			ids = append(ids, e.ID)
		}
	}
	if o.CounterfactualFocus <= 0 || len(ids) == 0 {
		return cf
	}
	out := make(map[string]any, len(cf)+2)
	for k, v := range cf {
		out[k] = v
	}
	// focus_labelled: the pairs' copies carry their rows' labels too; on
	// invariance alone the head gave every such message one value.
	out["focus"], out["focus_ids"], out["focus_labelled"] = o.CounterfactualFocus, ids, true
	return out
}

// refits says whether t's temperature comes from refitted encoders: its
// scorer is in CalibrationRefit and it is fine-tuned. Such a head draws no
// calibration rows (CalibrationRows): the setting names the scorers whose
// data has none (empathy and MI train on every training-side row).
func (o Options) refits(t *Task) bool {
	return o.finetunes(t.Name) && o.refitFoldsOf(t.Scorer) >= 2 && slices.Contains(o.CalibrationRefit, t.Scorer)
}

// refitFoldsOf is the number of refit folds for scorer: its entry in
// CalibrationRefitFoldsPer, else CalibrationRefitFolds.
func (o Options) refitFoldsOf(scorer string) int {
	if k, ok := o.CalibrationRefitFoldsPer[scorer]; ok {
		return k
	}
	return o.CalibrationRefitFolds
}

// refitFoldsOverrides are the refitting scorers whose fold count differs
// from CalibrationRefitFolds (nil when none, so a set built without
// overrides keeps its key).
func (o Options) refitFoldsOverrides(tasks []*Task) map[string]int {
	var out map[string]int
	for _, s := range o.refitScorers(tasks) {
		if k := o.refitFoldsOf(s); k != o.CalibrationRefitFolds {
			if out == nil {
				out = map[string]int{}
			}
			out[s] = k
		}
	}
	return out
}

// refitScorers are the scorers whose heads refit: sorted, each once
// (empty when off or when none of the listed scorers is fine-tuned).
func (o Options) refitScorers(tasks []*Task) []string {
	var out []string
	for _, t := range tasks {
		if o.refits(t) {
			out = append(out, t.Scorer)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// refitFolds assigns each training row the fold of its group (a hash of
// the group's name), so a transcript is on one side of every fold, for
// every head of a scorer.
func refitFolds(train []Example, k int) map[string]int {
	out := make(map[string]int, len(train))
	for _, e := range train {
		h := fnv.New32a()
		h.Write([]byte(e.Group))
		out[e.ID] = int(h.Sum32() % uint32(k))
	}
	return out
}

func (o Options) finetunes(head string) bool {
	for _, h := range o.FinetuneHeads {
		if h == head {
			return true
		}
	}
	return false
}

func (o Options) embedCache() string { return filepath.Join(o.Dir, "embeddings") }

func taskNames(tasks []*Task) []string {
	var out []string
	for _, t := range tasks {
		out = append(out, t.Name)
	}
	return out
}

// setKey hashes everything a trained set depends on: the examples, the
// settings, and the heads' feature recipe.
func setKey(o Options, tasks []*Task) (string, error) {
	h := map[string]any{"encoder": o.Encoder, "c": o.C, "heldout_percent": o.HeldoutPercent, "debias_k": o.DebiasK, "version": 4}
	if len(o.FinetuneHeads) > 0 {
		h["finetune"], h["finetune_heads"] = o.Finetune, o.FinetuneHeads
		h["counterfactual"] = []float64{o.Counterfactual, o.CounterfactualShare}
		if o.CounterfactualFocus > 0 { // absent when off, so earlier sets keep their key; sets from unlabelled focus pairs get another
			h["counterfactual_focus_labelled"] = o.CounterfactualFocus
		}
		if o.Seed != 0 { // absent at the default, so sets trained before the setting keep their key
			h["seed"] = o.Seed
		}
		if len(o.FinetuneOverrides) > 0 { // likewise
			h["finetune_per_scorer"] = o.FinetuneOverrides
		}
		if n := o.personaShortWords(); n > 0 { // likewise
			h["persona_short_words"] = n
			if o.CalibrationFolds > 0 { // its frozen head's temperature is fitted on the short turns alone (sets before that lack it)
				h["short_turns_temperature"] = "rows it reads"
			}
		}
	}
	if o.CalibrationFolds > 0 { // absent when off, so earlier sets keep their key
		h["calibration_folds"] = o.CalibrationFolds
	}
	if o.CalibrationRows > 0 && len(o.FinetuneHeads) > 0 { // likewise; it changes only fine-tuned heads
		h["calibration_rows"] = o.CalibrationRows
	}
	if r := o.refitScorers(tasks); len(r) > 0 { // likewise
		cr := map[string]any{"scorers": r, "folds": o.CalibrationRefitFolds}
		if per := o.refitFoldsOverrides(tasks); per != nil { // likewise
			cr["folds_per_scorer"] = per
		}
		h["calibration_refit"] = cr
	}
	var parts []string
	for _, t := range tasks {
		recipe := []any{t.Name, t.Inputs, t.NGrams, t.Train, t.Heldout}
		if len(t.CGrid) > 0 { // absent otherwise, so other heads keep their keys
			recipe = append(recipe, t.CGrid)
		}
		if len(t.NGramInputs) > 0 { // likewise
			recipe = append(recipe, t.NGramInputs)
		}
		if len(t.Calibration) > 0 { // likewise
			recipe = append(recipe, t.Calibration)
		}
		b, err := json.Marshal(recipe)
		if err != nil {
			return "", err
		}
		parts = append(parts, artifact.HashBytes(b))
	}
	h["tasks"] = parts
	b, _ := json.Marshal(h)
	return strings.TrimPrefix(artifact.HashBytes(b), "sha256:")[:16], nil
}

// buildReference writes the delivery scorer's human reference from the
// non-held-out human counsellor replies.
func buildReference(ctx context.Context, o Options, set Set) error {
	replies, err := delivery.HumanReplies(ctx, o.DataRoot)
	if err != nil {
		return err
	}
	ref, _ := delivery.Split(replies, o.HeldoutPercent)
	return delivery.BuildReference(delivery.Texts(ref)).Save(set.reference())
}

// markLatest records key as the set `pixel score` uses by default.
func markLatest(dir, key string) error {
	return artifact.WriteBytes(filepath.Join(dir, "latest"), []byte(key+"\n"))
}

// Latest is the most recently trained complete set in dir.
func Latest(dir string) (Set, error) {
	b, err := os.ReadFile(filepath.Join(dir, "latest"))
	if err != nil {
		return Set{}, fmt.Errorf("no trained scorers in %s (fix: run `pixel scorers train`)", dir)
	}
	return ByKey(dir, strings.TrimSpace(string(b)))
}

// trainedFor is the complete set with the key a config's data and
// settings give, or an error that says to train it.
func trainedFor(dir, key string) (Set, error) {
	set, err := ByKey(dir, key)
	if err != nil {
		return Set{}, fmt.Errorf("no scorer set trained for this config's scorers block (key %s) (fix: run `pixel scorers train` with the same config)", key)
	}
	return set, nil
}

// ByKey is the complete set with this key in dir (`pixel score
// --scorer-set`).
func ByKey(dir, key string) (Set, error) {
	set := Set{Dir: filepath.Join(dir, key), Key: key}
	if key == "" || strings.ContainsAny(key, `/\.`) {
		return Set{}, fmt.Errorf("scorer set %q: not a set key (fix: the 16-character key `pixel scorers train` printed, a folder name in %s)", key, dir)
	}
	if _, err := os.Stat(set.complete()); err != nil {
		return Set{}, fmt.Errorf("scorer set %s is missing or incomplete (fix: rerun `pixel scorers train` with the config that made it)", set.Dir)
	}
	return set, nil
}
