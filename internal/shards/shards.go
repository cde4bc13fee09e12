// Package shards turns canonical conversations into the curriculum's stage
// shards: train/val/test per stage, split by conversation, deterministic for a
// seed, each folder with its manifest. The full data pipeline (sources,
// scrubbing, dedup, token-share mixing) feeds the same layout.
package shards

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"pixel/internal/artifact"
	"pixel/internal/corpus"
	"pixel/internal/record"
)

// Splits are the shard names inside a stage folder.
var Splits = []string{"train", "val", "test"}

// Options configures a build.
type Options struct {
	Corpus       string   // corpus.Embedded or a JSONL file / folder
	Stages       []string // stages to write, in order
	ValFraction  float64
	TestFraction float64
	Seed         uint64
}

// Quarantined is a rejected input line: where it was and why, never its text.
type Quarantined struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Result counts what a build read, kept and wrote.
type Result struct {
	Read        int                       `json:"read"`
	Quarantined map[string]int            `json:"quarantined"`
	Counts      map[string]map[string]int `json:"counts"` // stage -> split -> conversations
}

// Build reads the corpus and writes outDir/<stage>/<split>.jsonl, a
// quarantine file for rejected lines, and a manifest.
func Build(opt Options, outDir string) (*Result, error) {
	res := &Result{Quarantined: map[string]int{}, Counts: map[string]map[string]int{}}
	man := artifact.NewManifest("shards")
	var quarantine []Quarantined
	convs, err := load(opt.Corpus, man, func(e *record.LineError) error {
		quarantine = append(quarantine, Quarantined{File: e.File, Line: e.Line, Reason: e.Reason, Detail: e.Detail})
		res.Quarantined[e.Reason]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Read = len(convs) + len(quarantine)
	byStage := map[string][]record.Conversation{}
	for _, c := range convs {
		byStage[c.Stage] = append(byStage[c.Stage], c)
	}
	for _, stage := range opt.Stages {
		parts, err := split(byStage[stage], opt)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", stage, err)
		}
		res.Counts[stage] = map[string]int{}
		for i, name := range Splits {
			path := filepath.Join(outDir, stage, name+".jsonl")
			if err := artifact.WriteFile(path, func(w io.Writer) error { return record.Write(w, parts[i]) }); err != nil {
				return nil, err
			}
			res.Counts[stage][name] = len(parts[i])
			man.Counts[stage+"/"+name] = int64(len(parts[i]))
		}
	}
	if err := writeQuarantine(filepath.Join(outDir, "quarantine.jsonl"), quarantine); err != nil {
		return nil, err
	}
	man.Counts["read"] = int64(res.Read)
	for r, n := range res.Quarantined {
		man.Counts["quarantined/"+r] = int64(n)
	}
	man.Extra = map[string]any{"seed": opt.Seed, "val_fraction": opt.ValFraction, "test_fraction": opt.TestFraction, "corpus": opt.Corpus}
	return res, man.Write(outDir)
}

// split shuffles a stage's conversations with the seed (after sorting by id,
// so input order does not matter) and cuts val and test off the front.
func split(convs []record.Conversation, opt Options) ([3][]record.Conversation, error) {
	var out [3][]record.Conversation
	n := len(convs)
	nVal := int(math.Max(1, math.Round(float64(n)*opt.ValFraction)))
	nTest := int(math.Max(1, math.Round(float64(n)*opt.TestFraction)))
	if n < nVal+nTest+1 {
		return out, fmt.Errorf("%d conversations; need at least %d to hold out val and test (fix: add data or drop the stage from stages)", n, nVal+nTest+1)
	}
	sorted := append([]record.Conversation(nil), convs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5ba1d))
	rng.Shuffle(n, func(i, j int) { sorted[i], sorted[j] = sorted[j], sorted[i] })
	out[1], out[2], out[0] = sorted[:nVal], sorted[nVal:nVal+nTest], sorted[nVal+nTest:]
	for i := range out {
		sort.Slice(out[i], func(a, b int) bool { return out[i][a].ID < out[i][b].ID })
	}
	return out, nil
}

// load reads the embedded demo corpus or every *.jsonl under a path.
func load(src string, man *artifact.Manifest, bad func(*record.LineError) error) ([]record.Conversation, error) {
	if src == corpus.Embedded {
		convs, err := corpus.Demo()
		if err != nil {
			return nil, err
		}
		man.Inputs = append(man.Inputs, artifact.Input{Path: corpus.Embedded, Hash: corpusHash(convs)})
		return convs, nil
	}
	files, err := jsonlFiles(src)
	if err != nil {
		return nil, err
	}
	var convs []record.Conversation
	seen := map[string]string{}
	for _, f := range files {
		if err := man.AddInput(f); err != nil {
			return nil, err
		}
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		err = record.Read(fh, f, func(c record.Conversation) error {
			if prev, dup := seen[c.ID]; dup {
				// Read fills in the file and line and hands it to bad.
				return &record.LineError{Reason: "duplicate_id", Detail: fmt.Sprintf("id %q already read from %s", c.ID, prev)}
			}
			seen[c.ID] = f
			c.Seal()
			convs = append(convs, c)
			return nil
		}, bad)
		fh.Close()
		if err != nil {
			return nil, err
		}
	}
	return convs, nil
}

func jsonlFiles(src string) ([]string, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("data.corpus: %w (fix: point it at a canonical JSONL file or folder, or use %s)", err, corpus.Embedded)
	}
	if !st.IsDir() {
		return []string{src}, nil
	}
	var files []string
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".jsonl") {
			files = append(files, p)
		}
		return err
	})
	sort.Strings(files)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("data.corpus: no .jsonl files under %s", src)
	}
	return files, err
}

func corpusHash(convs []record.Conversation) string {
	var b strings.Builder
	for _, c := range convs {
		b.WriteString(c.ID + " " + c.ContentHash + "\n")
	}
	return artifact.HashBytes([]byte(b.String()))
}

func writeQuarantine(path string, q []Quarantined) error {
	return artifact.WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range q {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Load reads the counts of shards already built in outDir (from its
// manifest), so a resumed run reuses them instead of building again.
func Load(outDir string) (*Result, error) {
	var man artifact.Manifest
	b, err := os.ReadFile(filepath.Join(outDir, artifact.ManifestName))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(outDir, artifact.ManifestName), err)
	}
	res := &Result{Read: int(man.Counts["read"]), Quarantined: map[string]int{}, Counts: map[string]map[string]int{}}
	for k, n := range man.Counts {
		if r, ok := strings.CutPrefix(k, "quarantined/"); ok {
			res.Quarantined[r] = int(n)
		} else if stage, split, ok := strings.Cut(k, "/"); ok {
			if res.Counts[stage] == nil {
				res.Counts[stage] = map[string]int{}
			}
			res.Counts[stage][split] = int(n)
		}
	}
	return res, nil
}
