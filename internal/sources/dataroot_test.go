package sources

import (
	"context"
	"testing"

	"pixel/internal/record"
)

// loadAll runs a source's adapter and gathers what it emits and rejects.
func loadAll(t *testing.T, src Source, dir string) ([]record.Conversation, []Rejected) {
	t.Helper()
	var recs []record.Conversation
	var rejects []Rejected
	err := src.Load(context.Background(), dir,
		func(c record.Conversation) error { recs = append(recs, c); return nil },
		func(r Rejected) error { rejects = append(rejects, r); return nil })
	if err != nil {
		t.Fatalf("%s: load %s: %v", src.Name, dir, err)
	}
	return recs, rejects
}
