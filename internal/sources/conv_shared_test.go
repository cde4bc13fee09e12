package sources

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"pixel/internal/datatest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pixel/internal/record"
)

// convDataRoot is the folder holding the dataset folders: $PIXEL_DATA_ROOT,
// else the workspace's shared/data next to the project.
func convDataRoot(t *testing.T) string { return datatest.Root(t) }

// convLoad runs a source's adapter and gathers what it emits and rejects.
func convLoad(t *testing.T, src Source, dir string) ([]record.Conversation, []Rejected) {
	return loadAll(t, src, dir)
}

var convReasonRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// convCheck asserts what every adapter promises: valid records with unique
// ids and the source's metadata, provenance that starts at an imported
// record (and, for derived records, at one this load emitted), and rejects
// that name a file, a line and a snake_case reason.
func convCheck(t *testing.T, src Source, recs []record.Conversation, rejs []Rejected) {
	t.Helper()
	for _, f := range []string{src.Name, src.Title, src.License, src.Attribution, src.Language, src.Origin, src.Stage} {
		if f == "" {
			t.Errorf("%s: a metadata field is empty: %+v", src.Name, src)
		}
	}
	if len(src.Files) == 0 || len(src.Uses) == 0 || src.Load == nil {
		t.Errorf("%s: Files, Uses and Load must be set", src.Name)
	}
	if !strings.HasPrefix(src.Origin, "github.com/") || !strings.Contains(src.Origin, "@") {
		t.Errorf("%s: origin %q is not github.com/<owner>/<repo>@<commit>", src.Name, src.Origin)
	}
	ids := map[string]bool{}
	for _, c := range recs {
		if inv := c.Validate(); inv != nil {
			t.Errorf("%s: record %s invalid: %v", src.Name, c.ID, inv)
		}
		if ids[c.ID] {
			t.Errorf("%s: duplicate id %s", src.Name, c.ID)
		}
		ids[c.ID] = true
		if c.Source != src.Name || c.License != src.License || c.Language != src.Language || !strings.HasPrefix(c.ID, src.Name+"-") {
			t.Errorf("%s: record %s has source %q license %q language %q", src.Name, c.ID, c.Source, c.License, c.Language)
		}
		p := c.Provenance
		if len(p) == 0 || p[0].Source != src.Name || p[0].Step != "imported" {
			t.Errorf("%s: record %s: provenance %+v does not start with an imported step", src.Name, c.ID, p)
		}
		for _, m := range c.Messages {
			if m.Content != strings.TrimSpace(m.Content) {
				t.Errorf("%s: record %s: a %s message has surrounding whitespace", src.Name, c.ID, m.Role)
			}
		}
	}
	for _, c := range recs {
		if len(c.Provenance) < 2 {
			continue
		}
		if first := src.Name + "-" + c.Provenance[0].ID; !ids[first] {
			t.Errorf("%s: derived record %s: its source record %s was not emitted", src.Name, c.ID, first)
		}
		if last := c.Provenance[len(c.Provenance)-1]; last.ID != c.ID || !strings.HasPrefix(last.Step, "derived:") {
			t.Errorf("%s: derived record %s: last provenance step %+v", src.Name, c.ID, last)
		}
	}
	for _, r := range rejs {
		if r.File == "" || r.Line < 1 || !convReasonRE.MatchString(r.Reason) || r.Detail == "" {
			t.Errorf("%s: reject without file, line, reason or detail: %+v", src.Name, r)
		}
	}
}

// convCount tallies records by "stage/persona" and rejects by reason.
func convCount(recs []record.Conversation, rejs []Rejected) (byStage, byReason map[string]int) {
	byStage, byReason = map[string]int{}, map[string]int{}
	for _, c := range recs {
		byStage[c.Stage+"/"+c.Persona]++
	}
	for _, r := range rejs {
		byReason[r.Reason]++
	}
	return byStage, byReason
}

// convWant fails when a tally differs from what is expected.
func convWant(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if got[k] != want[k] {
			t.Errorf("%s[%s] = %d, want %d (all: %v)", what, k, got[k], want[k], got)
		}
	}
}

// convWrite writes a fixture file under dir.
func convWrite(t *testing.T, dir, name, text string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// convRejectAt fails unless rejs holds reason at file (base name) and line.
func convRejectAt(t *testing.T, rejs []Rejected, file string, line int, reason string) {
	t.Helper()
	for _, r := range rejs {
		if filepath.Base(r.File) == file && r.Line == line && r.Reason == reason {
			return
		}
	}
	t.Errorf("no %s reject at %s line %d; got %+v", reason, file, line, rejs)
}

func TestConvMerge(t *testing.T) {
	tests := []struct {
		name   string
		in     []convTurn
		want   []string // role:text
		reason string
	}{
		{"plain", []convTurn{{"user", " hi ", nil}, {"assistant", "hello", nil}}, []string{"user:hi", "assistant:hello"}, ""},
		{"leading helper dropped", []convTurn{{"assistant", "hey", nil}, {"user", "hi", nil}, {"assistant", "yes", nil}}, []string{"user:hi", "assistant:yes"}, ""},
		{"merge and trim tail", []convTurn{{"user", "a", nil}, {"user", "b", nil}, {"assistant", "c", nil}, {"assistant", "", nil}, {"assistant", "d", nil}, {"user", "e", nil}},
			[]string{"user:a\nb", "assistant:c\nd"}, ""},
		{"no reply", []convTurn{{"assistant", "hey", nil}, {"user", "hi", nil}}, nil, "no_assistant_turn"},
		{"no seeker", []convTurn{{"assistant", "hey", nil}, {"user", "  ", nil}}, nil, "no_user_turn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := convMerge(tt.in)
			var flat []string
			for _, g := range got {
				flat = append(flat, g.Role+":"+g.Text)
			}
			if reason != tt.reason || !slices.Equal(flat, tt.want) {
				t.Errorf("convMerge = %q, %q; want %q, %q", flat, reason, tt.want, tt.reason)
			}
		})
	}
}

func TestConvQuestion(t *testing.T) {
	tests := []struct{ title, text, want string }{
		{"Title?", "Body.", "Title?\nBody."},
		{"I just lost my grandpa", "I just lost my grandpa and it hurts.", "I just lost my grandpa and it hurts."},
		{"", " Body ", "Body"},
		{"Title", "", "Title"},
	}
	for _, tt := range tests {
		if got := convQuestion(tt.title, tt.text); got != tt.want {
			t.Errorf("convQuestion(%q, %q) = %q, want %q", tt.title, tt.text, got, tt.want)
		}
	}
}

func TestConvJSONArrayLines(t *testing.T) {
	dir := t.TempDir()
	convWrite(t, dir, "a.json", "[\n {\"a\": 1},\n\n {\"a\": 2}, {\"a\": 3},\n {\"a\": oops}\n]\n")
	var lines []int
	var rejs []Rejected
	err := convJSONArray(filepath.Join(dir, "a.json"), func(line int, _ json.RawMessage) error { lines = append(lines, line); return nil },
		func(r Rejected) error { rejs = append(rejs, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lines, []int{2, 4, 4}) {
		t.Errorf("element lines = %v, want [2 4 4]", lines)
	}
	if len(rejs) != 1 || rejs[0].Reason != "bad_json" || rejs[0].Line != 5 {
		t.Errorf("rejects = %+v, want one bad_json at line 5", rejs)
	}
}
