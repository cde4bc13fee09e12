package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

const fixtures = "../../testdata/records/"

// lines returns the non-blank lines of a fixture file.
func lines(t *testing.T, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for l := range bytes.SplitSeq(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

func TestValidFixtures(t *testing.T) {
	raw := lines(t, "valid.jsonl")
	if len(raw) == 0 {
		t.Fatal("valid.jsonl is empty")
	}
	var convs []Conversation
	err := Read(bytes.NewReader(bytes.Join(raw, []byte("\n"))), "valid.jsonl", func(c Conversation) error {
		convs = append(convs, c)
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("Read(valid.jsonl): %v", err)
	}
	if len(convs) != len(raw) {
		t.Fatalf("read %d records from %d lines", len(convs), len(raw))
	}
	for i, c := range convs {
		t.Run(c.ID, func(t *testing.T) {
			if inv := c.Validate(); inv != nil {
				t.Errorf("Validate: %v", inv)
			}
			if c.ContentHash == "" {
				t.Fatal("fixture has no content_hash")
			}
			if got := Hash(c.Messages); got != c.ContentHash {
				t.Errorf("Hash = %s; stored %s", got, c.ContentHash)
			}
			b, err := Marshal(&c)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, raw[i]) {
				t.Errorf("Marshal does not round-trip:\n got %s\nwant %s", b, raw[i])
			}
		})
	}
	var buf bytes.Buffer
	if err := Write(&buf, convs); err != nil {
		t.Fatal(err)
	}
	if want := append(bytes.Join(raw, []byte("\n")), '\n'); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Write does not round-trip the file")
	}
}

func TestInvalidFixtures(t *testing.T) {
	want := strings.Fields(string(mustRead(t, "invalid.expected")))
	f, err := os.Open(fixtures + "invalid.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []*LineError
	err = Read(f, "invalid.jsonl", func(c Conversation) error {
		t.Errorf("record %q read as valid", c.ID)
		return nil
	}, func(e *LineError) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d bad lines; invalid.expected has %d", len(got), len(want))
	}
	texts := messageTexts(t, lines(t, "invalid.jsonl"))
	for i, e := range got {
		t.Run(want[i], func(t *testing.T) {
			if e.Reason != want[i] {
				t.Errorf("line %d: reason %q; want %q (%s)", i+1, e.Reason, want[i], e.Detail)
			}
			if e.File != "invalid.jsonl" || e.Line != i+1 {
				t.Errorf("LineError at %s line %d; want invalid.jsonl line %d", e.File, e.Line, i+1)
			}
			msg := e.Error()
			if !strings.Contains(msg, "invalid.jsonl line ") || !strings.Contains(msg, e.Reason) {
				t.Errorf("Error() = %q; want file, line and reason", msg)
			}
			for _, s := range texts {
				if strings.Contains(msg, s) {
					t.Errorf("Error() = %q quotes message text %q", msg, s)
				}
			}
		})
	}
}

// messageTexts is every message content of the lines that decode, for
// checking that errors never echo them.
func messageTexts(t *testing.T, raw [][]byte) []string {
	t.Helper()
	var out []string
	for _, l := range raw {
		var c struct {
			Messages []Message `json:"messages"`
		}
		if json.Unmarshal(l, &c) != nil {
			continue
		}
		for _, m := range c.Messages {
			if len(m.Content) >= 8 {
				out = append(out, m.Content)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no message text found in invalid.jsonl")
	}
	return out
}

func TestInvalidErrorHidesContent(t *testing.T) {
	const secret = "my-distinctive-secret-words"
	tests := []struct{ name, line string }{
		{"roles", `{"id":"a","source":"s","license":"l","language":"en","stage":"edge","persona":"therapist","provenance":[{"source":"s","id":"a","step":"x"}],"messages":[{"role":"assistant","content":"` + secret + `"},{"role":"user","content":"hi"}]}`},
		{"wrong type", `{"id":"a","source":"s","license":"l","language":"en","stage":"edge","persona":"therapist","provenance":[],"messages":[{"role":"user","content":["` + secret + `"]}]}`},
		{"syntax", `{"id":"a","messages":[{"role":"user","content":"` + secret + `"}` + "\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Read(strings.NewReader(tt.line), "f.jsonl", func(Conversation) error { return nil }, nil)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("Read = %v; want a *LineError", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q quotes message text", err)
			}
		})
	}
}

func TestHashVectors(t *testing.T) {
	var vectors []struct {
		Messages []Message `json:"messages"`
		Hash     string    `json:"hash"`
	}
	if err := json.Unmarshal(mustRead(t, "hash_vectors.json"), &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("no hash vectors")
	}
	for i, v := range vectors {
		if got := Hash(v.Messages); got != v.Hash {
			t.Errorf("vector %d: Hash = %s; want %s", i, got, v.Hash)
		}
	}
}

func TestReadStopsAtFirstBadLine(t *testing.T) {
	valid := lines(t, "valid.jsonl")
	invalid := lines(t, "invalid.jsonl")
	input := bytes.Join([][]byte{valid[0], invalid[2], valid[1]}, []byte("\n"))
	var ids []string
	err := Read(bytes.NewReader(input), "mixed.jsonl", func(c Conversation) error {
		ids = append(ids, c.ID)
		return nil
	}, nil)
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("Read = %v; want a *LineError", err)
	}
	if le.File != "mixed.jsonl" || le.Line != 2 || le.Reason != "missing_id" {
		t.Errorf("LineError = %+v; want mixed.jsonl line 2 missing_id", le)
	}
	if len(ids) != 1 {
		t.Errorf("read %v before the bad line; want only the first record", ids)
	}
}

func TestReadCallbackErrorsStop(t *testing.T) {
	input := bytes.Join(lines(t, "invalid.jsonl"), []byte("\n"))
	stop := errors.New("stop")
	calls := 0
	err := Read(bytes.NewReader(input), "f", func(Conversation) error { return nil }, func(*LineError) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Read = %v after %d bad calls; want the callback's error after 1", err, calls)
	}
	valid := bytes.Join(lines(t, "valid.jsonl"), []byte("\n"))
	calls = 0
	err = Read(bytes.NewReader(valid), "f", func(Conversation) error { calls++; return stop }, nil)
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Read = %v after %d calls; want fn's error after 1", err, calls)
	}
}

func TestReadSkipsBlankLines(t *testing.T) {
	valid := lines(t, "valid.jsonl")
	input := "\n  \n" + string(valid[0]) + "\n\n\t\n" + string(valid[1]) + "\n\n"
	var ids []string
	err := Read(strings.NewReader(input), "blank.jsonl", func(c Conversation) error {
		ids = append(ids, c.ID)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Errorf("read %v; want 2 records", ids)
	}
	// Line numbers still count the blank lines.
	input = "\n\n{bad\n"
	err = Read(strings.NewReader(input), "blank.jsonl", func(Conversation) error { return nil }, nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 {
		t.Errorf("Read = %v; want a LineError at line 3", err)
	}
}

func TestValidateCases(t *testing.T) {
	base := func() Conversation {
		return Conversation{
			ID: "x", Source: "s", License: "CC0-1.0", Language: "en", Stage: "foundation", Persona: "therapist",
			Provenance: []Step{{Source: "s", ID: "x", Step: "authored"}},
			Messages:   []Message{{Role: "user", Content: "hello"}, {Role: "assistant", Content: "hi"}},
		}
	}
	tests := []struct {
		name   string
		edit   func(*Conversation)
		reason string
	}{
		{"valid", func(*Conversation) {}, ""},
		{"sealed", func(c *Conversation) { c.Seal() }, ""},
		{"missing source", func(c *Conversation) { c.Source = "" }, "missing_source"},
		{"missing language", func(c *Conversation) { c.Language = "" }, "missing_language"},
		{"client with system", func(c *Conversation) {
			c.Persona = "client"
			c.Messages = append([]Message{{Role: "system", Content: "you are the client"}}, c.Messages...)
		}, ""},
		{"only system", func(c *Conversation) { c.Messages = []Message{{Role: "system", Content: "s"}} }, "too_few_turns"},
		{"two system prompts", func(c *Conversation) {
			c.Messages = []Message{{Role: "system", Content: "s"}, {Role: "system", Content: "s"}, {Role: "user", Content: "u"}, {Role: "assistant", Content: "a"}}
		}, "roles_not_alternating"},
		{"unknown role", func(c *Conversation) { c.Messages[1].Role = "tool" }, "roles_not_alternating"},
		{"stale hash", func(c *Conversation) { c.Seal(); c.Messages[1].Content = "changed" }, "content_hash_mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(&c)
			inv := c.Validate()
			switch {
			case tt.reason == "" && inv != nil:
				t.Errorf("Validate = %v; want valid", inv)
			case tt.reason != "" && (inv == nil || inv.Reason != tt.reason):
				t.Errorf("Validate = %v; want %s", inv, tt.reason)
			}
		})
	}
}

func TestReadLineTooLong(t *testing.T) {
	long := strings.Repeat("x", MaxLine+1)
	err := Read(bufio.NewReader(strings.NewReader(long+"\n")), "big.jsonl", func(Conversation) error { return nil }, func(*LineError) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "big.jsonl line 1") {
		t.Errorf("Read = %v; want an error naming big.jsonl line 1", err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadRejectsTrailingData(t *testing.T) {
	valid := string(lines(t, "valid.jsonl")[0])
	tests := []struct {
		name, line string
		ok         bool
	}{
		{"plain", valid, true},
		{"surrounding space", "  " + valid + " \t", true},
		{"second object", valid + valid, false},
		{"garbage", valid + " x", false},
		{"stray brace", valid + "}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			err := Read(strings.NewReader(tt.line+"\n"), "t.jsonl", func(Conversation) error { n++; return nil }, nil)
			var le *LineError
			switch {
			case tt.ok && (err != nil || n != 1):
				t.Errorf("Read = %v, %d records; want 1 record", err, n)
			case !tt.ok && (!errors.As(err, &le) || le.Reason != "bad_json" || n != 0):
				t.Errorf("Read = %v, %d records; want a bad_json LineError", err, n)
			}
		})
	}
}

func TestReadFnRejects(t *testing.T) {
	input := "\n" + string(bytes.Join(lines(t, "valid.jsonl"), []byte("\n")))
	reject := func(c Conversation) error {
		if c.Stage == "voice" {
			return &LineError{Reason: "not_wanted", Detail: "voice"}
		}
		return nil
	}
	var got []*LineError
	err := Read(strings.NewReader(input), "r.jsonl", reject, func(e *LineError) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].File != "r.jsonl" || got[0].Line != 3 || got[0].Reason != "not_wanted" {
		t.Errorf("bad got %+v; want one not_wanted at r.jsonl line 3", got)
	}
	err = Read(strings.NewReader(input), "r.jsonl", reject, nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 {
		t.Errorf("Read with nil bad = %v; want the rejection at line 3", err)
	}
}
