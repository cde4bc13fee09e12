package clean

import (
	"strings"
	"testing"

	"pixel/internal/record"
)

func conv(msgs ...string) *record.Conversation {
	c := &record.Conversation{ID: "t-1", Source: "test"}
	for i, m := range msgs {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		c.Messages = append(c.Messages, record.Message{Role: role, Content: m})
	}
	return c
}

func withSystem(c *record.Conversation, prompt string) *record.Conversation {
	c.Messages = append([]record.Message{{Role: "system", Content: prompt}}, c.Messages...)
	return c
}

func TestCheck(t *testing.T) {
	lim := Limits{MinChars: 20, MaxTurnChars: 200, MaxTurns: 4}
	user := "I have been feeling anxious about work lately."
	reply := "That sounds stressful. What part of work worries you most?"
	spanish := "No sé qué hacer, me siento muy triste y solo todos los días."
	tests := []struct {
		name         string
		c            *record.Conversation
		wantReason   string
		wantRepaired bool
	}{
		{"ok", conv(user, reply), "", false},
		{"ok with long system prompt", withSystem(conv(user, reply), strings.Repeat("be kind. ", 100)), "", false},
		{"short english replies pass", conv("hi", "hello, how are you today?"), "", false},
		{"repaired", conv("I donâ€™t know what to do anymore.", reply), "", true},
		{"repaired raw byte", conv("I don\x92t know what to do anymore.", reply), "", true},
		{"empty turn", conv(user, ""), EmptyTurn, false},
		{"blank turn", conv(user, " \n\t"), EmptyTurn, false},
		{"turn of control characters only", conv(user, "\x00\x01"), EmptyTurn, true},
		{"turn too long", conv(user, strings.Repeat("a", 201)), TurnTooLong, false},
		{"turn at the limit", conv(user, strings.Repeat("é", 200)), "", false},
		{"too many turns", conv(user, reply, user, reply, user, reply), TooManyTurns, false},
		{"system prompt is not a turn", withSystem(conv(user, reply, user, reply), "You are a counsellor."), "", false},
		{"too short", conv("hi", "hey"), TooShort, false},
		{"not english", conv(spanish, "Lo siento mucho, ¿quieres contarme qué pasó hoy?"), NotEnglish, false},
		{"english sample wins over a spanish aside", conv(user+" "+user, reply+" Lo siento."), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, repaired := Check(tt.c, lim)
			if reason != tt.wantReason || repaired != tt.wantRepaired {
				t.Errorf("Check = (%q, %v), want (%q, %v)", reason, repaired, tt.wantReason, tt.wantRepaired)
			}
		})
	}
}

func TestCheckRepairsInPlace(t *testing.T) {
	c := conv("I donâ€™t know.\x00", "CafÃ© sounds good.\r\n\n\n\n\nBye")
	Check(c, Limits{MinChars: 1, MaxTurnChars: 100, MaxTurns: 2})
	want := []string{"I don’t know.", "Café sounds good.\n\n\nBye"}
	for i, m := range c.Messages {
		if m.Content != want[i] {
			t.Errorf("message %d = %q, want %q", i, m.Content, want[i])
		}
	}
}

func TestLanguageSample(t *testing.T) {
	long := strings.Repeat("ab", LanguageSampleChars)
	c := withSystem(conv("x", long), "system prompt is skipped")
	got := languageSample(c.Messages)
	if n := len([]rune(got)); n != LanguageSampleChars {
		t.Errorf("sample has %d characters, want %d", n, LanguageSampleChars)
	}
	if !strings.HasPrefix(got, "x\nab") {
		t.Errorf("sample starts %q, want the user turn, a newline, then the assistant turn", got[:8])
	}
}

func TestLimitsValidate(t *testing.T) {
	tests := []struct {
		lim  Limits
		want string // substring of the error, "" for valid
	}{
		{Limits{MinChars: 0, MaxTurnChars: 1, MaxTurns: 2}, ""},
		{Limits{MinChars: -1, MaxTurnChars: 1, MaxTurns: 2}, "min_chars=-1"},
		{Limits{MinChars: 0, MaxTurnChars: 0, MaxTurns: 2}, "max_turn_chars=0"},
		{Limits{MinChars: 0, MaxTurnChars: 1, MaxTurns: 1}, "max_turns=1"},
	}
	for _, tt := range tests {
		err := tt.lim.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tt.lim, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: error %v, want one naming %q", tt.lim, err, tt.want)
		}
	}
}
