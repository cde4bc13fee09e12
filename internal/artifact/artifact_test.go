package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		write   func(io.Writer) error
		wantErr error
		want    string // file content afterwards
	}{
		{"replaces", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, nil, "new"},
		{"failure keeps the old file", func(w io.Writer) error {
			if _, err := io.WriteString(w, "half a"); err != nil {
				return err
			}
			return boom
		}, boom, "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.txt")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := WriteFile(path, tt.write)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("WriteFile = %v; want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("content %q; want %q", got, tt.want)
			}
			assertOnly(t, dir, "out.txt")
		})
	}
}

func TestWriteFileCreatesFolders(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "c.txt")
	if err := WriteBytes(path, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "x" {
		t.Errorf("content %q; want x", got)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.json")
	in := map[string]any{"b": 2, "a": []string{"x<y"}}
	if err := WriteJSON(path, in); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "}\n") || !strings.Contains(string(b), "\n  \"a\"") {
		t.Errorf("WriteJSON wrote %q; want indented JSON ending in a newline", b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out["b"] != 2.0 {
		t.Errorf("round trip = %v", out)
	}
	if err := WriteJSON(filepath.Join(t.TempDir(), "bad.json"), map[string]any{"f": func() {}}); err == nil {
		t.Error("WriteJSON of a func succeeded; want an encode error")
	}
}

func TestHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	const want = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashBytes([]byte("abc")); got != want {
		t.Errorf("HashBytes = %s; want %s", got, want)
	}
	if got, err := HashFile(path); err != nil || got != want {
		t.Errorf("HashFile = %s, %v; want %s", got, err, want)
	}
	if _, err := HashFile(path + ".missing"); err == nil {
		t.Error("HashFile of a missing file succeeded")
	}
}

func TestManifestWrite(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"b.jsonl":    "bee\n",
		"a.jsonl":    "ay\n",
		"sub/c.txt":  "sea",
		ManifestName: `{"stale": true}`,
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	input := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(input, []byte("input bytes"), 0o644); err != nil {
		t.Fatal(err)
	}

	m := NewManifest("shards")
	if err := m.AddInput(input); err != nil {
		t.Fatal(err)
	}
	if err := m.AddInput(input + ".missing"); err == nil {
		t.Error("AddInput of a missing file succeeded")
	}
	m.Counts["read"] = 3
	if err := m.Write(dir); err != nil {
		t.Fatal(err)
	}
	// Writing twice gives the same outputs, not duplicates.
	if err := m.Write(dir); err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var got Manifest
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Kind != "shards" || got.Created == "" || got.CodeVersion == "" || got.Counts["read"] != 3 {
		t.Errorf("manifest header = %+v", got)
	}
	wantOut := []Input{
		{Path: "a.jsonl", Hash: sha("ay\n")},
		{Path: "b.jsonl", Hash: sha("bee\n")},
		{Path: filepath.Join("sub", "c.txt"), Hash: sha("sea")},
	}
	if !slices.Equal(got.Outputs, wantOut) {
		t.Errorf("outputs = %+v; want %+v", got.Outputs, wantOut)
	}
	wantIn := []Input{{Path: input, Hash: sha("input bytes")}}
	if !slices.Equal(got.Inputs, wantIn) {
		t.Errorf("inputs = %+v; want %+v", got.Inputs, wantIn)
	}
	assertNoTemp(t, dir)
}

func TestManifestEmptyListsAreArrays(t *testing.T) {
	dir := t.TempDir()
	if err := NewManifest("eval").Write(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"inputs": []`, `"outputs": []`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("manifest %s lacks %s", b, w)
		}
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// assertOnly fails unless dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("folder holds %v; want only %v", got, names)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temp file left behind: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
