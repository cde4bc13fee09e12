package clean

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"pixel/internal/datatest"
)

func TestRepairText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Rows of CAMS (shared/data/cams), quoted from the files.
		{"cams added row 17: raw cp1252 byte", "I just don\x92t enjoy anything  ", "I just don’t enjoy anything  "},
		{"cams added row 73: raw cp1252 ellipsis", "I don't know where to head next\x85", "I don't know where to head next…"},
		{"cams added row 44: undefined cp1252 byte dropped", "friends\x9d never talk to me", "friends never talk to me"},
		{"cams added row 602: raw byte beside valid UTF-8", "don\x92t care about myself, don\xe2\x80\x99t s", "don’t care about myself, don’t s"},
		{"cams intent row 8: curly quotes, closing one via C1", "throwing me the â€œwhat if?â€\u009d and I won't", "throwing me the “what if?” and I won't"},
		{"cams intent row 39: em dashes", "I was at Sagres â€”the end of the worldâ€” today", "I was at Sagres —the end of the world— today"},
		{"cams intent row 43: left quote", "praying for better dayâ€˜s.", "praying for better day‘s."},
		{"irf train: mac roman apostrophe and ellipsis", "that does to a person‚Äôs psyche‚Ä¶ I like", "that does to a person’s psyche… I like"},
		{"mac roman quotes and dash", "‚Äúyes‚Äù ‚Äî no", "“yes” — no"},
		{"latin-1 accent", "cafÃ© and naÃ¯ve", "café and naïve"},
		{"apostrophe", "it doesnâ€™t help", "it doesn’t help"},
		{"emoji", "I need friends ðŸ˜¢", "I need friends 😢"},
		{"nbsp and pound", "costs Â£5 nowÂ\u00a0ok", "costs £5 now\u00a0ok"},
		{"double encoded apostrophe", "it doesnÃ¢â‚¬â„¢t help", "it doesn’t help"},
		{"double encoded accent", "cafÃƒÂ©", "café"},
		{"mojibake beside a real accent", "éâ€™s", "é’s"},
		{"mojibake beside a real emoji", "😢â€œhi", "😢“hi"},
		{"bom", "\uFEFFhello", "hello"},
		{"utf-8 bom as mojibake", "ï»¿hello", "hello"},
		{"controls", "a\x00b\x07c\x1bd\x7fe\u0085f", "abcdef"},
		{"crlf and cr", "one\r\ntwo\rthree", "one\ntwo\nthree"},
		{"nfc", "cafe\u0301", "café"},
		{"four blank lines cut to two", "a\n\n\n\n\nb", "a\n\n\nb"},
		{"blank lines with spaces", "a\n \n\t\n  \n\nb", "a\n\n\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := RepairText(tt.in)
			if got != tt.want {
				t.Errorf("RepairText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !changed {
				t.Errorf("RepairText(%q) reported no change", tt.in)
			}
		})
	}
}

func TestRepairTextLeavesCleanTextAlone(t *testing.T) {
	clean := []string{
		"",
		"I feel anxious about my exams.\n\nWhat can I do?",
		"two blank lines stay\n\n\nhere",
		"tabs\tstay",
		"JOÃO DA SILVA mora em SÃO PAULO", // Portuguese Ã, not mojibake
		"Ã",
		"Fuß…", // ß before … would be a valid UTF-8 pair, but not a mojibake one
		"Straße “quoted”",
		"naïve café, São Paulo, Zürich, Ñandú, Øresund, Łódź",
		"It’s “fine” — really… €5, ½ cup, 20°C, © 2020, ™",
		"Â is a letter; so is Å in Ångström and Ä in Äpfel",
		"I need friends 😢🙏 👩‍👩‍👧", // ZWJ sequences are format characters, kept
		"日本語のテキスト and Ελληνικά and русский",
		"ready? â or ã or ð alone",
		"German ‚einfache‘ Anführungszeichen",
		"Ä¶ and Å‚ are left alone", // would decode to Ķ and ł: too rare to risk
	}
	for _, s := range clean {
		t.Run(s, func(t *testing.T) {
			got, changed := RepairText(s)
			if changed || got != s {
				t.Errorf("RepairText(%q) = %q, changed=%v; want it unchanged", s, got, changed)
			}
		})
	}
}

// TestRepairTextOnSharedData runs RepairText over every field of the source
// files known to hold broken encodings and checks that none is left.
func TestRepairTextOnSharedData(t *testing.T) {
	dir := datatest.Root(t)
	tests := []struct {
		file       string
		minChanged int // fields holding damage, a little under the count measured
	}{
		{"cams/added_CAMS_data.csv", 100},      // raw cp1252 bytes: 127 in 114 fields
		{"cams/IntentSDCNL_Training.csv", 150}, // cp1252 mojibake: ~440 sequences
		{"cams/IntentSDCNL_Testing.csv", 30},
		{"irf/train_data.csv", 400}, // Mac Roman mojibake: ‚Äô for ’
		{"irf/test_data.csv", 200},
		{"irf/val_data.csv", 100},
	}
	markers := []string{"â€", "Ã©", "Ã¶", "Â£", "Â·", "ðŸ", "‚Ä", "\u009d", "\uFFFD"}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r := csv.NewReader(f)
			r.FieldsPerRecord = -1
			changed := 0
			for line := 1; ; line++ {
				rec, err := r.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s record %d: %v", tt.file, line, err)
				}
				for _, field := range rec {
					got, ch := RepairText(field)
					if ch && strings.TrimSpace(got) != strings.TrimSpace(field) {
						changed++
					}
					if !utf8.ValidString(got) {
						t.Errorf("%s record %d: still invalid UTF-8 after repair", tt.file, line)
					}
					for _, m := range markers {
						if strings.Contains(got, m) {
							t.Errorf("%s record %d: %q left after repair: %q", tt.file, line, m, excerpt(got, m))
						}
					}
				}
			}
			if changed < tt.minChanged {
				t.Errorf("%s: %d fields repaired, want at least %d", tt.file, changed, tt.minChanged)
			}
			t.Logf("%s: %d fields repaired", tt.file, changed)
		})
	}
}

func excerpt(s, around string) string {
	i := strings.Index(s, around)
	lo, hi := max(0, i-30), min(len(s), i+len(around)+30)
	return s[lo:hi]
}
