package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pixel/internal/config"
	"pixel/internal/record"
)

// dataRoot is the shared public datasets folder.
func dataRoot(t *testing.T) string {
	t.Helper()
	root := os.Getenv("PIXEL_DATA_ROOT")
	if root == "" {
		root = "../../../shared/data"
	}
	if _, err := os.Stat(filepath.Join(root, "annomi")); err != nil {
		t.Fatalf("public datasets not found at %s (fix: place ../shared/data beside the checkout or set PIXEL_DATA_ROOT)", root)
	}
	abs, _ := filepath.Abs(root)
	return abs
}

// testConfig builds over two small real sources and one generic file of
// our own that holds a duplicate, a PII-bearing and a malformed record.
func testConfig(t *testing.T) (*config.Config, string) {
	t.Helper()
	dir := t.TempDir()
	own := filepath.Join(dir, "own.jsonl")
	lines := []string{
		`{"id":"a","messages":[{"role":"user","content":"I have been feeling anxious about my exams and I cannot sleep at night at all."},{"role":"assistant","content":"That sounds exhausting. What goes through your mind when you lie awake before an exam?"}]}`,
		`{"id":"b","messages":[{"role":"user","content":"I have been feeling anxious about my exams and I cannot sleep at night at all."},{"role":"assistant","content":"That sounds exhausting. What goes through your mind when you lie awake before an exam?"}]}`,
		`{"id":"c","messages":[{"role":"user","content":"My email is jane.doe@example.com, please write to me, I feel so alone lately."},{"role":"assistant","content":"I am glad you reached out. Loneliness can be heavy. What has been happening lately?"}]}`,
		`{"id":"d","messages":[{"role":"user","content":"broken`,
	}
	if err := os.WriteFile(own, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	man := filepath.Join(dir, "manifest.yaml")
	err := os.WriteFile(man, []byte(`sources:
  - {name: annomi, priority: 1, weight: 1}
  - {name: mibot, priority: 2, weight: 1}
  - {name: own, priority: 3, weight: 1, format: openai, path: `+own+`, license: CC0-1.0, stage: foundation}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("", []string{"data.corpus=sources", "data.root=" + dataRoot(t), "data.manifest=" + man,
		"data.mixing.counter=chars", "data.workers=2"})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

func TestBuildEndToEnd(t *testing.T) {
	cfg, _ := testConfig(t)
	out := t.TempDir()
	res, err := Build(context.Background(), Options{Config: cfg}, out)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing vanishes: every record read is written, quarantined, excluded or a duplicate.
	q := readLines(t, filepath.Join(out, "quarantine.jsonl"))
	reasons := map[string]int{}
	for _, l := range q {
		var e quarantineLine
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		reasons[e.Reason]++
		if strings.Contains(l, "exams") || strings.Contains(l, "example.com") {
			t.Fatalf("quarantine quotes record text: %s", l)
		}
	}
	if reasons["bad_json"] != 1 || reasons["duplicate_exact"] != 1 {
		t.Errorf("quarantine reasons %v: want the broken line and the exact duplicate", reasons)
	}
	for _, st := range res.Sources {
		if st.Read != st.Valid+sum(st.Rejected)+sum(st.Invalid)+st.Excluded {
			t.Errorf("%s: read %d != valid %d + rejected + invalid + excluded", st.Source, st.Read, st.Valid)
		}
	}
	// PII was scrubbed and counted.
	var own *SourceStats
	for _, st := range res.Sources {
		if st.Source == "own" {
			own = st
		}
	}
	if own == nil || own.PII["EMAIL"] != 1 {
		t.Fatalf("own source PII counts %+v, want one EMAIL", own)
	}
	all := ""
	seen := map[string]string{}
	groups := map[string]string{}
	for stage, splits := range res.Splits {
		for _, split := range []string{"train", "val", "test"} {
			path := filepath.Join(out, stage, split+".jsonl")
			for _, l := range readLines(t, path) {
				var c record.Conversation
				if err := json.Unmarshal([]byte(l), &c); err != nil {
					t.Fatal(err)
				}
				if inv := c.Validate(); inv != nil {
					t.Fatalf("%s: invalid record in shards: %v", c.ID, inv)
				}
				g := groupOf(&c)
				if prev, ok := groups[g]; ok && prev != split {
					t.Fatalf("conversation %s is in both %s and %s", g, prev, split)
				}
				groups[g], seen[c.ID] = split, split
				all += l
			}
		}
		_ = splits
	}
	prepared := string(read(t, filepath.Join(out, "work", "own", "records.jsonl")))
	if strings.Contains(all+prepared, "jane.doe@example.com") || !strings.Contains(prepared, "[EMAIL]") {
		t.Error("the email was not replaced by its placeholder")
	}
	for _, f := range []string{"report.json", "report.html", "funnel.svg", "stage_shares.svg", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !bytes.Contains(html, []byte("Share-alike sources are mixed in")) {
		t.Error("the report does not warn that mibot (CC BY-SA) is mixed in")
	}
}

func TestBuildDeterministicAndResumable(t *testing.T) {
	cfg, _ := testConfig(t)
	a, b := t.TempDir(), t.TempDir()
	if _, err := Build(context.Background(), Options{Config: cfg}, a); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), Options{Config: cfg}, b); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"voice/train.jsonl", "foundation/train.jsonl", "foundation/test.jsonl", "quarantine.jsonl"} {
		if !bytes.Equal(read(t, filepath.Join(a, f)), read(t, filepath.Join(b, f))) {
			t.Errorf("%s differs between two builds of the same inputs", f)
		}
	}
	// A build killed after one source: the finished source is not redone.
	kept := filepath.Join(a, "work", "annomi", "records.jsonl")
	before, _ := os.Stat(kept)
	os.Remove(filepath.Join(a, "work", "mibot", ".done"))
	os.Remove(filepath.Join(a, "manifest.json"))
	time.Sleep(10 * time.Millisecond)
	if _, err := Build(context.Background(), Options{Config: cfg}, a); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(kept)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("a resumed build redid a finished source")
	}
	if !bytes.Equal(read(t, filepath.Join(a, "voice", "train.jsonl")), read(t, filepath.Join(b, "voice", "train.jsonl"))) {
		t.Error("the resumed build's shards differ from an uninterrupted build's")
	}
}

func TestManifestErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"unknown source":  "sources:\n  - {name: nosuch, priority: 1, weight: 1}\n",
		"eval-only":       "sources:\n  - {name: mmlu_psych, priority: 1, weight: 1}\n",
		"zero weight":     "sources:\n  - {name: annomi, priority: 1, weight: 0}\n",
		"unknown key":     "sources:\n  - {name: annomi, priority: 1, weight: 1, wieght: 2}\n",
		"bad stage":       "sources:\n  - {name: annomi, priority: 1, weight: 1, stages: [stage9]}\n",
		"generic no path": "sources:\n  - {name: mine, priority: 1, weight: 1, format: openai, license: x, stage: foundation}\n",
		"empty":           "sources: []\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
			os.WriteFile(p, []byte(body), 0o644)
			if _, err := LoadManifest(p); err == nil || !strings.Contains(err.Error(), p) {
				t.Fatalf("want an error naming %s, got %v", p, err)
			}
		})
	}
	manifests, _ := filepath.Glob("../../configs/manifests/*.yaml")
	if len(manifests) == 0 {
		t.Fatal("no training manifests under configs/manifests/")
	}
	for _, m := range manifests {
		if _, err := LoadManifest(m); err != nil {
			t.Errorf("training manifest %s: %v", m, err)
		}
	}
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readLines(t *testing.T, p string) []string {
	t.Helper()
	s := strings.TrimSpace(string(read(t, p)))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
