// Package pipeline is `pixel data build`: public sources in, the
// curriculum's stage shards out. Each source is loaded by its adapter,
// validated and repaired, scrubbed of PII (per source, in parallel, each
// source's result kept so a killed build resumes), then deduplicated across
// sources, split by conversation, and mixed to the plan's stage shares in
// training tokens.
package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"

	"pixel/internal/record"
	"pixel/internal/sources"
)

// Manifest is the training manifest (the plan's TRAINING_MANIFEST): which
// sources feed the curriculum, how they are routed and weighted.
type Manifest struct {
	Sources []ManifestSource `yaml:"sources" json:"sources"`
	// resolved holds each entry's Source: a registered dataset, or a
	// generic one built from the entry's format fields.
	resolved map[string]sources.Source
}

// ManifestSource is one source's entry.
type ManifestSource struct {
	Name string `yaml:"name" json:"name"`
	// Priority decides which copy of a duplicate is kept: lower wins.
	Priority int `yaml:"priority" json:"priority"`
	// Weight scales the source's sampling chance within a stage.
	Weight float64 `yaml:"weight" json:"weight"`
	// Stages, when set, keeps only records routed to these stages.
	Stages []string `yaml:"stages,omitempty" json:"stages,omitempty"`
	// Exclude drops records whose label has one of the listed values
	// (e.g. mi_quality: [low]); they are counted, and quarantined with
	// reason excluded_by_manifest.
	Exclude map[string][]string `yaml:"exclude,omitempty" json:"exclude,omitempty"`

	// A source of your own (not in the registry) names its format and file:
	// openai (also ShareGPT) or alpaca JSON/JSONL, or csv with columns.
	Format   string            `yaml:"format,omitempty" json:"format,omitempty"`
	Path     string            `yaml:"path,omitempty" json:"path,omitempty"`
	License  string            `yaml:"license,omitempty" json:"license,omitempty"`
	Stage    string            `yaml:"stage,omitempty" json:"stage,omitempty"`
	Persona  string            `yaml:"persona,omitempty" json:"persona,omitempty"`
	Language string            `yaml:"language,omitempty" json:"language,omitempty"`
	System   string            `yaml:"system,omitempty" json:"system,omitempty"`
	Columns  map[string]string `yaml:"columns,omitempty" json:"columns,omitempty"` // csv: user, assistant, system, id
}

// LoadManifest reads and checks a training manifest.
func LoadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("training manifest: %w (fix: set data.manifest, e.g. configs/manifests/public.yaml)", err)
	}
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	seen := map[string]bool{}
	m.resolved = map[string]sources.Source{}
	for i, s := range m.Sources {
		key := fmt.Sprintf("%s: sources.%d", path, i)
		src, err := resolve(s)
		m.resolved[s.Name] = src
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s.name: %w", key, err))
			continue
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("%s.name=%s: listed twice", key, s.Name))
		case !slices.Contains(src.Uses, sources.Train):
			errs = append(errs, fmt.Errorf("%s.name=%s: this source is for %v only, never for training (fix: remove it)", key, s.Name, src.Uses))
		}
		seen[s.Name] = true
		if s.Weight <= 0 {
			errs = append(errs, fmt.Errorf("%s.weight=%v: must be > 0, e.g. 1", key, s.Weight))
		}
		for _, st := range s.Stages {
			if !slices.Contains(record.Stages, st) {
				errs = append(errs, fmt.Errorf("%s.stages: %q is not one of %v", key, st, record.Stages))
			}
		}
	}
	if len(m.Sources) == 0 {
		errs = append(errs, fmt.Errorf("%s: no sources listed", path))
	}
	return &m, errors.Join(errs...)
}

// keeps applies the entry's stage routing and label excludes to a record.
func (s ManifestSource) keeps(c *record.Conversation) bool {
	if len(s.Stages) > 0 && !slices.Contains(s.Stages, c.Stage) {
		return false
	}
	for label, values := range s.Exclude {
		if slices.Contains(values, c.Labels[label]) {
			return false
		}
	}
	return true
}

// resolve finds a registered source, or builds a generic one.
func resolve(e ManifestSource) (sources.Source, error) {
	if e.Format == "" {
		return sources.Get(e.Name)
	}
	if e.Path == "" {
		return sources.Source{}, fmt.Errorf("format %s needs path: the file to read", e.Format)
	}
	meta := sources.GenericMeta{Name: e.Name, License: e.License, Stage: e.Stage, Persona: e.Persona, Language: e.Language, System: e.System}
	if meta.Language == "" {
		meta.Language = "en"
	}
	src := sources.Source{Name: e.Name, Title: e.Name + " (" + e.Format + ")", License: e.License, Language: meta.Language,
		Origin: e.Path, Files: []string{e.Path}, Stage: e.Stage, Uses: []sources.Use{sources.Train}}
	switch e.Format {
	case "openai", "sharegpt":
		src.Load = sources.OpenAIMessages(e.Path, meta)
	case "alpaca":
		src.Load = sources.Alpaca(e.Path, meta)
	case "csv", "tsv":
		cols := sources.CSVColumns{User: e.Columns["user"], Assistant: e.Columns["assistant"], System: e.Columns["system"], ID: e.Columns["id"]}
		if e.Format == "tsv" {
			cols.Sep = '\t'
		}
		src.Load = sources.CSV(e.Path, cols, meta)
	default:
		return src, fmt.Errorf("format %q: use openai, sharegpt, alpaca, csv or tsv", e.Format)
	}
	return src, nil
}
