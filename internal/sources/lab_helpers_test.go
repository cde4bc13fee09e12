package sources

import (
	"os"
	"path/filepath"
	"pixel/internal/datatest"
	"slices"
	"strings"
	"testing"

	"pixel/internal/record"
)

// labSources are the lab group's adapters.
var labSources = []Source{
	mentalllamaImhiSource, camsSource, irfSource, dreadditSource, sadSource, cognitiveReframingSource,
	mmluPsychSource, mhExamMcSource, mentalchat16kEvalqSource, psych8kCounsellingBenchSource,
	holisticbiasSource, bbqSource,
}

// labDataRoot is the folder holding the dataset folders: $PIXEL_DATA_ROOT,
// else ../shared/data next to the repository.
func labDataRoot(t *testing.T) string { return datatest.Root(t) }

// labDataDir is one source's dataset folder.
func labDataDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(labDataRoot(t), name)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("dataset folder %s not found: set PIXEL_DATA_ROOT to the folder holding %s/", dir, name)
	}
	return dir
}

// labLoad runs a source's Load and collects what it emits and rejects.
func labLoad(t *testing.T, s Source, dir string) ([]record.Conversation, []Rejected) {
	return loadAll(t, s, dir)
}

// labCheckRecords checks what every emitted record must satisfy: valid,
// unique id prefixed with the source, metadata from the source, and for
// derived records a provenance chain starting at the imported row.
func labCheckRecords(t *testing.T, s Source, recs []record.Conversation) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range recs {
		if inv := r.Validate(); inv != nil {
			t.Fatalf("%s: invalid record: %v", r.ID, inv)
		}
		if seen[r.ID] {
			t.Fatalf("duplicate id %s", r.ID)
		}
		seen[r.ID] = true
		if !strings.HasPrefix(r.ID, s.Name+"-") || r.Source != s.Name || r.License != s.License || r.Language != s.Language {
			t.Fatalf("%s: metadata not from the source: %+v", r.ID, r)
		}
		if p := r.Provenance; len(p) < 2 || p[0].Step != "imported" || p[0].Source != s.Name || !strings.HasPrefix(r.ID, s.Name+"-"+p[0].ID) ||
			!strings.HasPrefix(p[len(p)-1].Step, "derived:") || p[len(p)-1].ID != r.ID {
			t.Fatalf("%s: provenance %+v does not chain from the imported row", r.ID, p)
		}
		if r.Stage != "expertise" || r.Persona != "therapist" {
			t.Fatalf("%s: stage %s persona %s", r.ID, r.Stage, r.Persona)
		}
		last := r.Messages[len(r.Messages)-1].Content
		if r.Messages[0].Role != "system" || !strings.Contains(r.Messages[0].Content, "<reasoning></reasoning>") ||
			!strings.HasPrefix(last, "<reasoning>\n") || !strings.Contains(last, "\n</reasoning>\n") {
			t.Fatalf("%s: not a stage-2 chain-of-thought record: %q", r.ID, last)
		}
	}
}

// labReasons counts rejects by reason, checking each names file and line.
func labReasons(t *testing.T, rejects []Rejected) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range rejects {
		if r.File == "" || r.Line <= 0 || r.Reason == "" {
			t.Fatalf("reject without file, line or reason: %+v", r)
		}
		out[r.Reason]++
	}
	return out
}

// labWrite writes files (path -> content) under a temporary folder.
func labWrite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// labFindReject returns the reject with the reason, failing if absent.
func labFindReject(t *testing.T, rejects []Rejected, reason string) Rejected {
	t.Helper()
	for _, r := range rejects {
		if r.Reason == reason {
			return r
		}
	}
	t.Fatalf("no %s reject among %+v", reason, rejects)
	return Rejected{}
}

func TestLabSourcesMetadata(t *testing.T) {
	root := labDataRoot(t)
	for _, s := range labSources {
		t.Run(s.Name, func(t *testing.T) {
			switch {
			case s.Title == "" || s.License == "" || s.Attribution == "" || s.Language == "" || s.Origin == "":
				t.Fatalf("metadata missing: %+v", s)
			case !slices.Contains(record.Stages, s.Stage):
				t.Fatalf("stage %q", s.Stage)
			case len(s.Uses) == 0 || s.Load == nil || len(s.Files) == 0:
				t.Fatalf("uses %v, load set %v, files %v", s.Uses, s.Load != nil, s.Files)
			case !strings.HasPrefix(s.Origin, "github.com/"):
				t.Fatalf("origin %q", s.Origin)
			}
			if (slices.Contains(s.Uses, Eval) || slices.Contains(s.Uses, Scorer)) && slices.Contains(s.Uses, Train) {
				t.Fatalf("uses %v: an eval or scorer source is never trained on", s.Uses)
			}
			for _, f := range s.Files {
				if _, err := os.Stat(filepath.Join(root, s.Name, f)); err != nil {
					t.Errorf("file %s of Files: %v", f, err)
				}
			}
			for f := range s.Remote {
				if !slices.Contains(s.Files, f) {
					t.Errorf("Remote names %s, which is not in Files", f)
				}
			}
		})
	}
}

// TestLabNoLoadSources checks that scorer and evaluation sources emit no
// training records.
func TestLabNoLoadSources(t *testing.T) {
	for _, s := range []Source{camsSource, irfSource, dreadditSource, sadSource, mentalchat16kEvalqSource,
		psych8kCounsellingBenchSource, holisticbiasSource, bbqSource} {
		recs, rejects := labLoad(t, s, t.TempDir())
		if len(recs)+len(rejects) != 0 || slices.Contains(s.Uses, Train) {
			t.Errorf("%s: emitted %d records, %d rejects, uses %v", s.Name, len(recs), len(rejects), s.Uses)
		}
	}
}

func TestLabSnake(t *testing.T) {
	for in, want := range map[string]string{
		"Health, Fatigue, or Physical Pain": "health_fatigue_or_physical_pain", "SD_severity": "sd_severity", "Votes": "votes",
	} {
		if got := labSnake(in); got != want {
			t.Errorf("labSnake(%q) = %q, want %q", in, got, want)
		}
	}
}
