// Package dedup finds exact and near-duplicate conversations across sources.
//
// Two conversations are exact duplicates when their normalised user and
// assistant text is the same (case, punctuation and spacing ignored), and
// near duplicates when the Jaccard similarity of their word shingles, as
// estimated by 128-permutation MinHash, reaches a threshold (0.8 by default).
// Candidate pairs come from LSH banding and are verified on the full
// signature, so the cost grows with the number of conversations, not its
// square.
//
// Resolve is what the pipeline uses: it sees every conversation before it
// decides, so each duplicate cluster keeps its preferred member. Deduper
// decides as records stream past and can only keep the first one seen.
package dedup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"pixel/internal/record"
)

// DefaultThreshold is the Jaccard similarity at which two conversations
// count as near duplicates.
const DefaultThreshold = 0.8

// Kinds of duplicate reported in Dup.Kind and by Deduper.Add.
const (
	Exact = "exact" // same normalised text
	Near  = "near"  // estimated Jaccard similarity >= threshold, directly or through a chain
	// RepeatedID marks an item whose ID was already added; record IDs are
	// unique after validation (duplicate_id), so this means a caller bug.
	RepeatedID = "duplicate_id"
)

// Item is one conversation for Resolve. Text may be raw or already
// normalised (Normalize of the conversation): Resolve normalises it again,
// which changes nothing on normalised text.
type Item struct {
	ID       string
	Priority int // lower is preferred: the source to keep when copies collide
	Text     string
}

// Dup says that the item ID is dropped as a duplicate of the kept item Of.
type Dup struct {
	ID   string
	Of   string
	Kind string // Exact, Near or RepeatedID
}

// ValidateThreshold says whether t can be a Jaccard threshold.
func ValidateThreshold(t float64) error {
	if !(t > 0 && t <= 1) {
		return fmt.Errorf("dedup threshold %v must be in (0, 1]; 0.8 is the usual near-duplicate cut", t)
	}
	return nil
}

// Normalize is the text duplicates are judged on: the user and assistant
// turns (not system prompts, which are ours), lowercased, apostrophes
// dropped ("don't" and "dont" match), other punctuation and all whitespace
// collapsed to single spaces. Letters, digits, marks and symbols (emoji
// included) are kept.
func Normalize(c record.Conversation) string {
	var b strings.Builder
	for _, m := range c.Messages {
		if m.Role == "user" || m.Role == "assistant" {
			normalizeInto(&b, m.Content)
		}
	}
	return b.String()
}

// NormalizeText normalises one text the way Normalize does a conversation.
func NormalizeText(s string) string {
	var b strings.Builder
	normalizeInto(&b, s)
	return b.String()
}

// ExactKey is the hex SHA-256 of Normalize(c): equal keys, exact duplicates.
func ExactKey(c record.Conversation) string {
	sum := sha256.Sum256([]byte(Normalize(c)))
	return hex.EncodeToString(sum[:])
}

// normalizeInto appends the normalised words of s to b, separated from what
// b holds by one space.
func normalizeInto(b *strings.Builder, s string) {
	space := b.Len() > 0
	for _, r := range s {
		switch {
		case r == '\'' || r == '’' || r == 'ʼ' || r == '‘':
			// dropped: contractions and possessives match with or without
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.IsSymbol(r):
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(unicode.ToLower(r))
		default: // punctuation, whitespace, controls
			space = b.Len() > 0
		}
	}
}
