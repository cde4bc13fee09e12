package artifact

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"
)

// ManifestName is the file every output folder carries.
const ManifestName = "manifest.json"

// Input is one file an output was made from.
type Input struct {
	Path string `json:"path"`
	Hash string `json:"hash"`
}

// Manifest says what went into a folder and what is in it.
type Manifest struct {
	Kind        string           `json:"kind"` // shards | checkpoint | eval | run ...
	Created     string           `json:"created"`
	CodeVersion string           `json:"code_version"`
	ConfigHash  string           `json:"config_hash,omitempty"`
	Inputs      []Input          `json:"inputs"`
	Outputs     []Input          `json:"outputs"`
	Counts      map[string]int64 `json:"counts,omitempty"`
	Extra       map[string]any   `json:"extra,omitempty"`
}

// NewManifest starts a manifest of the given kind, stamped with the time and
// the code version.
func NewManifest(kind string) *Manifest {
	return &Manifest{Kind: kind, Created: time.Now().UTC().Format(time.RFC3339), CodeVersion: CodeVersion(), Inputs: []Input{}, Outputs: []Input{}, Counts: map[string]int64{}}
}

// AddInput records a file the output was made from, with its hash.
func (m *Manifest) AddInput(path string) error {
	h, err := HashFile(path)
	if err != nil {
		return err
	}
	m.Inputs = append(m.Inputs, Input{Path: path, Hash: h})
	return nil
}

// Write hashes every file under dir (but the manifest) as outputs and writes
// dir/manifest.json atomically.
func (m *Manifest) Write(dir string) error {
	m.Outputs = m.Outputs[:0]
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == filepath.Join(dir, ManifestName) {
			return err
		}
		h, err := HashFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m.Outputs = append(m.Outputs, Input{Path: rel, Hash: h})
		return nil
	})
	if err != nil {
		return fmt.Errorf("manifest of %s: %w", dir, err)
	}
	sort.Slice(m.Outputs, func(i, j int) bool { return m.Outputs[i].Path < m.Outputs[j].Path })
	return WriteJSON(filepath.Join(dir, ManifestName), m)
}

// CodeVersion is the module version and VCS revision the binary was built
// from ("devel" when unknown).
func CodeVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	rev, dirty := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return bi.Main.Version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return rev + dirty
}
