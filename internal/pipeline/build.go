package pipeline

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"pixel/internal/artifact"
	"pixel/internal/clean"
	"pixel/internal/config"
	"pixel/internal/dedup"
	"pixel/internal/pii"
	"pixel/internal/record"
)

// Options are the inputs of a build.
type Options struct {
	Config *config.Config
	// Counter returns training tokens per record id for a JSONL file of
	// records (the worker's tokens job); nil uses data.mixing.counter=chars.
	Counter func(ctx context.Context, jsonl string) (map[string]int, error)
	Log     func(format string, a ...any)
}

// Result is what a build produced.
type Result struct {
	Sources []*SourceStats              `json:"sources"`
	Dedup   map[string]int              `json:"dedup"`  // exact / near duplicates removed
	Splits  map[string]map[string]int   `json:"splits"` // stage -> split -> conversations written
	Mixing  []StageMix                  `json:"mixing"`
	Funnel  map[string]map[string]int   `json:"funnel"` // source -> read/valid/scrubbed/unique/selected
	Tokens  map[string]map[string]int64 `json:"tokens"` // stage -> split -> tokens written
	License []LicenseRow                `json:"licenses"`
	Counter string                      `json:"token_counter"`
}

// meta is what the global steps keep per record: no text.
type meta struct {
	id, source, stage, group, split string
	sourceSplit                     string // the dataset's own split label, if any
	tokens                          int
	weight                          float64
}

// Build runs the whole data pipeline into outDir: outDir/work/ keeps each
// step's results (a re-run resumes from them), outDir/<stage>/<split>.jsonl
// are the shards, plus quarantine.jsonl, report.json, report.html, manifest.json.
func Build(ctx context.Context, opt Options, outDir string) (*Result, error) {
	cfg := opt.Config
	logf := opt.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	man, err := LoadManifest(cfg.Data.Manifest)
	if err != nil {
		return nil, err
	}
	root := cfg.DataRoot()
	workers := cfg.Data.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workDir := filepath.Join(outDir, "work")
	lim := clean.Limits{MinChars: cfg.Data.Limits.MinChars, MaxTurnChars: cfg.Data.Limits.MaxTurnChars, MaxTurns: cfg.Data.Limits.MaxTurns}
	scrub := pii.New()
	res := &Result{Dedup: map[string]int{}, Splits: map[string]map[string]int{}, Funnel: map[string]map[string]int{}, Tokens: map[string]map[string]int64{}, Counter: cfg.Data.Mixing.Counter}

	// 1. Per source: load, validate, repair, route, scrub (resumable).
	prio := map[string]ManifestSource{}
	for _, e := range man.Sources {
		src := man.resolved[e.Name]
		dir := filepath.Join(root, e.Name)
		if e.Format != "" {
			dir = filepath.Dir(e.Path)
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("source %s: %s not found (fix: run `pixel data fetch %s`, or set data.root / $PIXEL_DATA_ROOT)", e.Name, dir, e.Name)
		}
		stamp := stampOf(e, cfg.Data.Limits)
		st, err := prepareSource(ctx, src, e, dir, workDir, lim, scrub, workers, stamp)
		if err != nil {
			return nil, err
		}
		logf("  %-24s read %7d  valid %7d  rejected %5d  invalid %5d  excluded %5d  pii %5d", e.Name, st.Read, st.Valid, sum(st.Rejected), sum(st.Invalid), st.Excluded, sum(st.PII))
		res.Sources = append(res.Sources, st)
		res.License = append(res.License, licenseRow(src))
		prio[e.Name] = e
	}

	// 2. Across sources: exact and near duplicates; the preferred source
	// keeps its copy. Judged per conversation group (a source record and what
	// was derived from it), so a derived variant is never a duplicate of its
	// own source, and a dropped conversation takes its variants with it.
	// The resolver keeps MinHash signatures, not texts, so memory stays small.
	var metas []meta
	rep := map[string]string{} // group -> the record that represents it
	resolver := dedup.NewResolver(cfg.Data.Dedup.Threshold, uint64(cfg.Run.Seed))
	err = eachRecord(workDir, man, func(c *record.Conversation) error {
		g := groupOf(c)
		if _, ok := rep[g]; !ok {
			rep[g] = c.ID
			resolver.Add(c.ID, prio[c.Source].Priority, dedup.Normalize(*c))
		}
		metas = append(metas, meta{id: c.ID, source: c.Source, stage: c.Stage, group: g, sourceSplit: c.Labels["split"],
			weight: prio[c.Source].Weight, tokens: contentLen(c) / 4})
		return nil
	})
	if err != nil {
		return nil, err
	}
	keepRep, repDups := resolver.Resolve()
	resolver = nil
	dupOf := map[string]dedup.Dup{}
	for _, d := range repDups {
		dupOf[d.ID] = d
		res.Dedup[d.Kind]++
	}
	keep := map[string]bool{}
	var dups []dedup.Dup
	for _, m := range metas {
		r := rep[m.group]
		if keepRep[r] {
			keep[m.id] = true
		} else if d, ok := dupOf[r]; ok {
			dups = append(dups, dedup.Dup{ID: m.id, Of: d.Of, Kind: d.Kind})
		}
	}
	logf("  dedup: %d exact and %d near duplicate conversations removed (%d records with their variants)", res.Dedup["exact"], res.Dedup["near"], len(dups))

	// 3. Split by conversation group, so derived variants share a split.
	byID := map[string]*meta{}
	kept := metas[:0]
	for _, m := range metas {
		if keep[m.id] {
			m.split = splitOf(m.group, m.sourceSplit, uint64(cfg.Run.Seed), cfg.Data.ValFraction, cfg.Data.TestFraction)
			kept = append(kept, m)
		}
	}
	metas = kept
	for i := range metas {
		byID[metas[i].id] = &metas[i]
	}

	// 4. Training tokens in the base model's format, then the stage mix.
	if opt.Counter != nil && cfg.Data.Mixing.Counter == "tokenizer" {
		cand := filepath.Join(workDir, "candidates.jsonl")
		if err := writeCandidates(workDir, man, keep, cand); err != nil {
			return nil, err
		}
		counts, err := opt.Counter(ctx, cand)
		if err != nil {
			return nil, fmt.Errorf("count tokens: %w", err)
		}
		for id, n := range counts {
			if m := byID[id]; m != nil {
				m.tokens = n
			}
		}
	} else {
		res.Counter = "chars"
	}
	copies, mix := Mix(metas, cfg.Stages, cfg.Data.Mixing, uint64(cfg.Run.Seed))
	res.Mixing = mix

	// 5. Shards, quarantine, report, manifest.
	if err := writeShards(workDir, outDir, man, byID, copies, dups, res); err != nil {
		return nil, err
	}
	if err := writeReport(outDir, res, cfg); err != nil {
		return nil, err
	}
	mf := artifact.NewManifest("shards")
	mf.Extra = map[string]any{"corpus": "sources", "training_manifest": man, "seed": cfg.Run.Seed, "token_counter": res.Counter}
	if err := mf.AddInput(cfg.Data.Manifest); err != nil {
		return nil, err
	}
	for _, e := range man.Sources {
		h, err := artifact.HashFile(filepath.Join(workDir, e.Name, "records.jsonl"))
		if err != nil {
			return nil, err
		}
		mf.Inputs = append(mf.Inputs, artifact.Input{Path: "work/" + e.Name + "/records.jsonl", Hash: h})
	}
	for stage, splits := range res.Splits {
		for split, n := range splits {
			mf.Counts[stage+"/"+split] = int64(n)
		}
	}
	return res, mf.Write(outDir)
}

// eachRecord streams the prepared records of every manifest source, in manifest order.
func eachRecord(workDir string, man *Manifest, fn func(*record.Conversation) error) error {
	for _, e := range man.Sources {
		path := filepath.Join(workDir, e.Name, "records.jsonl")
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = record.Read(f, path, func(c record.Conversation) error { return fn(&c) }, nil)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// groupOf is the conversation a record comes from: the first provenance step.
func groupOf(c *record.Conversation) string {
	p := c.Provenance[0]
	return p.Source + ":" + p.ID
}

// splitOf assigns a group to val, test or train. A dataset's own test items
// stay in test (so a public benchmark is never trained on); everything else
// is split by a seeded hash of the group, so the split of a conversation
// never depends on what else is in the build.
func splitOf(group, sourceSplit string, seed uint64, val, test float64) string {
	if sourceSplit == "test" {
		return "test"
	}
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, seed)
	io.WriteString(h, group)
	u := float64(binary.LittleEndian.Uint64(h.Sum(nil)[:8])>>11) / float64(1<<53)
	switch {
	case u < val:
		return "val"
	case u < val+test:
		return "test"
	}
	return "train"
}

// contentLen is the bytes of text in a conversation: bytes / 4 is the token
// estimate of data.mixing.counter: chars.
func contentLen(c *record.Conversation) int {
	n := 0
	for _, m := range c.Messages {
		n += len(m.Content)
	}
	return n
}

func writeCandidates(workDir string, man *Manifest, keep map[string]bool, path string) error {
	return artifact.WriteFile(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		err := eachRecord(workDir, man, func(c *record.Conversation) error {
			if !keep[c.ID] {
				return nil
			}
			b, err := record.Marshal(c)
			if err != nil {
				return err
			}
			bw.Write(b)
			return bw.WriteByte('\n')
		})
		if err != nil {
			return err
		}
		return bw.Flush()
	})
}

// stampOf is what a source's prepared records depend on: its manifest
// entry, the limits and the code version.
func stampOf(e ManifestSource, dl config.DataLimits) string {
	b, _ := json.Marshal(struct {
		E ManifestSource
		L config.DataLimits
		V string
	}{e, dl, artifact.CodeVersion()})
	return artifact.HashBytes(b)
}
