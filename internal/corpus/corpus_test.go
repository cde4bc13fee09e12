package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"pixel/internal/record"
)

func TestDemo(t *testing.T) {
	convs, err := Demo()
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) < 120 {
		t.Fatalf("Demo() has %d conversations; want >= 120", len(convs))
	}
	if !slices.IsSortedFunc(convs, func(a, b record.Conversation) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("Demo() is not sorted by id")
	}
	ids := map[string]bool{}
	byStage := map[string][]record.Conversation{}
	for _, c := range convs {
		if inv := c.Validate(); inv != nil {
			t.Errorf("%s: %v", c.ID, inv)
		}
		if c.ContentHash != record.Hash(c.Messages) {
			t.Errorf("%s: not sealed", c.ID)
		}
		if ids[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		ids[c.ID] = true
		assistant := 0
		for _, m := range c.Messages {
			if m.Role == "assistant" {
				assistant++
			}
		}
		if assistant < 2 {
			t.Errorf("%s has %d assistant turns; want a multi-turn conversation", c.ID, assistant)
		}
		if c.Persona == "client" && !strings.Contains(strings.ToLower(c.Messages[0].Content), "client") {
			t.Errorf("%s: client persona whose system prompt does not say the assistant plays the client", c.ID)
		}
		byStage[c.Stage] = append(byStage[c.Stage], c)
	}

	shares := map[string]float64{"foundation": 0.40, "expertise": 0.25, "edge": 0.20, "voice": 0.15}
	for stage, want := range shares {
		t.Run(stage, func(t *testing.T) {
			got := float64(len(byStage[stage])) / float64(len(convs))
			if math.Abs(got-want) > 0.02 {
				t.Errorf("%d of %d conversations (%.3f); want %.2f ± 0.02", len(byStage[stage]), len(convs), got, want)
			}
		})
	}

	crisis := 0
	for _, c := range byStage["edge"] {
		for _, m := range c.Messages {
			if strings.Contains(m.Content, "988") {
				crisis++
				break
			}
		}
	}
	if 2*crisis < len(byStage["edge"]) {
		t.Errorf("%d of %d edge conversations give a crisis line (988); want at least half", crisis, len(byStage["edge"]))
	}
}

func TestDemoPrompts(t *testing.T) {
	raw := DemoPrompts()
	sc := bufio.NewScanner(bytes.NewReader(raw))
	stages := map[string]int{}
	client, n := 0, 0
	ids := map[string]bool{}
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		n++
		var p Prompt
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("prompt line %d: %v", n, err)
		}
		if p.ID == "" || ids[p.ID] {
			t.Errorf("prompt line %d: empty or duplicate id %q", n, p.ID)
		}
		ids[p.ID] = true
		if !slices.Contains(record.Stages, p.Stage) || !slices.Contains(record.Personas, p.Persona) {
			t.Errorf("%s: stage %q persona %q", p.ID, p.Stage, p.Persona)
		}
		if len(p.Messages) == 0 || p.Messages[len(p.Messages)-1].Role != "user" {
			t.Errorf("%s does not end with a user turn", p.ID)
		}
		for _, m := range p.Messages {
			if m.Content == "" {
				t.Errorf("%s has an empty %s turn", p.ID, m.Role)
			}
		}
		if p.Persona == "client" {
			client++
			if p.Messages[0].Role != "system" || !strings.Contains(strings.ToLower(p.Messages[0].Content), "client") {
				t.Errorf("%s: client prompt without a client system prompt", p.ID)
			}
		}
		stages[p.Stage]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, s := range record.Stages {
		if stages[s] == 0 {
			t.Errorf("no prompt for stage %s", s)
		}
	}
	if client == 0 {
		t.Error("no client-persona prompt")
	}
}
