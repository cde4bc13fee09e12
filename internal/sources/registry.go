// Package sources turns each public dataset (and generic formats) into
// canonical conversations. A source is only an adapter: it reads files under
// its folder and emits records; validation, scrubbing, dedup and mixing
// happen downstream in internal/pipeline.
package sources

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"pixel/internal/record"
)

// Use says what a source is for.
type Use string

const (
	Train  Use = "train"  // conversations (and derived records) for the curriculum
	Eval   Use = "eval"   // prompts or items for evaluation only, never trained on
	Scorer Use = "scorer" // human labels for the scorers only
)

// Source is one registry entry: provenance and license facts plus the adapter.
type Source struct {
	Name          string
	Title         string
	License       string // SPDX-like id or a short description
	NonCommercial bool
	ShareAlike    bool
	Attribution   string // who to credit, with the paper or repository
	Language      string
	Origin        string   // public origin: repository at a commit, or hub id
	Files         []string // files under the source's folder the adapter reads (also what `pixel data fetch` downloads)
	// Remote maps a file of Files to its path in the origin repository when
	// the two differ (see fetch.go).
	Remote map[string]string
	Stage  string // default stage of its training records
	Uses   []Use
	// Load reads dir (the source's folder) and emits records. A row it
	// cannot turn into a record goes to reject with file, line and reason;
	// it never stops the load. Errors are for unreadable files only.
	Load Loader
}

// Loader is an adapter.
type Loader func(ctx context.Context, dir string, emit Emit, reject Reject) error

// Emit receives one canonical record. Adapters fill every metadata field:
// id (prefixed with the source name), source, license, language, stage,
// persona, provenance (first step "imported"; derived records add a step
// such as "derived:cot"), labels, messages. content_hash is left empty.
type Emit func(record.Conversation) error

// Reject receives a row that could not become a record. Detail never
// quotes the row's text.
type Reject func(Rejected) error

// Rejected is a row an adapter could not use.
type Rejected struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Get returns the named source.
func Get(name string) (Source, error) {
	s, ok := registry[name]
	if !ok {
		return s, fmt.Errorf("unknown source %q (fix: one of %s, see `pixel data sources`)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Names lists every registered source, sorted.
func Names() []string {
	var out []string
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All returns every source, sorted by name.
func All() []Source {
	var out []Source
	for _, n := range Names() {
		out = append(out, registry[n])
	}
	return out
}

// bind sets s.Load to load called with s itself, so an adapter can stamp
// its records with its own metadata (s.Meta) without the initialization
// cycle a Load referring to its own Source variable would create.
func bind(s Source, load func(s Source, ctx context.Context, dir string, emit Emit, reject Reject) error) Source {
	s.Load = func(ctx context.Context, dir string, emit Emit, reject Reject) error {
		return load(s, ctx, dir, emit, reject)
	}
	return s
}

// Meta fills the metadata an adapter shares across its records.
func (s Source) Meta(id, stage, persona string, labels map[string]string, msgs []record.Message) record.Conversation {
	return record.Conversation{
		ID: s.Name + "-" + id, Source: s.Name, License: s.License, Language: s.Language, Stage: stage, Persona: persona,
		Provenance: []record.Step{{Source: s.Name, ID: id, Step: "imported"}}, Labels: labels, Messages: msgs,
	}
}

// Derive makes a record derived from src: a new id and stage, the
// provenance chain extended with step (e.g. "derived:cot").
func Derive(src record.Conversation, suffix, stage, persona, step string, labels map[string]string, msgs []record.Message) record.Conversation {
	prov := append(append([]record.Step(nil), src.Provenance...), record.Step{Source: "pixel", ID: src.ID + "-" + suffix, Step: step})
	return record.Conversation{
		ID: src.ID + "-" + suffix, Source: src.Source, License: src.License, Language: src.Language, Stage: stage, Persona: persona,
		Provenance: prov, Labels: labels, Messages: msgs,
	}
}
