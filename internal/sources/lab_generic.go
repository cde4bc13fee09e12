package sources

// Generic loaders for users' own data in common formats: OpenAI messages or
// ShareGPT conversations (JSONL), Alpaca instructions (JSON array or JSONL)
// and CSV/TSV with a column mapping. Each returns a Loader that stamps every
// record with the GenericMeta it was given.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"pixel/internal/record"
)

// GenericMeta is what a generic loader cannot read from the data: the
// source's name (the id prefix), license, stage, persona and language.
type GenericMeta struct {
	Name     string // source name; record ids are "<name>-<row id>"
	License  string
	Stage    string // foundation | expertise | edge | voice
	Persona  string // therapist | client; "" means therapist
	Language string // BCP 47, e.g. "en"
	// System, when set, is the system prompt of conversations that have
	// none. A client-persona source needs one that says the assistant
	// plays the client, unless every conversation carries its own.
	System string
}

// check validates the metadata once, before any row is read.
func (m GenericMeta) check() (GenericMeta, error) {
	if m.Persona == "" {
		m.Persona = "therapist"
	}
	switch {
	case m.Name == "":
		return m, fmt.Errorf("generic source: name is empty (fix: set GenericMeta.Name, the id prefix)")
	case m.License == "":
		return m, fmt.Errorf("generic source %s: license is empty (fix: set GenericMeta.License to the data's license)", m.Name)
	case m.Language == "":
		return m, fmt.Errorf("generic source %s: language is empty (fix: set GenericMeta.Language, e.g. \"en\")", m.Name)
	case !slices.Contains(record.Stages, m.Stage):
		return m, fmt.Errorf("generic source %s: stage %q is not one of %v", m.Name, m.Stage, record.Stages)
	case !slices.Contains(record.Personas, m.Persona):
		return m, fmt.Errorf("generic source %s: persona %q is not one of %v", m.Name, m.Persona, record.Personas)
	}
	return m, nil
}

// source is the Source the records are stamped with.
func (m GenericMeta) source() Source {
	return Source{Name: m.Name, License: m.License, Language: m.Language, Stage: m.Stage}
}

// CSVColumns maps a CSV's columns to a conversation: one user turn, one
// assistant turn, an optional system prompt and an optional row id.
type CSVColumns struct {
	User, Assistant string // required
	System          string // optional: a column holding the system prompt
	ID              string // optional: a column holding a unique row id (else the line number)
	Sep             rune   // optional: ',' (default) or '\t' (the default for .tsv files)
}

// labGenericPath resolves file against the source folder unless absolute.
func labGenericPath(dir, file string) string {
	if filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(dir, file)
}

// labTurn is one raw turn before normalisation.
type labTurn struct{ Role, Content string }

// labGenericRecord turns raw turns into a canonical record, or says why it
// cannot. Roles are already user/assistant/system. System turns must lead;
// consecutive turns of one speaker merge (joined by "\n"); the conversation
// starts at the first user turn and ends at the last assistant turn.
func labGenericRecord(m GenericMeta, id string, turns []labTurn) (record.Conversation, string, string) {
	var system []string
	var msgs []record.Message
	for i, t := range turns {
		c := strings.TrimSpace(t.Content)
		if c == "" {
			return record.Conversation{}, "empty_turn", fmt.Sprintf("turn %d (%s) is empty", i, t.Role)
		}
		switch {
		case t.Role == "system" && len(msgs) == 0:
			system = append(system, c)
		case t.Role == "system":
			return record.Conversation{}, "system_not_leading", fmt.Sprintf("turn %d is a system turn after the conversation began", i)
		case len(msgs) == 0 && t.Role == "assistant":
			// start at the first user turn
		case len(msgs) > 0 && msgs[len(msgs)-1].Role == t.Role:
			msgs[len(msgs)-1].Content += "\n" + c
		default:
			msgs = append(msgs, record.Message{Role: t.Role, Content: c})
		}
	}
	if len(msgs) > 0 && msgs[len(msgs)-1].Role == "user" {
		msgs = msgs[:len(msgs)-1]
	}
	if len(msgs) == 0 {
		return record.Conversation{}, "no_assistant_turn", fmt.Sprintf("%d turns but no user turn followed by an assistant turn", len(turns))
	}
	sys := strings.Join(system, "\n")
	if sys == "" {
		sys = m.System
	}
	if sys != "" {
		msgs = append([]record.Message{{Role: "system", Content: sys}}, msgs...)
	}
	rec := m.source().Meta(id, m.Stage, m.Persona, nil, msgs)
	if inv := rec.Validate(); inv != nil {
		return record.Conversation{}, inv.Reason, inv.Detail
	}
	return rec, "", ""
}

// labGenericIDs hands out row ids: the data's own id when it has one, else
// "line<n>"; a repeated id is reported so the row can be rejected.
type labGenericIDs map[string]bool

func (seen labGenericIDs) next(own string, line int) (string, bool) {
	id := strings.TrimSpace(own)
	if id == "" {
		id = fmt.Sprintf("line%06d", line)
	}
	if seen[id] {
		return id, false
	}
	seen[id] = true
	return id, true
}

// labJSONID reads an optional "id" that may be a string or a number.
func labJSONID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if len(raw) > 0 && raw[0] != '{' && raw[0] != '[' && string(raw) != "null" {
		return string(raw)
	}
	return ""
}

// labEachJSONRecord calls fn with every record of a JSONL file, or of a
// JSON array when the file starts with '[', and the line it starts on. A
// line of JSONL that does not parse is rejected and the next is read; a
// JSON array that stops parsing is rejected at that line and the rest of
// the file cannot be read.
func labEachJSONRecord(ctx context.Context, path string, fn func(line int, raw []byte) error, reject Reject) error {
	f, err := labOpen(path)
	if err != nil {
		return err
	}
	br := bufio.NewReader(f)
	first, err := labFirstByte(br)
	if err != nil {
		f.Close()
		return fmt.Errorf("read %s: %w", path, err)
	}
	if first != '[' {
		f.Close()
		return labEachLine(ctx, path, func(line int, raw []byte) error {
			if !json.Valid(raw) {
				var v any
				return labReject(reject, path, line, "bad_json", "%v", json.Unmarshal(raw, &v))
			}
			return fn(line, raw)
		})
	}
	defer f.Close()
	lc := &lineCounter{r: br}
	dec := json.NewDecoder(lc)
	if _, err := dec.Token(); err != nil {
		return labReject(reject, path, 1, "bad_json", "%v", err)
	}
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return labReject(reject, path, labJSONErrLine(lc, err), "bad_json", "%v; the rest of the array cannot be read", err)
		}
		if err := fn(lc.line(dec.InputOffset()-int64(len(raw))), raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return labReject(reject, path, labJSONErrLine(lc, err), "bad_json", "array not closed: %v", err)
	}
	return nil
}

// labJSONErrLine is the line a decoding error points at: the syntax
// error's offset, else (unexpected end of file) the last line read.
func labJSONErrLine(lc *lineCounter, err error) int {
	if se, ok := err.(*json.SyntaxError); ok {
		return lc.line(se.Offset)
	}
	return lc.line(max(lc.read-1, 0))
}

// labFirstByte peeks at the first byte that is not whitespace, after
// skipping a UTF-8 byte-order mark; 0 for an empty file.
func labFirstByte(br *bufio.Reader) (byte, error) {
	if b, _ := br.Peek(3); bytes.Equal(b, labBOM) {
		br.Discard(3)
	}
	b, err := br.Peek(1 << 12)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return 0, err
	}
	if rest := bytes.TrimLeft(b, " \t\r\n"); len(rest) > 0 {
		return rest[0], nil
	}
	return 0, nil
}

// OpenAIMessages loads a JSONL file of OpenAI chat records
// {"messages": [{"role", "content"}...]} or ShareGPT records
// {"conversations": [{"from": "human"|"gpt"|"system", "value"}...]}; an
// optional "id" field names the row. file is relative to the source folder
// unless absolute.
func OpenAIMessages(file string, meta GenericMeta) Loader {
	return func(ctx context.Context, dir string, emit Emit, reject Reject) error {
		m, err := meta.check()
		if err != nil {
			return err
		}
		path, seen := labGenericPath(dir, file), labGenericIDs{}
		return labEachJSONRecord(ctx, path, func(line int, raw []byte) error {
			var x struct {
				ID       json.RawMessage `json:"id"`
				Messages []struct {
					Role    string `json:"role"`
					Content any    `json:"content"`
				} `json:"messages"`
				Conversations []struct {
					From  string `json:"from"`
					Value string `json:"value"`
				} `json:"conversations"`
			}
			if err := json.Unmarshal(raw, &x); err != nil {
				return labReject(reject, path, line, "bad_json", "%v", err)
			}
			var turns []labTurn
			switch {
			case len(x.Messages) > 0:
				for i, msg := range x.Messages {
					role := strings.ToLower(strings.TrimSpace(msg.Role))
					if role != "system" && role != "user" && role != "assistant" {
						return labReject(reject, path, line, "unknown_role", "message %d has role %s", i, labValue(msg.Role))
					}
					text, ok := labContentText(msg.Content)
					if !ok {
						return labReject(reject, path, line, "bad_content", "message %d content is neither text nor text parts", i)
					}
					turns = append(turns, labTurn{role, text})
				}
			case len(x.Conversations) > 0:
				for i, c := range x.Conversations {
					role, ok := labShareGPTRoles[strings.ToLower(strings.TrimSpace(c.From))]
					if !ok {
						return labReject(reject, path, line, "unknown_role", "turn %d is from %s", i, labValue(c.From))
					}
					turns = append(turns, labTurn{role, c.Value})
				}
			default:
				return labReject(reject, path, line, "no_messages", "neither a messages nor a conversations list")
			}
			id, fresh := seen.next(labJSONID(x.ID), line)
			if !fresh {
				return labReject(reject, path, line, "duplicate_id", "id %s seen before", id)
			}
			rec, reason, detail := labGenericRecord(m, id, turns)
			if reason != "" {
				return labReject(reject, path, line, reason, "%s", detail)
			}
			return emit(rec)
		}, reject)
	}
}

// labShareGPTRoles maps ShareGPT speakers to roles.
var labShareGPTRoles = map[string]string{
	"human": "user", "user": "user",
	"gpt": "assistant", "assistant": "assistant", "chatgpt": "assistant", "bot": "assistant",
	"system": "system",
}

// labContentText reads OpenAI message content: a string, or a list of parts
// of which the text parts are joined by "\n".
func labContentText(c any) (string, bool) {
	switch v := c.(type) {
	case string:
		return v, true
	case []any:
		var parts []string
		for _, p := range v {
			part, ok := p.(map[string]any)
			if !ok {
				return "", false
			}
			if t, ok := part["text"].(string); ok {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, "\n"), true
	case nil:
		return "", true
	}
	return "", false
}

// Alpaca loads instruction data {"instruction", "input", "output"} (with an
// optional "system" and "id") from a JSON array or JSONL file: user =
// instruction, then input after a blank line when there is one; assistant
// = output.
func Alpaca(file string, meta GenericMeta) Loader {
	return func(ctx context.Context, dir string, emit Emit, reject Reject) error {
		m, err := meta.check()
		if err != nil {
			return err
		}
		path, seen := labGenericPath(dir, file), labGenericIDs{}
		return labEachJSONRecord(ctx, path, func(line int, raw []byte) error {
			var x struct {
				ID          json.RawMessage `json:"id"`
				Instruction string          `json:"instruction"`
				Input       string          `json:"input"`
				Output      string          `json:"output"`
				System      string          `json:"system"`
			}
			if err := json.Unmarshal(raw, &x); err != nil {
				return labReject(reject, path, line, "bad_json", "%v", err)
			}
			instr, input, output := strings.TrimSpace(x.Instruction), strings.TrimSpace(x.Input), strings.TrimSpace(x.Output)
			switch {
			case instr == "" && input == "":
				return labReject(reject, path, line, "empty_instruction", "no instruction or input")
			case output == "":
				return labReject(reject, path, line, "empty_answer", "no output")
			}
			user := instr
			if input != "" {
				user = strings.TrimSpace(instr + "\n\n" + input)
			}
			id, fresh := seen.next(labJSONID(x.ID), line)
			if !fresh {
				return labReject(reject, path, line, "duplicate_id", "id %s seen before", id)
			}
			turns := []labTurn{{"user", user}, {"assistant", output}}
			if s := strings.TrimSpace(x.System); s != "" {
				turns = append([]labTurn{{"system", s}}, turns...)
			}
			rec, reason, detail := labGenericRecord(m, id, turns)
			if reason != "" {
				return labReject(reject, path, line, reason, "%s", detail)
			}
			return emit(rec)
		}, reject)
	}
}

// CSV loads a CSV (or TSV) file with a header row, one conversation a row,
// through the column mapping cols.
func CSV(file string, cols CSVColumns, meta GenericMeta) Loader {
	return func(ctx context.Context, dir string, emit Emit, reject Reject) error {
		m, err := meta.check()
		if err != nil {
			return err
		}
		if cols.User == "" || cols.Assistant == "" {
			return fmt.Errorf("generic source %s: CSV needs the user and assistant columns (fix: set CSVColumns.User and .Assistant)", m.Name)
		}
		sep := cols.Sep
		if sep == 0 {
			sep = ','
			if strings.HasSuffix(strings.ToLower(file), ".tsv") {
				sep = '\t'
			}
		}
		t, err := OpenTable(labGenericPath(dir, file), sep)
		if err != nil {
			return err
		}
		for _, c := range []string{cols.User, cols.Assistant, cols.System, cols.ID} {
			if c != "" && !t.Has(c) {
				t.f.Close()
				return fmt.Errorf("generic source %s: %s has no column %q (fix: set CSVColumns to the header's names)", m.Name, t.Path, c)
			}
		}
		seen := labGenericIDs{}
		return t.Each(func(row Row) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			user, answer := strings.TrimSpace(row.Get(cols.User)), strings.TrimSpace(row.Get(cols.Assistant))
			switch {
			case user == "":
				return labReject(reject, t.Path, row.Line, "empty_question", "column %s is empty", cols.User)
			case answer == "":
				return labReject(reject, t.Path, row.Line, "empty_answer", "column %s is empty", cols.Assistant)
			}
			own := ""
			if cols.ID != "" {
				if own = row.Get(cols.ID); strings.TrimSpace(own) == "" {
					return labReject(reject, t.Path, row.Line, "missing_id", "column %s is empty", cols.ID)
				}
			}
			id, fresh := seen.next(own, row.Line)
			if !fresh {
				return labReject(reject, t.Path, row.Line, "duplicate_id", "id %s seen before", id)
			}
			turns := []labTurn{{"user", user}, {"assistant", answer}}
			if cols.System != "" {
				if s := strings.TrimSpace(row.Get(cols.System)); s != "" {
					turns = append([]labTurn{{"system", s}}, turns...)
				}
			}
			rec, reason, detail := labGenericRecord(m, id, turns)
			if reason != "" {
				return labReject(reject, t.Path, row.Line, reason, "%s", detail)
			}
			return emit(rec)
		}, reject)
	}
}
