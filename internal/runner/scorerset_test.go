package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixel/internal/config"
)

// Run reports score with the set eval.scorer_set names, else the latest;
// a named set that is missing is an error that names the setting.
func TestScorerSetChoice(t *testing.T) {
	cfg, err := config.Load("", []string{"scorers.dir=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dir := cfg.Scorers.Dir
	if _, _, err := scorerSet(cfg, nil); err == nil || !strings.Contains(err.Error(), "eval.scorers") || !strings.Contains(err.Error(), "no trained scorers") {
		t.Errorf("nothing trained: %v", err)
	}
	for _, key := range []string{"0123456789abcdef", "fedcba9876543210"} { // as `pixel scorers train` leaves them
		if err := os.MkdirAll(filepath.Join(dir, key, "heads"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, key, "heads", ".complete"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "latest"), []byte("fedcba9876543210\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, set, err := scorerSet(cfg, nil); err != nil || set.Key != "fedcba9876543210" {
		t.Errorf("latest: %+v, %v", set, err)
	}
	cfg.Eval.ScorerSet = "0123456789abcdef"
	if _, set, err := scorerSet(cfg, nil); err != nil || set.Key != "0123456789abcdef" {
		t.Errorf("named: %+v, %v", set, err)
	}
	cfg.Eval.ScorerSet = "00000000deadbeef"
	if _, _, err := scorerSet(cfg, nil); err == nil || !strings.Contains(err.Error(), "eval.scorer_set") || !strings.Contains(err.Error(), "fix:") {
		t.Errorf("missing named set: %v", err)
	}
}
