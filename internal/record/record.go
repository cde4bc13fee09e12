// Package record is Pixel's canonical conversation: OpenAI-style messages plus
// the metadata every data step relies on. The worker's pixel_worker.record
// reads the same JSON; testdata/records holds the vectors both sides test.
package record

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
)

// Message is one turn. Role is system, user or assistant.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Step is one link of a record's provenance chain: where it came from and
// what produced it.
type Step struct {
	Source string `json:"source"`
	ID     string `json:"id"`
	Step   string `json:"step"`
}

// Conversation is the one record type that flows through every data step.
type Conversation struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	License     string            `json:"license"`
	Language    string            `json:"language"`
	Stage       string            `json:"stage"`   // foundation | expertise | edge | voice
	Persona     string            `json:"persona"` // therapist | client: who the assistant plays
	Provenance  []Step            `json:"provenance"`
	ContentHash string            `json:"content_hash,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Messages    []Message         `json:"messages"`
}

// Stages and Personas are the values Stage and Persona may take.
var (
	Stages   = []string{"foundation", "expertise", "edge", "voice"}
	Personas = []string{"therapist", "client"}
)

// Hash is the content hash of a message list: sha256 over role, 0x1f,
// content, 0x1e for each message, as "sha256:<hex>". Metadata is left out,
// so the same conversation from two sources hashes the same.
func Hash(msgs []Message) string {
	h := sha256.New()
	for _, m := range msgs {
		h.Write([]byte(m.Role))
		h.Write([]byte{0x1f})
		h.Write([]byte(m.Content))
		h.Write([]byte{0x1e})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Invalid says why a record was rejected. Reason is a stable code used for
// quarantine counts; Detail never quotes message text.
type Invalid struct {
	Reason string
	Detail string
}

func (e *Invalid) Error() string { return e.Reason + ": " + e.Detail }

// Validate checks a record against the schema: required metadata, known
// stage and persona, roles in order (optional leading system, then user and
// assistant alternating, ending with the assistant), no empty turns, a
// system prompt for the client persona, and a matching content hash.
func (c *Conversation) Validate() *Invalid {
	bad := func(reason, format string, a ...any) *Invalid {
		return &Invalid{Reason: reason, Detail: fmt.Sprintf(format, a...)}
	}
	switch {
	case c.ID == "":
		return bad("missing_id", "id is empty")
	case c.Source == "":
		return bad("missing_source", "source is empty")
	case c.License == "":
		return bad("missing_license", "license is empty")
	case c.Language == "":
		return bad("missing_language", "language is empty")
	case !slices.Contains(Stages, c.Stage):
		return bad("unknown_stage", "stage %q is not one of %v", c.Stage, Stages)
	case !slices.Contains(Personas, c.Persona):
		return bad("unknown_persona", "persona %q is not one of %v", c.Persona, Personas)
	case len(c.Provenance) == 0:
		return bad("missing_provenance", "provenance is empty")
	}
	msgs := c.Messages
	if len(msgs) > 0 && msgs[0].Role == "system" {
		msgs = msgs[1:]
	} else if c.Persona == "client" {
		return bad("client_without_system_prompt", "persona client needs a system prompt that says the assistant plays the client")
	}
	if len(msgs) < 2 {
		return bad("too_few_turns", "%d turns after the system prompt; need a user and an assistant turn", len(msgs))
	}
	for i, m := range c.Messages {
		if m.Content == "" {
			return bad("empty_turn", "message %d (%s) is empty", i, m.Role)
		}
	}
	for i, m := range msgs {
		want := "user"
		if i%2 == 1 {
			want = "assistant"
		}
		if m.Role != want {
			return bad("roles_not_alternating", "turn %d has role %q, want %q", i, m.Role, want)
		}
	}
	if msgs[len(msgs)-1].Role != "assistant" {
		return bad("ends_without_assistant", "last turn is %q; a training conversation ends with the assistant", msgs[len(msgs)-1].Role)
	}
	if c.ContentHash != "" && c.ContentHash != Hash(c.Messages) {
		return bad("content_hash_mismatch", "content_hash does not match the messages")
	}
	return nil
}

// Seal fills the content hash.
func (c *Conversation) Seal() { c.ContentHash = Hash(c.Messages) }
