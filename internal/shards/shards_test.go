package shards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixel/internal/artifact"
	"pixel/internal/corpus"
	"pixel/internal/record"
)

func demoOptions(seed uint64) Options {
	return Options{Corpus: corpus.Embedded, Stages: record.Stages, ValFraction: 0.1, TestFraction: 0.1, Seed: seed}
}

// readSplit returns the ids in outDir/<stage>/<split>.jsonl.
func readSplit(t *testing.T, outDir, stage, split string) []string {
	t.Helper()
	path := filepath.Join(outDir, stage, split+".jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	err = record.Read(f, path, func(c record.Conversation) error {
		if c.Stage != stage {
			t.Errorf("%s holds %s of stage %s", path, c.ID, c.Stage)
		}
		ids = append(ids, c.ID)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestBuildDemo(t *testing.T) {
	demo, err := corpus.Demo()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, c := range demo {
		want[c.Stage]++
	}
	out := t.TempDir()
	res, err := Build(demoOptions(1234), out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != len(demo) || len(res.Quarantined) != 0 {
		t.Errorf("read %d, quarantined %v; want %d and none", res.Read, res.Quarantined, len(demo))
	}
	seen := map[string]string{}
	for _, stage := range record.Stages {
		t.Run(stage, func(t *testing.T) {
			total := 0
			for _, split := range Splits {
				ids := readSplit(t, out, stage, split)
				if len(ids) != res.Counts[stage][split] {
					t.Errorf("%s/%s has %d records; Result says %d", stage, split, len(ids), res.Counts[stage][split])
				}
				if len(ids) == 0 {
					t.Errorf("%s/%s is empty", stage, split)
				}
				for _, id := range ids {
					if prev, dup := seen[id]; dup {
						t.Errorf("%s is in %s and %s/%s", id, prev, stage, split)
					}
					seen[id] = stage + "/" + split
				}
				total += len(ids)
			}
			if total != want[stage] {
				t.Errorf("%d conversations in the splits; the corpus has %d", total, want[stage])
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out, "quarantine.jsonl")); err != nil {
		t.Errorf("no quarantine.jsonl: %v", err)
	}
	var man artifact.Manifest
	b, err := os.ReadFile(filepath.Join(out, artifact.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	if man.Kind != "shards" || len(man.Inputs) != 1 || man.Inputs[0].Path != corpus.Embedded || man.Counts["read"] != int64(len(demo)) {
		t.Errorf("manifest = %+v", man)
	}
	if len(man.Outputs) != len(record.Stages)*len(Splits)+1 {
		t.Errorf("manifest lists %d outputs; want the %d shards and the quarantine", len(man.Outputs), len(record.Stages)*len(Splits))
	}
}

// shardBytes reads every shard and the quarantine (not the manifest, which
// carries the time).
func shardBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == artifact.ManifestName {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildDeterministic(t *testing.T) {
	build := func(seed uint64) map[string][]byte {
		dir := t.TempDir()
		if _, err := Build(demoOptions(seed), dir); err != nil {
			t.Fatal(err)
		}
		return shardBytes(t, dir)
	}
	a, b, c := build(1234), build(1234), build(99)
	if len(a) != len(record.Stages)*len(Splits)+1 {
		t.Fatalf("built %d files", len(a))
	}
	for name, want := range a {
		if !bytes.Equal(b[name], want) {
			t.Errorf("%s differs between two builds with the same seed", name)
		}
	}
	same := 0
	for _, stage := range record.Stages {
		if bytes.Equal(a[filepath.Join(stage, "val.jsonl")], c[filepath.Join(stage, "val.jsonl")]) {
			same++
		}
	}
	if same == len(record.Stages) {
		t.Error("seed 99 gives the same val split as seed 1234 in every stage")
	}
}

// fixtureRecord is a valid foundation record with the given id and text.
func fixtureRecord(t *testing.T, id, text string) string {
	t.Helper()
	c := record.Conversation{
		ID: id, Source: "test", License: "CC0-1.0", Language: "en", Stage: "foundation", Persona: "therapist",
		Provenance: []record.Step{{Source: "test", ID: id, Step: "authored"}},
		Messages:   []record.Message{{Role: "user", Content: text}, {Role: "assistant", Content: "I hear you."}},
	}
	b, err := record.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildQuarantine(t *testing.T) {
	const secret = "a distinctive secret sentence"
	src := t.TempDir()
	var good []string
	for i := range 5 {
		good = append(good, fixtureRecord(t, fmt.Sprintf("q-%d", i), "hello"))
	}
	lines := []string{
		good[0],
		`{"id": "x", "messages": [{"role": "user", "content": "` + secret + `"}`, // line 2: bad_json
		good[1],
		fixtureRecord(t, "", secret), // line 4: missing_id
		good[2],
		"",
		good[3],
		fixtureRecord(t, "q-0", secret), // line 8: duplicate_id
		good[4],
	}
	file := filepath.Join(src, "a.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not .jsonl: ignored.
	if err := os.WriteFile(filepath.Join(src, "notes.txt"), []byte("not data"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	res, err := Build(Options{Corpus: src, Stages: []string{"foundation"}, ValFraction: 0.2, TestFraction: 0.2, Seed: 1}, out)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := map[string]int{"bad_json": 1, "missing_id": 1, "duplicate_id": 1}
	if fmt.Sprint(res.Quarantined) != fmt.Sprint(wantCounts) {
		t.Errorf("quarantined %v; want %v", res.Quarantined, wantCounts)
	}
	if res.Read != 8 {
		t.Errorf("read %d; want 8 (5 good, 3 quarantined)", res.Read)
	}
	if n := res.Counts["foundation"]; n["train"]+n["val"]+n["test"] != 5 {
		t.Errorf("counts %v; want 5 conversations", n)
	}

	b, err := os.ReadFile(filepath.Join(out, "quarantine.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) {
		t.Errorf("quarantine.jsonl quotes message text:\n%s", b)
	}
	var got []Quarantined
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var q Quarantined
		if err := dec.Decode(&q); err != nil {
			t.Fatal(err)
		}
		got = append(got, q)
	}
	want := []Quarantined{{File: file, Line: 2, Reason: "bad_json"}, {File: file, Line: 4, Reason: "missing_id"}, {File: file, Line: 8, Reason: "duplicate_id"}}
	if len(got) != len(want) {
		t.Fatalf("quarantine holds %d lines; want %d:\n%s", len(got), len(want), b)
	}
	for i := range want {
		if got[i].File != want[i].File || got[i].Line != want[i].Line || got[i].Reason != want[i].Reason || got[i].Detail == "" {
			t.Errorf("quarantine line %d = %+v; want %+v with a detail", i+1, got[i], want[i])
		}
	}

	var man artifact.Manifest
	mb, err := os.ReadFile(filepath.Join(out, artifact.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatal(err)
	}
	if len(man.Inputs) != 1 || man.Inputs[0].Path != file || man.Counts["quarantined/bad_json"] != 1 {
		t.Errorf("manifest inputs %+v counts %v", man.Inputs, man.Counts)
	}
}

func TestBuildErrors(t *testing.T) {
	src := t.TempDir()
	write := func(name string, n int) string {
		var lines []string
		for i := range n {
			lines = append(lines, fixtureRecord(t, fmt.Sprintf("%s-%d", name, i), "hello"))
		}
		path := filepath.Join(src, name+".jsonl")
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	two, five := write("two", 2), write("five", 5)
	empty := t.TempDir()
	tests := []struct {
		name string
		opt  Options
		want []string
	}{
		{"too few", Options{Corpus: two, Stages: []string{"foundation"}, ValFraction: 0.1, TestFraction: 0.1}, []string{"stage foundation", "2 conversations", "need at least 3", "fix:"}},
		{"stage absent", Options{Corpus: five, Stages: []string{"foundation", "edge"}, ValFraction: 0.1, TestFraction: 0.1}, []string{"stage edge", "0 conversations", "fix:"}},
		{"missing corpus", Options{Corpus: filepath.Join(src, "nope"), Stages: []string{"foundation"}}, []string{"data.corpus", "fix:"}},
		{"no jsonl", Options{Corpus: empty, Stages: []string{"foundation"}}, []string{"no .jsonl files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.opt, t.TempDir())
			if err == nil {
				t.Fatal("Build succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSplitSizes(t *testing.T) {
	tests := []struct {
		n, val, test, train int
	}{
		{3, 1, 1, 1},
		{10, 1, 1, 8},
		{48, 5, 5, 38},
		{100, 10, 10, 80},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			convs := make([]record.Conversation, tt.n)
			for i := range convs {
				convs[i].ID = fmt.Sprintf("c-%03d", i)
			}
			parts, err := split(convs, Options{ValFraction: 0.1, TestFraction: 0.1, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if len(parts[0]) != tt.train || len(parts[1]) != tt.val || len(parts[2]) != tt.test {
				t.Errorf("split sizes %d/%d/%d; want %d/%d/%d", len(parts[0]), len(parts[1]), len(parts[2]), tt.train, tt.val, tt.test)
			}
			// Input order does not matter.
			rev := make([]record.Conversation, tt.n)
			for i := range convs {
				rev[tt.n-1-i] = convs[i]
			}
			again, err := split(rev, Options{ValFraction: 0.1, TestFraction: 0.1, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(again) != fmt.Sprint(parts) {
				t.Error("split depends on input order")
			}
		})
	}
}
