package scorers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A set is found by its key only when complete; `validate` (Validate of
// a keyless set) finds the one trained for its options, not whichever was
// trained last.
func TestByKeyAndTrainedFor(t *testing.T) {
	o := smallOptions(t)
	for key, want := range map[string]string{"": "not a set key", "../x": "not a set key", "0123456789abcdef": "missing or incomplete"} {
		if _, err := ByKey(o.Dir, key); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "fix:") {
			t.Errorf("key %q: %v", key, err)
		}
	}
	complete := func(key string) {
		t.Helper()
		set := Set{Dir: filepath.Join(o.Dir, key), Key: key}
		if err := os.MkdirAll(filepath.Dir(set.complete()), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(set.complete(), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	complete("0123456789abcdef")
	if set, err := ByKey(o.Dir, "0123456789abcdef"); err != nil || set.Key != "0123456789abcdef" {
		t.Errorf("complete set: %+v, %v", set, err)
	}
	// The latest set is another config's: validate does not take it.
	if err := markLatest(o.Dir, "0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err := Validate(ctx, o, Set{})
	if err == nil || !strings.Contains(err.Error(), "no scorer set trained for this config") || !strings.Contains(err.Error(), "pixel scorers train") {
		t.Fatalf("untrained config: %v", err)
	}
	tasks, _, err := buildTasks(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	key, err := setKey(o, tasks)
	if err != nil {
		t.Fatal(err)
	}
	complete(key)
	if set, err := trainedFor(o.Dir, key); err != nil || set.Key != key {
		t.Errorf("trained config: %+v, %v (want key %s)", set, err, key)
	}
}
