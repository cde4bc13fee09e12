package sources

// Helpers shared by the conversation adapters of the "conv" group (esconv,
// counselchat, mi_boosting_welivita, epitome, bolt). Names carry the conv
// prefix so they never clash with other adapters' helpers in this package.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"pixel/internal/record"
)

// convTurn is one speaker turn before it becomes a message. Tags carry
// per-turn annotations (an ESConv strategy, an MI code) through merging.
type convTurn struct {
	Role string // "user" or "assistant"
	Text string
	Tags []string
}

// convMerge shapes raw turns into a training conversation: text trimmed,
// empty turns skipped, consecutive turns of one speaker merged (text joined
// by "\n", tags appended), started at the first user turn (a helper's
// greeting before the seeker speaks is not trained on) and ended at the last
// assistant turn (a seeker's last word has no reply to learn). reason is a
// reject code when no user turn followed by an assistant turn is left.
func convMerge(in []convTurn) (out []convTurn, reason string) {
	for _, t := range in {
		t.Text = strings.TrimSpace(t.Text)
		if t.Text == "" {
			continue
		}
		if len(out) == 0 && t.Role != "user" {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == t.Role {
			out[n-1].Text += "\n" + t.Text
			out[n-1].Tags = append(out[n-1].Tags, t.Tags...)
			continue
		}
		t.Tags = append([]string(nil), t.Tags...)
		out = append(out, t)
	}
	if len(out) > 0 && out[len(out)-1].Role == "user" {
		out = out[:len(out)-1]
	}
	if len(out) == 0 {
		// Either nobody but the helper spoke, or the seeker spoke and got no reply.
		for _, t := range in {
			if t.Role == "user" && strings.TrimSpace(t.Text) != "" {
				return nil, "no_assistant_turn"
			}
		}
		return nil, "no_user_turn"
	}
	return out, ""
}

// convMessages turns merged turns into messages, with an optional leading
// system prompt.
func convMessages(system string, turns []convTurn) []record.Message {
	msgs := make([]record.Message, 0, len(turns)+1)
	if system != "" {
		msgs = append(msgs, record.Message{Role: "system", Content: system})
	}
	for _, t := range turns {
		msgs = append(msgs, record.Message{Role: t.Role, Content: t.Text})
	}
	return msgs
}

// convQuestion is a forum question as one user message: the title, then the
// body, or the body alone when it already opens with the title.
func convQuestion(title, text string) string {
	title, text = strings.TrimSpace(title), strings.TrimSpace(text)
	switch {
	case title == "":
		return text
	case text == "":
		return title
	case strings.HasPrefix(strings.ToLower(text), strings.ToLower(title)):
		return text
	}
	return title + "\n" + text
}

// convSplit names a dataset's split the project's way: train, valid or test.
func convSplit(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "val", "dev", "validation":
		return "valid"
	}
	return s
}

// convIDPart makes a dataset's own identifier safe inside a record id:
// letters, digits, '_' and '.' kept, runs of anything else become one '-'.
func convIDPart(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.TrimSpace(s) {
		ok := r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// convJSONLines calls fn for each non-blank line of a JSONL file with its
// 1-based line number. Lines may be of any length.
func convJSONLines(path string, fn func(line int, raw []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w (fix: get the source with `pixel data fetch` or point data.root at the datasets)", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			if ferr := fn(line, b); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s line %d: %w", path, line, err)
		}
	}
}

// convJSONArray streams the elements of a file holding one JSON array,
// calling fn with each element's raw bytes and the line it starts on. A
// syntax error ends the file (nothing after it can be trusted) and goes to
// reject as bad_json with its line.
func convJSONArray(path string, fn func(line int, raw json.RawMessage) error, reject Reject) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w (fix: get the source with `pixel data fetch` or point data.root at the datasets)", err)
	}
	defer f.Close()
	lines := &lineCounter{r: f}
	dec := json.NewDecoder(lines)
	bad := func(err error) error {
		var syn *json.SyntaxError
		if !errors.As(err, &syn) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: %w", path, err)
		}
		// Report the line the broken element starts on: past the offset
		// the decoder stopped at, skip the whitespace it has buffered.
		at := dec.InputOffset()
		rest, _ := io.ReadAll(dec.Buffered())
		at += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		return reject(Rejected{File: path, Line: lines.line(at), Reason: "bad_json", Detail: err.Error() + "; the rest of the file is skipped"})
	}
	tok, err := dec.Token()
	if err != nil {
		return bad(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return reject(Rejected{File: path, Line: 1, Reason: "bad_json", Detail: "top level is not a JSON array"})
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad(err)
		}
		start := dec.InputOffset() - int64(len(raw))
		if err := fn(lines.line(start), raw); err != nil {
			return err
		}
	}
	return nil
}
