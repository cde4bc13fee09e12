package sources

import (
	"os"
	"path/filepath"
	"pixel/internal/datatest"
	"strings"
	"testing"

	"pixel/internal/record"
)

// personaDataRoot is the folder holding the dataset folders: PIXEL_DATA_ROOT,
// or ../shared/data next to the project.
func personaDataRoot(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(datatest.Root(t), name)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("dataset folder %s is missing (%v); run `pixel data fetch %s`", dir, err, name)
	}
	return dir
}

// personaLoad runs a source's loader and collects what it emits and rejects.
func personaLoad(t *testing.T, src Source, dir string) ([]record.Conversation, []Rejected) {
	return loadAll(t, src, dir)
}

// personaCheck asserts what every adapter owes: valid records with unique
// ids and their source's metadata, provenance that starts at the source
// record (derived records add a step), rejects with file, line and reason.
func personaCheck(t *testing.T, src Source, recs []record.Conversation, rejects []Rejected) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range recs {
		if bad := c.Validate(); bad != nil {
			t.Errorf("%s: invalid: %v", c.ID, bad)
		}
		if seen[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		seen[c.ID] = true
		if c.Source != src.Name || c.License != src.License || c.Language != src.Language || !strings.HasPrefix(c.ID, src.Name+"-") {
			t.Errorf("%s: metadata %q %q %q does not match source %s", c.ID, c.Source, c.License, c.Language, src.Name)
		}
		first := c.Provenance[0]
		if first.Source != src.Name || first.Step != "imported" || !strings.HasPrefix(c.ID, src.Name+"-"+first.ID) {
			t.Errorf("%s: provenance does not start at its source record: %+v", c.ID, c.Provenance)
		}
		if c.Persona == "client" {
			if len(c.Provenance) < 2 || c.Provenance[len(c.Provenance)-1].Step != personaRolePlayStep {
				t.Errorf("%s: client record without a role-swap step: %+v", c.ID, c.Provenance)
			}
			if !strings.Contains(c.Messages[0].Content, "role-playing") {
				t.Errorf("%s: client system prompt does not say the assistant role-plays the client", c.ID)
			}
		}
		for k, v := range c.Labels {
			if v == "" {
				t.Errorf("%s: empty label %s", c.ID, k)
			}
		}
	}
	for _, r := range rejects {
		if r.File == "" || r.Line < 1 || r.Reason == "" || r.Detail == "" {
			t.Errorf("reject lacks file, line, reason or detail: %+v", r)
		}
	}
	if src.Title == "" || src.License == "" || src.Attribution == "" || src.Origin == "" || len(src.Files) == 0 ||
		src.Stage == "" || len(src.Uses) == 0 || src.Load == nil {
		t.Errorf("%s: source metadata incomplete: %+v", src.Name, src)
	}
}

// personaCount counts records by "stage/persona" and rejects by reason.
func personaCount(recs []record.Conversation, rejects []Rejected) (map[string]int, map[string]int) {
	kinds, reasons := map[string]int{}, map[string]int{}
	for _, c := range recs {
		kinds[c.Stage+"/"+c.Persona]++
	}
	for _, r := range rejects {
		reasons[r.Reason]++
	}
	return kinds, reasons
}

// personaWrite writes a fixture file under dir.
func personaWrite(t *testing.T, dir, name, text string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// personaHasReject reports whether rejects hold reason at line of file.
func personaHasReject(rejects []Rejected, file string, line int, reason string) bool {
	for _, r := range rejects {
		if strings.HasSuffix(r.File, file) && r.Line == line && r.Reason == reason {
			return true
		}
	}
	return false
}
