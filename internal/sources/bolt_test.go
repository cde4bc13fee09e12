package sources

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestBoltRealData(t *testing.T) {
	recs, rejs := convLoad(t, boltSource, filepath.Join(convDataRoot(t), "bolt"))
	convCheck(t, boltSource, recs, rejs)
	if !slices.Equal(boltSource.Uses, []Use{Scorer}) {
		t.Errorf("bolt uses %v, want scorer only", boltSource.Uses)
	}
	_, byReason := convCount(recs, rejs)
	// DATASETS.md: therapist 372/97 utterances, client 88/27. None is a
	// user -> assistant pair, so every row is rejected and none emitted.
	if len(recs) != 0 {
		t.Errorf("bolt emitted %d records, want none", len(recs))
	}
	convWant(t, "rejects", byReason, map[string]int{"single_utterance": 372 + 97 + 88 + 27})
}

func TestBoltMalformed(t *testing.T) {
	dir := t.TempDir()
	for _, f := range boltSource.Files {
		convWrite(t, dir, f, "prompt,completion\nhow does that feel?,Questions on Emotions\n")
	}
	convWrite(t, dir, boltSource.Files[0], "prompt,completion\nhow does that feel?,Questions on Emotions\n ,Planning\nso you want to quit,\n")
	recs, rejs := convLoad(t, boltSource, dir)
	convCheck(t, boltSource, recs, rejs)
	_, byReason := convCount(recs, rejs)
	convWant(t, "rejects", byReason, map[string]int{"single_utterance": 4, "empty_turn": 1, "missing_label": 1})
	convRejectAt(t, rejs, filepath.Base(boltSource.Files[0]), 3, "empty_turn")
	convRejectAt(t, rejs, filepath.Base(boltSource.Files[0]), 4, "missing_label")
}
