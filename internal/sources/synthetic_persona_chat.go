package sources

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"pixel/internal/record"
)

// syntheticPersonaChatSource reads Synthetic-Persona-Chat's valid and test
// splits: LLM-generated chit-chat between two users, each with persona
// sentences. They train voice and persona consistency, not therapy: user 1
// is the user, user 2 the assistant, and the system prompt gives user 2's
// persona.
var syntheticPersonaChatSource = bind(Source{
	Name:    "synthetic_persona_chat",
	Title:   "Synthetic-Persona-Chat: persona-grounded chit-chat generated with LLMs",
	License: "CC BY 4.0",
	Attribution: "Jandaghi, Sheng, Bai, Pujara, Sidahmed: Faithful Persona-based Conversational Dataset Generation with " +
		"Large Language Models (arXiv:2312.10007, 2023); github.com/google-research-datasets/Synthetic-Persona-Chat",
	Language: "en",
	Origin:   "github.com/google-research-datasets/Synthetic-Persona-Chat@1f367a0f05d388ca96ebbbc9e5752ab19ac76510",
	Files:    []string{"Synthetic-Persona-Chat_valid.csv", "Synthetic-Persona-Chat_test.csv"},
	Remote: map[string]string{
		"Synthetic-Persona-Chat_valid.csv": "data/Synthetic-Persona-Chat_valid.csv",
		"Synthetic-Persona-Chat_test.csv":  "data/Synthetic-Persona-Chat_test.csv",
	},
	Stage: "voice",
	Uses:  []Use{Train},
}, loadSyntheticPersonaChat)

// spcSpeaker matches a "User 1: ..." line, also with the markdown emphasis
// some generations wrap the tag in ("*User 1:* ...", "* * User 2: * * ...").
var spcSpeaker = regexp.MustCompile(`^[\s*]*User\s*([12])\s*:[\s*]*(.*)$`)

// spcDecoration is a line with no words, such as a "* * *" separator.
var spcDecoration = regexp.MustCompile(`^[\s*_=~#-]*$`)

func loadSyntheticPersonaChat(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	for _, split := range []string{"valid", "test"} {
		path := Path(dir, "Synthetic-Persona-Chat_"+split+".csv")
		t, err := OpenTable(path, ',')
		if err != nil {
			return err
		}
		for _, col := range []string{"user 2 personas", "Best Generated Conversation"} {
			if !t.Has(col) {
				t.f.Close()
				return fmt.Errorf("%s: no column %q (fix: use the dataset's own CSV)", path, col)
			}
		}
		row := 0
		err = t.Each(func(r Row) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			id := split + "-" + strconv.Itoa(row)
			row++
			bad := func(reason, format string, a ...any) error {
				return personaRejectf(reject, path, r.Line, reason, "row %s: "+format, append([]any{id}, a...)...)
			}
			persona := strings.TrimSpace(r.Get("user 2 personas"))
			if persona == "" {
				return bad("missing_persona", "user 2 personas is empty")
			}
			msgs, reason, detail := spcDialogue(r.Get("Best Generated Conversation"))
			if reason != "" {
				return bad(reason, "%s", detail)
			}
			labels := map[string]string{"kind": "persona_consistency", "split": split}
			return emit(src.Meta(id, "voice", "therapist", labels,
				personaWithSystem("You are speaking as this persona:\n"+persona, msgs)))
		}, reject)
		if err != nil {
			return err
		}
	}
	return nil
}

// spcDialogue parses a "User 1: ... / User 2: ..." conversation. Untagged
// lines continue the current speaker's turn (multi-line messages, stage
// directions); text before the first tag is refused rather than guessed.
func spcDialogue(conv string) (msgs []record.Message, reason, detail string) {
	if strings.TrimSpace(conv) == "" {
		return nil, "empty_conversation", "Best Generated Conversation is empty"
	}
	var turns personaTurns
	role, preamble := "", 0
	for i, line := range strings.Split(conv, "\n") {
		if m := spcSpeaker.FindStringSubmatch(line); m != nil {
			role = "user"
			if m[1] == "2" {
				role = "assistant"
			}
			text := m[2]
			if strings.HasPrefix(strings.TrimSpace(line), "*") {
				text = strings.TrimRight(text, " *") // the closing half of "* User 1: ... *"
			}
			turns.add(role, text, "\n")
			continue
		}
		if spcDecoration.MatchString(line) {
			continue
		}
		if role == "" {
			if preamble == 0 {
				preamble = i + 1
			}
			continue
		}
		turns.add(role, line, "\n")
	}
	if role == "" {
		return nil, "no_speaker_tags", "no User 1/User 2 speaker tag"
	}
	if preamble > 0 {
		return nil, "untagged_preamble", fmt.Sprintf("conversation line %d has text before the first speaker tag", preamble)
	}
	if msgs = turns.dialogue(); msgs == nil {
		return nil, "no_assistant_turn", "no User 1 turn answered by User 2"
	}
	return msgs, "", ""
}
