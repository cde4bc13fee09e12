// Package clean validates and repairs one conversation at a time, before PII
// scrubbing: it fixes broken text encodings, strips control characters,
// normalises Unicode, and rejects records that are empty, too long, too short
// or not in English, with stable snake_case reasons.
package clean

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// RepairText fixes the text damage public datasets carry and reports whether
// it changed anything. In order:
//
//  1. bytes that are not valid UTF-8 are read as Windows-1252 (CAMS's
//     added_CAMS_data.csv has raw 0x92 for ’ inside otherwise UTF-8 text);
//  2. mojibake, UTF-8 that was decoded as Windows-1252 or Latin-1 ("â€™" for
//     ’, "Ã©" for é, "ðŸ˜¢" for 😢) or as Mac Roman ("‚Äô" for ’), is
//     decoded back, up to three times for doubly or triply encoded text;
//  3. CR LF and lone CR become LF; control characters other than LF and tab,
//     and byte-order marks, are removed;
//  4. the text is normalised to NFC;
//  5. runs of more than two blank lines are cut to two.
//
// Legitimate text is left alone: a mojibake sequence is decoded only when it
// re-encodes to valid UTF-8 and the text ends up with fewer mojibake markers
// than it had, so "JOÃO" or "Straße…" do not change.
func RepairText(s string) (string, bool) {
	out := s
	if !utf8.ValidString(out) {
		out = decodeInvalidBytes(out)
	}
	for range 3 { // triple encoding is the worst seen in the wild
		fixed, ok := fixMojibake(out)
		if !ok {
			break
		}
		out = fixed
	}
	out = stripControls(out)
	out = norm.NFC.String(out)
	out = blankRun.ReplaceAllString(out, "\n\n\n")
	return out, out != s
}

// blankRun matches a line break followed by three or more blank lines
// (lines holding at most spaces and tabs).
var blankRun = regexp.MustCompile(`\n(?:[ \t]*\n){3,}`)

// cp1252Byte returns the Windows-1252 byte for r. The five bytes that
// Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1
// code points of the same value, as Python's latin-1 fallback writes them
// ("â€\x9d" for ”); charmap alone would refuse them.
func cp1252Byte(r rune) (byte, bool) {
	switch r {
	case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
		return byte(r), true
	}
	return charmap.Windows1252.EncodeRune(r)
}

// cp1252Rune decodes one Windows-1252 byte, with the same five undefined
// bytes mapped to C1 code points (stripped later as control characters).
func cp1252Rune(b byte) rune {
	switch b {
	case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
		return rune(b)
	}
	return charmap.Windows1252.DecodeByte(b)
}

// decodeInvalidBytes keeps valid UTF-8 as it is and reads every byte that is
// not part of a valid sequence as Windows-1252.
func decodeInvalidBytes(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(cp1252Rune(s[i]))
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// mojibakeAt looks for a mojibake sequence starting at rune i of rs: a lead
// character whose byte in a legacy code page starts a UTF-8 sequence of a
// kind mojibake typically comes from, followed by characters whose bytes are
// UTF-8 continuation bytes, together forming one valid UTF-8 character. It
// returns that character and the number of runes the sequence spans.
//
// Windows-1252 (and Latin-1) is the usual culprit. Only typical leads count:
// 0xC2 and 0xC3 (Latin-1 letters and signs: "Ã©", "Â£"), 0xE2 (punctuation
// and symbols: "â€™", "â€”"), 0xEF 0xBB 0xBF (a byte-order mark) and 0xF0
// 0x9F (emoji: "ðŸ˜¢"). Other leads decode to Latin Extended, Greek,
// Cyrillic, CJK and so on, where a false match costs more than a missed fix
// in English data: "ß…" would become U+07C5, and the "Ä¶" inside Mac Roman
// mojibake would become "Ķ".
//
// Mac Roman is the other one seen in the sources (IRF: "person‚Äôs",
// "because‚Ä¶"); there only the 0xE2 lead, "‚", counts.
func mojibakeAt(rs []rune, i int) (rune, int) {
	if r, n := decodeAs(rs, i, cp1252Byte, cp1252Lead); n > 0 {
		return r, n
	}
	if rs[i] == '‚' { // 0xE2 in Mac Roman
		return decodeAs(rs, i, macRomanByte, func(lead byte) int {
			if lead == 0xE2 {
				return 3
			}
			return 0
		})
	}
	return 0, 0
}

// cp1252Lead is the length of the UTF-8 sequence a typical Windows-1252
// mojibake lead starts, or 0.
func cp1252Lead(lead byte) int {
	switch {
	case lead == 0xC2 || lead == 0xC3:
		return 2
	case lead == 0xE2 || lead == 0xEF:
		return 3
	case lead == 0xF0:
		return 4
	}
	return 0
}

func macRomanByte(r rune) (byte, bool) { return charmap.Macintosh.EncodeRune(r) }

// decodeAs re-encodes the runes from i with byteOf and decodes them as one
// UTF-8 character if lead accepts the first byte.
func decodeAs(rs []rune, i int, byteOf func(rune) (byte, bool), lead func(byte) int) (rune, int) {
	first, ok := byteOf(rs[i])
	if !ok {
		return 0, 0
	}
	n := lead(first)
	if n == 0 || i+n > len(rs) {
		return 0, 0
	}
	var buf [4]byte
	buf[0] = first
	for k := 1; k < n; k++ {
		c, ok := byteOf(rs[i+k])
		if !ok || c < 0x80 || c > 0xBF {
			return 0, 0
		}
		buf[k] = c
	}
	switch {
	case first == 0xEF && (buf[1] != 0xBB || buf[2] != 0xBF):
		return 0, 0
	case first == 0xF0 && buf[1] != 0x9F:
		return 0, 0
	}
	r, size := utf8.DecodeRune(buf[:n])
	if r == utf8.RuneError || size != n {
		return 0, 0
	}
	return r, n
}

// mojibakeMarkers counts the mojibake sequences in rs plus stray C1 control
// characters, which legitimate text never holds.
func mojibakeMarkers(rs []rune) int {
	n := 0
	for i := 0; i < len(rs); i++ {
		if _, span := mojibakeAt(rs, i); span > 0 {
			n++
			i += span - 1
			continue
		}
		if rs[i] >= 0x80 && rs[i] <= 0x9F {
			n++
		}
	}
	return n
}

// fixMojibake decodes every mojibake sequence once. It reports false, and
// the text is kept, unless the result has fewer markers than the input.
func fixMojibake(s string) (string, bool) {
	if !hasLead(s) {
		return s, false // the common case: nothing that can start mojibake
	}
	rs := []rune(s)
	out := make([]rune, 0, len(rs))
	changed := false
	for i := 0; i < len(rs); i++ {
		if r, span := mojibakeAt(rs, i); span > 0 {
			out = append(out, r)
			i += span - 1
			changed = true
			continue
		}
		out = append(out, rs[i])
	}
	if !changed || mojibakeMarkers(out) >= mojibakeMarkers(rs) {
		return s, false
	}
	return string(out), true
}

// hasLead reports whether s holds any rune from Â (U+00C2) to ð (U+00F0)
// or a ‚, the only runes a mojibake sequence can start with.
func hasLead(s string) bool {
	for _, r := range s {
		if (r >= 0xC2 && r <= 0xF0) || r == '‚' {
			return true
		}
	}
	return false
}

// stripControls turns CR LF and lone CR into LF and drops control characters
// (C0, DEL, C1) other than LF and tab, and byte-order marks.
func stripControls(s string) string {
	clean := true
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\uFEFF' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\uFEFF' {
			return -1
		}
		return r
	}, s)
}
