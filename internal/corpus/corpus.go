// Package corpus is the demo corpus embedded in the pixel binary: English
// multi-turn conversations written by the project for the four curriculum
// stages, and a fixed prompt set for evaluation. Nothing in it is copied from
// a dataset.
package corpus

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"sort"

	"pixel/internal/record"
)

//go:embed demo/*.jsonl
var demoFS embed.FS

// Embedded is the name configs use for the demo corpus and prompts.
const Embedded = "embedded:demo"

// Demo returns the embedded conversations, validated, hashed and sorted by id.
// A record that fails validation is a bug in the binary, so it is an error.
func Demo() ([]record.Conversation, error) {
	var out []record.Conversation
	for _, stage := range record.Stages {
		name := path.Join("demo", stage+".jsonl")
		b, err := demoFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("embedded corpus: %w", err)
		}
		err = record.Read(bytes.NewReader(b), "embedded:"+name, func(c record.Conversation) error {
			c.Seal()
			out = append(out, c)
			return nil
		}, nil)
		if err != nil {
			return nil, fmt.Errorf("embedded corpus: %w", err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Prompt is one fixed evaluation prompt: the messages up to the turn the
// model must answer.
type Prompt struct {
	ID       string           `json:"id"`
	Stage    string           `json:"stage"`
	Persona  string           `json:"persona"`
	Messages []record.Message `json:"messages"`
}

// DemoPrompts returns the embedded evaluation prompts, raw JSONL.
func DemoPrompts() []byte {
	b, err := demoFS.ReadFile("demo/eval_prompts.jsonl")
	if err != nil {
		panic(err) // embedded at build time: absence is a build bug
	}
	return b
}
