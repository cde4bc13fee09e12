package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"pixel/internal/artifact"
	"pixel/internal/clean"
	"pixel/internal/pii"
	"pixel/internal/record"
	"pixel/internal/sources"
)

// SourceStats is the funnel of one source through the per-source steps.
type SourceStats struct {
	Source      string         `json:"source"`
	Read        int            `json:"read"`         // rows the adapter saw (records + rejected rows)
	Rejected    map[string]int `json:"rejected"`     // by the adapter, by reason
	Invalid     map[string]int `json:"invalid"`      // by validation, by reason
	Excluded    int            `json:"excluded"`     // by the manifest's routing and excludes
	Repaired    int            `json:"repaired"`     // records whose text was repaired (mojibake, controls)
	Valid       int            `json:"valid"`        // written to records.jsonl
	PII         map[string]int `json:"pii"`          // placeholders inserted, by type
	Scrubbed    int            `json:"scrubbed"`     // records with at least one placeholder
	ConfigStamp string         `json:"config_stamp"` // what the step ran with; a resume redoes the source if it changed
}

// quarantineLine is one entry of a quarantine file: where and why, never text.
type quarantineLine struct {
	Source string `json:"source"`
	ID     string `json:"id,omitempty"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Stage  string `json:"step"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// item is a record moving through the per-source workers, with its place in
// the input so the output keeps the adapter's order.
type item struct {
	seq    int
	conv   record.Conversation
	reason string // "" = keep
	detail string
	fixed  bool
	pii    map[string]int
}

// prepareSource runs one source's adapter, validation, repair and PII
// scrubbing, writing work/<source>/{records.jsonl,quarantine.jsonl,stats.json}
// and a .done marker last. A source whose marker and stamp match is skipped.
func prepareSource(ctx context.Context, src sources.Source, entry ManifestSource, dir, workDir string, lim clean.Limits, scrub *pii.Scrubber, workers int, stamp string) (*SourceStats, error) {
	out := filepath.Join(workDir, src.Name)
	if st, err := readStats(out); err == nil && st.ConfigStamp == stamp {
		if _, err := os.Stat(filepath.Join(out, ".done")); err == nil {
			return st, nil
		}
	}
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	st := &SourceStats{Source: src.Name, Rejected: map[string]int{}, Invalid: map[string]int{}, PII: map[string]int{}, ConfigStamp: stamp}
	recs, err := newWriter(filepath.Join(out, "records.jsonl"))
	if err != nil {
		return nil, err
	}
	defer recs.abort()
	quar, err := newWriter(filepath.Join(out, "quarantine.jsonl"))
	if err != nil {
		return nil, err
	}
	defer quar.abort()

	in := make(chan item, 256)
	done := make(chan item, 256)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range in {
				process(&it, entry, lim, scrub)
				done <- it
			}
		}()
	}
	// The writer restores input order so the output is the same for any
	// number of workers.
	writeErr := make(chan error, 1)
	go func() {
		pending, next := map[int]item{}, 0
		var err error
		for it := range done {
			pending[it.seq] = it
			for {
				cur, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				if err == nil {
					err = st.record(cur, recs, quar)
				}
			}
		}
		writeErr <- err
	}()

	seq := 0
	loadErr := src.Load(ctx, dir, func(c record.Conversation) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		in <- item{seq: seq, conv: c}
		seq++
		return nil
	}, func(r sources.Rejected) error {
		st.Rejected[r.Reason]++
		return quar.json(quarantineLine{Source: src.Name, File: r.File, Line: r.Line, Stage: "load", Reason: r.Reason, Detail: r.Detail})
	})
	close(in)
	wg.Wait()
	close(done)
	if err := <-writeErr; err != nil {
		return nil, err
	}
	if loadErr != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, loadErr)
	}
	st.Read = seq + sum(st.Rejected)
	if err := recs.commit(); err != nil {
		return nil, err
	}
	if err := quar.commit(); err != nil {
		return nil, err
	}
	if err := artifact.WriteJSON(filepath.Join(out, "stats.json"), st); err != nil {
		return nil, err
	}
	return st, artifact.WriteBytes(filepath.Join(out, ".done"), []byte(stamp+"\n"))
}

// process validates, repairs and scrubs one record in place.
func process(it *item, entry ManifestSource, lim clean.Limits, scrub *pii.Scrubber) {
	c := &it.conv
	if inv := c.Validate(); inv != nil {
		it.reason, it.detail = inv.Reason, inv.Detail
		return
	}
	if reason, fixed := clean.Check(c, lim); reason != "" {
		it.reason, it.fixed = reason, fixed
		return
	} else {
		it.fixed = fixed
	}
	if !entry.keeps(c) {
		it.reason = "excluded_by_manifest"
		return
	}
	it.pii = map[string]int{}
	for i := range c.Messages {
		text, counts := scrub.Scrub(c.Messages[i].Content)
		c.Messages[i].Content = text
		for k, n := range counts {
			it.pii[k] += n
		}
	}
	c.Seal()
}

func (st *SourceStats) record(it item, recs, quar *writer) error {
	if it.fixed {
		st.Repaired++
	}
	switch it.reason {
	case "":
		st.Valid++
		if len(it.pii) > 0 {
			st.Scrubbed++
		}
		for k, n := range it.pii {
			st.PII[k] += n
		}
		return recs.record(&it.conv)
	case "excluded_by_manifest":
		st.Excluded++
	default:
		st.Invalid[it.reason]++
	}
	return quar.json(quarantineLine{Source: it.conv.Source, ID: it.conv.ID, Stage: "validate", Reason: it.reason, Detail: it.detail})
}

func readStats(dir string) (*SourceStats, error) {
	b, err := os.ReadFile(filepath.Join(dir, "stats.json"))
	if err != nil {
		return nil, err
	}
	var st SourceStats
	return &st, json.Unmarshal(b, &st)
}

// writer is a JSONL file written under a temporary name and renamed into
// place only by commit, so a crash never leaves half a file.
type writer struct {
	path string
	f    *os.File
	w    *bufio.Writer
	mu   sync.Mutex // a source's quarantine is written by its loader and its workers
}

func newWriter(path string) (*writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &writer{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (w *writer) record(c *record.Conversation) error {
	b, err := record.Marshal(c)
	if err != nil {
		return err
	}
	return w.line(b)
}

func (w *writer) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.line(b)
}

// line appends one JSONL line; safe from several goroutines.
func (w *writer) line(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.w.Write(b)
	return w.w.WriteByte('\n')
}

func (w *writer) commit() error {
	if w.f == nil {
		return nil
	}
	if err := w.w.Flush(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	tmp := w.f.Name()
	w.f = nil
	return os.Rename(tmp, w.path)
}

// abort drops an uncommitted file.
func (w *writer) abort() {
	if w.f != nil {
		w.f.Close()
		os.Remove(w.f.Name())
		w.f = nil
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
