package sources

// Helpers shared by the persona group's adapters (annomi, mibot,
// patient_psi, synthetic_persona_chat). Prefixed "persona" so they do not
// clash with other groups' helpers in this package.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"pixel/internal/record"
)

// personaRolePlayStep is the provenance step of every role-swap record:
// the assistant plays the client, the user is the therapist.
const personaRolePlayStep = "derived:role_swap"

// personaTurns builds a message list turn by turn: consecutive texts of the
// same role are merged into one message, joined by sep (the caller picks
// "\n" or " "), and empty texts are ignored.
type personaTurns struct {
	msgs []record.Message
}

// add appends text as role, merging with the previous message when it has
// the same role. It reports whether the text was non-empty.
func (p *personaTurns) add(role, text, sep string) bool {
	text = strings.TrimSpace(text)
	if text == "" {
		return false
	}
	if n := len(p.msgs); n > 0 && p.msgs[n-1].Role == role {
		p.msgs[n-1].Content += sep + text
		return true
	}
	p.msgs = append(p.msgs, record.Message{Role: role, Content: text})
	return true
}

// dialogue returns the messages trimmed to a training conversation: it
// starts at the first user turn and ends at the last assistant turn. It
// returns nil when no user turn is followed by an assistant turn.
func (p *personaTurns) dialogue() []record.Message {
	msgs := p.msgs
	for len(msgs) > 0 && msgs[0].Role != "user" {
		msgs = msgs[1:]
	}
	for len(msgs) > 0 && msgs[len(msgs)-1].Role != "assistant" {
		msgs = msgs[:len(msgs)-1]
	}
	if len(msgs) < 2 {
		return nil
	}
	return append([]record.Message(nil), msgs...)
}

// personaWithSystem puts a system prompt in front of msgs.
func personaWithSystem(system string, msgs []record.Message) []record.Message {
	return append([]record.Message{{Role: "system", Content: system}}, msgs...)
}

// personaLineAt returns the 1-based line of the first byte at or after
// offset in path that is not whitespace or a comma: the start of the JSON
// value a json.Decoder was about to read at that offset. It re-reads the
// file, which is fine because it only runs for rejects.
func personaLineAt(path string, offset int64) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	r := bufio.NewReader(f)
	line := 1
	for i := int64(0); ; i++ {
		b, err := r.ReadByte()
		if err == io.EOF || err != nil {
			return line
		}
		if i >= offset && !strings.ContainsRune(" \t\r\n,", rune(b)) {
			return line
		}
		if b == '\n' {
			line++
		}
	}
}

// personaLineAtLazy defers personaLineAt until a reject needs the line.
func personaLineAtLazy(path string, offset int64) func() int {
	return func() int { return personaLineAt(path, offset) }
}

// personaRejectf sends one reject with a formatted detail.
func personaRejectf(reject Reject, file string, line int, reason, format string, a ...any) error {
	return reject(Rejected{File: file, Line: line, Reason: reason, Detail: fmt.Sprintf(format, a...)})
}
