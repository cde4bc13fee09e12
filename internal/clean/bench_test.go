package clean

import (
	"strings"
	"testing"
)

// BenchmarkEnglish measures the language check on a full 2,000-character
// sample, the most Check ever passes it.
func BenchmarkEnglish(b *testing.B) {
	text := strings.Repeat("I have been feeling anxious about work and I can't sleep. That sounds hard; what keeps you up? ", 25)[:LanguageSampleChars]
	for b.Loop() {
		English(text)
	}
}

// BenchmarkRepairText measures a turn with mojibake in it.
func BenchmarkRepairText(b *testing.B) {
	text := strings.Repeat("It doesnâ€™t help when people say â€œit gets betterâ€\u009d. ", 20)
	for b.Loop() {
		RepairText(text)
	}
}
