package pipeline

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"

	"pixel/internal/artifact"
	"pixel/internal/dedup"
	"pixel/internal/record"
	"pixel/internal/sources"
)

// LicenseRow is one source's license as the data report shows it.
type LicenseRow struct {
	Source        string `json:"source"`
	License       string `json:"license"`
	NonCommercial bool   `json:"non_commercial"`
	ShareAlike    bool   `json:"share_alike"`
	Attribution   string `json:"attribution"`
	Origin        string `json:"origin"`
}

func licenseRow(s sources.Source) LicenseRow {
	return LicenseRow{Source: s.Name, License: s.License, NonCommercial: s.NonCommercial, ShareAlike: s.ShareAlike, Attribution: s.Attribution, Origin: s.Origin}
}

// writeShards streams the prepared records once more and writes each kept
// record to its stage and split (train records as many times as the mix
// chose), then the quarantine file: every source's rejects plus the
// duplicates, so no record disappears without a line saying why.
func writeShards(workDir, outDir string, man *Manifest, byID map[string]*meta, copies map[string]int, dups []dedup.Dup, res *Result) error {
	writers := map[string]*writer{}
	defer func() {
		for _, w := range writers {
			w.abort()
		}
	}()
	selected := map[string]int{}
	unique := map[string]int{}
	err := eachRecord(workDir, man, func(c *record.Conversation) error {
		m := byID[c.ID]
		if m == nil {
			return nil // a duplicate: listed in the quarantine below
		}
		unique[c.Source]++
		n := 1
		if m.split == "train" {
			n = copies[c.ID]
		}
		if n == 0 {
			return nil
		}
		selected[c.Source]++
		key := c.Stage + "/" + m.split
		w := writers[key]
		if w == nil {
			var err error
			if w, err = newWriter(filepath.Join(outDir, c.Stage, m.split+".jsonl")); err != nil {
				return err
			}
			writers[key] = w
		}
		if res.Splits[c.Stage] == nil {
			res.Splits[c.Stage], res.Tokens[c.Stage] = map[string]int{}, map[string]int64{}
		}
		for i := 0; i < n; i++ {
			if err := w.record(c); err != nil {
				return err
			}
			res.Splits[c.Stage][m.split]++
			res.Tokens[c.Stage][m.split] += int64(m.tokens)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Every stage of the curriculum gets all three files, even if empty.
	for _, stage := range record.Stages {
		for _, split := range []string{"train", "val", "test"} {
			if writers[stage+"/"+split] == nil && res.Splits[stage] != nil {
				w, err := newWriter(filepath.Join(outDir, stage, split+".jsonl"))
				if err != nil {
					return err
				}
				writers[stage+"/"+split] = w
			}
		}
	}
	for _, w := range writers {
		if err := w.commit(); err != nil {
			return err
		}
	}
	for _, st := range res.Sources {
		res.Funnel[st.Source] = map[string]int{"read": st.Read, "valid": st.Valid, "scrubbed": st.Valid, "with_pii": st.Scrubbed, "unique": unique[st.Source], "selected": selected[st.Source]}
	}
	return artifact.WriteFile(filepath.Join(outDir, "quarantine.jsonl"), func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		for _, e := range man.Sources {
			f, err := os.Open(filepath.Join(workDir, e.Name, "quarantine.jsonl"))
			if err != nil {
				return err
			}
			_, err = io.Copy(bw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		for _, d := range dups {
			b, _ := jsonLine(quarantineLine{Source: sourceOf(d.ID), ID: d.ID, Stage: "dedup", Reason: dupReason(d.Kind), Detail: "duplicate of " + d.Of})
			bw.Write(b)
		}
		return bw.Flush()
	})
}

func sourceOf(id string) string {
	for _, name := range sources.Names() {
		if len(id) > len(name) && id[:len(name)+1] == name+"-" {
			return name
		}
	}
	return ""
}

func dupReason(kind string) string {
	if strings.HasPrefix(kind, "duplicate") {
		return kind
	}
	return "duplicate_" + kind
}
