package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the longest JSONL line read (16 MiB); longer lines are errors.
const MaxLine = 16 << 20

// LineError is a record that could not be read or is invalid, at a line of a
// file. It never carries the line's text: records may hold sensitive words.
type LineError struct {
	File   string
	Line   int
	Reason string
	Detail string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s line %d: %s: %s", e.File, e.Line, e.Reason, e.Detail)
}

// Read streams conversations from r. Each decoded record goes to fn; a line
// that is not valid JSON or fails Validate, or whose record fn rejects with a
// *LineError, goes to bad (with file and line) when bad is non-nil, and stops
// the read with that error when bad is nil.
func Read(r io.Reader, file string, fn func(Conversation) error, bad func(*LineError) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var c Conversation
		var lerr *LineError
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			lerr = &LineError{File: file, Line: line, Reason: "bad_json", Detail: jsonDetail(err) + " (fix: one JSON object per line, fields as in docs/record.md)"}
		} else if off := dec.InputOffset(); off != int64(len(raw)) {
			// Decode stops after the first value; the worker's json.loads
			// rejects anything after it, so Go must too.
			lerr = &LineError{File: file, Line: line, Reason: "bad_json", Detail: fmt.Sprintf("extra data after the JSON object at byte %d (fix: one JSON object per line)", off)}
		} else if inv := c.Validate(); inv != nil {
			lerr = &LineError{File: file, Line: line, Reason: inv.Reason, Detail: inv.Detail}
		}
		if lerr != nil {
			if bad == nil {
				return lerr
			}
			if err := bad(lerr); err != nil {
				return err
			}
			continue
		}
		if err := fn(c); err != nil {
			// fn rejects a record by returning a *LineError (a duplicate id,
			// say); it gets this line's file and number and goes to bad.
			var rej *LineError
			if !errors.As(err, &rej) {
				return err
			}
			rej.File, rej.Line = file, line
			if bad == nil {
				return rej
			}
			if err := bad(rej); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s line %d: %w", file, line+1, err)
	}
	return nil
}

// jsonDetail describes a decode error without echoing record text.
func jsonDetail(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %q has the wrong type (%s, want %s)", e.Field, e.Value, e.Type)
	}
	// Unknown-field errors name the field, which is schema, not content.
	return err.Error()
}

// Write encodes conversations as JSONL, one per line, without HTML escaping
// so the bytes match what the worker writes.
func Write(w io.Writer, convs []Conversation) error {
	for i := range convs {
		b, err := Marshal(&convs[i])
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// Marshal is one record's JSON line, without the trailing newline.
func Marshal(c *Conversation) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode %s: %w", c.ID, err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
