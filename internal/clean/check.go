package clean

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"pixel/internal/record"
)

// Limits bounds a conversation's size. Lengths are counted in characters
// (Unicode code points) of user and assistant turns; system prompts are ours,
// not the data's, and are not counted.
type Limits struct {
	MinChars     int // all user and assistant turns together must reach this
	MaxTurnChars int // no single user or assistant turn may exceed this
	MaxTurns     int // at most this many user and assistant turns
}

// Validate says which limit is unusable and how to fix it.
func (l Limits) Validate() error {
	switch {
	case l.MinChars < 0:
		return fmt.Errorf("min_chars=%d must be >= 0", l.MinChars)
	case l.MaxTurnChars < 1:
		return fmt.Errorf("max_turn_chars=%d must be >= 1", l.MaxTurnChars)
	case l.MaxTurns < 2:
		return fmt.Errorf("max_turns=%d must be >= 2 (a user and an assistant turn)", l.MaxTurns)
	}
	return nil
}

// LanguageSampleChars is how much of a conversation the language check reads:
// enough for a confident verdict, cheap on long transcripts.
const LanguageSampleChars = 600

// Reasons Check returns, stable for drop counts and quarantine files.
const (
	EmptyTurn    = "empty_turn"
	TurnTooLong  = "turn_too_long"
	TooManyTurns = "too_many_turns"
	TooShort     = "too_short"
	NotEnglish   = "not_english"
)

// Check repairs every message of c in place with RepairText, then says why the
// conversation should be dropped, or "" to keep it. repaired reports whether
// any message changed. Checks run in this order: empty_turn (a message that is
// blank after repair), turn_too_long, too_many_turns, too_short, not_english
// (on the first LanguageSampleChars characters of the user and assistant
// turns joined). lim must have passed Validate.
func Check(c *record.Conversation, lim Limits) (reason string, repaired bool) {
	for i := range c.Messages {
		if fixed, changed := RepairText(c.Messages[i].Content); changed {
			c.Messages[i].Content = fixed
			repaired = true
		}
	}
	for _, m := range c.Messages {
		if strings.TrimSpace(m.Content) == "" {
			return EmptyTurn, repaired
		}
	}
	turns, total := 0, 0
	for _, m := range c.Messages {
		if m.Role == "system" {
			continue
		}
		n := utf8.RuneCountInString(m.Content)
		if n > lim.MaxTurnChars {
			return TurnTooLong, repaired
		}
		turns++
		total += n
	}
	if turns > lim.MaxTurns {
		return TooManyTurns, repaired
	}
	if total < lim.MinChars {
		return TooShort, repaired
	}
	if ok, _ := English(languageSample(c.Messages)); !ok {
		return NotEnglish, repaired
	}
	return "", repaired
}

// languageSample joins the user and assistant turns with newlines and keeps
// the first LanguageSampleChars characters.
func languageSample(msgs []record.Message) string {
	var b strings.Builder
	n := 0
	for _, m := range msgs {
		if m.Role == "system" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
			n++
		}
		for _, r := range m.Content {
			if n >= LanguageSampleChars {
				return b.String()
			}
			b.WriteRune(r)
			n++
		}
	}
	return b.String()
}
