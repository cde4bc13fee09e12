package sources

import (
	"context"
	"strings"
	"testing"

	"pixel/internal/record"
)

var labTestMeta = GenericMeta{Name: "mydata", License: "CC0-1.0", Stage: "foundation", Language: "en"}

// labGenericRun runs a generic loader on dir and checks every record.
func labGenericRun(t *testing.T, l Loader, dir string) ([]record.Conversation, map[int]string) {
	t.Helper()
	var recs []record.Conversation
	rejects := map[int]string{}
	err := l(context.Background(), dir,
		func(c record.Conversation) error { recs = append(recs, c); return nil },
		func(r Rejected) error {
			if r.File == "" || r.Line <= 0 || r.Reason == "" {
				t.Fatalf("reject without file, line or reason: %+v", r)
			}
			rejects[r.Line] = r.Reason
			return nil
		})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if inv := r.Validate(); inv != nil || seen[r.ID] || !strings.HasPrefix(r.ID, "mydata-") || r.License != "CC0-1.0" ||
			len(r.Provenance) != 1 || r.Provenance[0].Step != "imported" {
			t.Fatalf("bad record %+v: %v", r, inv)
		}
		seen[r.ID] = true
	}
	return recs, rejects
}

func labRoles(c record.Conversation) string {
	var out []string
	for _, m := range c.Messages {
		out = append(out, m.Role)
	}
	return strings.Join(out, ",")
}

func TestOpenAIMessages(t *testing.T) {
	lines := []string{
		`{"id": "a", "messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "I feel low"}, {"role": "assistant", "content": "I'm here."}]}`,
		`{"conversations": [{"from": "gpt", "value": "Hello"}, {"from": "human", "value": "I feel low"}, {"from": "human", "value": "really low"}, {"from": "gpt", "value": "Tell me more."}, {"from": "human", "value": "thanks"}]}`,
		`{"messages": [{"role": "user", "content": "hi"}`, // 3: bad json
		`{"messages": [{"role": "tool", "content": "x"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}`, // 4
		`{"text": "no messages"}`,                                // 5
		`{"messages": [{"role": "user", "content": "anyone?"}]}`, // 6
		`{"messages": [{"role": "user", "content": "  "}, {"role": "assistant", "content": "hello"}]}`,            // 7
		`{"id": "a", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}`, // 8: duplicate id
		``, // 9: blank, skipped
		`{"id": 10, "messages": [{"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "part two"}]}, {"role": "assistant", "content": "ok"}]}`,
		`{"messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}, {"role": "assistant", "content": "hello"}]}`, // 11
		`[1, 2]`, // 12: not an object
	}
	dir := labWrite(t, map[string]string{"chats.jsonl": strings.Join(lines, "\n") + "\n"})
	recs, rejects := labGenericRun(t, OpenAIMessages("chats.jsonl", labTestMeta), dir)
	if len(recs) != 3 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	if recs[0].ID != "mydata-a" || labRoles(recs[0]) != "system,user,assistant" || recs[0].Stage != "foundation" || recs[0].Persona != "therapist" {
		t.Errorf("openai record %+v", recs[0])
	}
	if recs[1].ID != "mydata-line000002" || labRoles(recs[1]) != "user,assistant" || recs[1].Messages[0].Content != "I feel low\nreally low" {
		t.Errorf("sharegpt record %+v", recs[1])
	}
	if recs[2].ID != "mydata-10" || recs[2].Messages[0].Content != "part one\npart two" {
		t.Errorf("content parts record %+v", recs[2])
	}
	want := map[int]string{3: "bad_json", 4: "unknown_role", 5: "no_messages", 6: "no_assistant_turn", 7: "empty_turn",
		8: "duplicate_id", 11: "system_not_leading", 12: "bad_json"}
	for line, reason := range want {
		if rejects[line] != reason {
			t.Errorf("line %d: reject %q, want %q (all: %v)", line, rejects[line], reason, rejects)
		}
	}
	if len(rejects) != len(want) {
		t.Errorf("rejects %v", rejects)
	}
}

func TestOpenAIMessagesClientPersona(t *testing.T) {
	dir := labWrite(t, map[string]string{"c.jsonl": `{"messages": [{"role": "user", "content": "How are you?"}, {"role": "assistant", "content": "Fine, I guess."}]}` + "\n"})
	meta := labTestMeta
	meta.Persona, meta.Stage = "client", "voice"
	if recs, rejects := labGenericRun(t, OpenAIMessages("c.jsonl", meta), dir); len(recs) != 0 || rejects[1] != "client_without_system_prompt" {
		t.Fatalf("client record without a system prompt: %d records, rejects %v", len(recs), rejects)
	}
	meta.System = "You play a client in therapy; the user is the therapist."
	recs, _ := labGenericRun(t, OpenAIMessages("c.jsonl", meta), dir)
	if len(recs) != 1 || recs[0].Persona != "client" || recs[0].Messages[0].Content != meta.System {
		t.Fatalf("client records %+v", recs)
	}
	for _, bad := range []GenericMeta{{}, {Name: "x", License: "MIT", Language: "en", Stage: "warmup"}, {Name: "x", License: "MIT", Stage: "edge"}} {
		if err := OpenAIMessages("c.jsonl", bad)(context.Background(), dir, nil, nil); err == nil {
			t.Errorf("meta %+v accepted", bad)
		}
	}
	if err := OpenAIMessages("missing.jsonl", labTestMeta)(context.Background(), dir, nil, nil); err == nil {
		t.Error("a missing file loaded without error")
	}
}

func TestAlpaca(t *testing.T) {
	array := "\ufeff[\n" +
		`  {"instruction": "Comfort me.", "input": "My cat died.", "output": "I'm so sorry."},` + "\n" + // line 2
		`  {"instruction": "Say hi", "output": "Hi!", "system": "Be brief."},` + "\n" + // line 3
		`  {"instruction": "Empty", "output": "  "},` + "\n" + // line 4
		"  5,\n" + // line 5
		`  {"instruction": "Broken", "output": ` + "\n" // line 6: the array stops parsing
	jsonl := `{"id": "x1", "instruction": "Help", "output": "Sure."}` + "\n" + `{"instruction": "", "output": "orphan"}` + "\n"
	dir := labWrite(t, map[string]string{"a.json": array, "b.jsonl": jsonl})

	recs, rejects := labGenericRun(t, Alpaca("a.json", labTestMeta), dir)
	if len(recs) != 2 || recs[0].Messages[0].Content != "Comfort me.\n\nMy cat died." || recs[0].ID != "mydata-line000002" ||
		labRoles(recs[1]) != "system,user,assistant" {
		t.Fatalf("records %+v", recs)
	}
	if rejects[4] != "empty_answer" || rejects[5] != "bad_json" || rejects[6] != "bad_json" || len(rejects) != 3 {
		t.Fatalf("rejects %v", rejects)
	}

	// A syntax error inside the array is rejected at its own line.
	bad := "[\n" + `{"instruction": "a", "output": "b"},` + "\n" + `{"instruction": "a" "output": "b"},` + "\n" +
		strings.Repeat(`{"instruction": "c", "output": "d"},`+"\n", 500) + "]\n"
	recs, rejects = labGenericRun(t, Alpaca("c.json", labTestMeta), labWrite(t, map[string]string{"c.json": bad}))
	if len(recs) != 1 || len(rejects) != 1 || rejects[3] != "bad_json" {
		t.Fatalf("syntax error: %d records, rejects %v", len(recs), rejects)
	}

	recs, rejects = labGenericRun(t, Alpaca("b.jsonl", labTestMeta), dir)
	if len(recs) != 1 || recs[0].ID != "mydata-x1" || rejects[2] != "empty_instruction" {
		t.Fatalf("jsonl: records %+v rejects %v", recs, rejects)
	}
}

func TestCSVGeneric(t *testing.T) {
	csv := "rid,question,answer,sys\n" +
		"r1,I can't sleep,\"That sounds hard.\nTell me more.\",\n" + // lines 2-3
		"r2,Hello,,\n" + // line 4
		"r1,Again,Hi,\n" + // line 5
		",No id,Hi,\n" + // line 6
		"r3,Hi,Hello,Be warm.\n" // line 7
	tsv := "q\ta\nhow are you\tfine\n"
	dir := labWrite(t, map[string]string{"d.csv": csv, "e.tsv": tsv})
	cols := CSVColumns{User: "question", Assistant: "answer", System: "sys", ID: "rid"}
	recs, rejects := labGenericRun(t, CSV("d.csv", cols, labTestMeta), dir)
	if len(recs) != 2 || recs[0].ID != "mydata-r1" || recs[0].Messages[1].Content != "That sounds hard.\nTell me more." ||
		labRoles(recs[1]) != "system,user,assistant" {
		t.Fatalf("records %+v", recs)
	}
	if rejects[4] != "empty_answer" || rejects[5] != "duplicate_id" || rejects[6] != "missing_id" || len(rejects) != 3 {
		t.Fatalf("rejects %v", rejects)
	}
	recs, _ = labGenericRun(t, CSV("e.tsv", CSVColumns{User: "q", Assistant: "a"}, labTestMeta), dir)
	if len(recs) != 1 || recs[0].ID != "mydata-line000002" {
		t.Fatalf("tsv records %+v", recs)
	}
	if err := CSV("d.csv", CSVColumns{User: "prompt", Assistant: "answer"}, labTestMeta)(context.Background(), dir, nil, nil); err == nil ||
		!strings.Contains(err.Error(), `no column "prompt"`) {
		t.Fatalf("missing column: %v", err)
	}
}
