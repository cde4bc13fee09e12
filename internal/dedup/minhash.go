package dedup

import (
	"math"
	"math/rand/v2"
)

const (
	// NumPerm is the number of MinHash permutations: a Jaccard estimate
	// within about ±0.035 at 0.8.
	NumPerm = 128
	// ShortWords is the length, in words, under which a text is shingled in
	// word 3-grams instead of 5-grams: a 60-word text has only 56 5-grams,
	// and one changed word already costs 5 of them (Jaccard 0.84); in 3-grams
	// it can lose two words and stay above 0.8. A text with fewer words than
	// the shingle is one shingle.
	ShortWords = 100
)

// minhasher computes MinHash signatures with a seeded family of NumPerm
// multiply-add-shift hashes over 64-bit shingle hashes. Each minimum is taken
// over 32-bit hash values and its low 16 bits are kept (b-bit MinHash, Li and
// König 2010): 256 bytes a signature, and two different minima agree by
// chance with probability 2^-16, which adds nothing visible to an estimate.
type minhasher struct {
	a, b  [NumPerm]uint64
	mins  [NumPerm]uint32 // scratch: full minima of the text being signed
	words []uint64        // scratch: word hashes of the text being signed
}

func newMinhasher(seed uint64) *minhasher {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	m := &minhasher{}
	for i := range NumPerm {
		m.a[i] = rng.Uint64() | 1 // odd multipliers
		m.b[i] = rng.Uint64()
	}
	return m
}

// sign writes the signature of a normalised text (words separated by single
// spaces) into sig, which has NumPerm entries. It reports false for a text
// without words, whose signature means nothing.
func (m *minhasher) sign(text string, sig []uint16) bool {
	m.words = wordHashes(text, m.words[:0])
	if len(m.words) == 0 {
		return false
	}
	mins := &m.mins
	for k := range mins {
		mins[k] = math.MaxUint32
	}
	shingles(m.words, func(x uint64) {
		for k := range mins {
			if v := uint32((m.a[k]*x + m.b[k]) >> 32); v < mins[k] {
				mins[k] = v
			}
		}
	})
	for k, v := range mins {
		sig[k] = uint16(v)
	}
	return true
}

// wordHashes appends the hash of each space-separated word of text to buf.
func wordHashes(text string, buf []uint64) []uint64 {
	start := 0
	for i := 0; i <= len(text); i++ {
		if i == len(text) || text[i] == ' ' {
			if i > start {
				buf = append(buf, fnv64(text[start:i]))
			}
			start = i + 1
		}
	}
	return buf
}

// shingles calls fn with the hash of each word n-gram: 5-grams, 3-grams
// under ShortWords words, the whole text under n words.
func shingles(words []uint64, fn func(uint64)) {
	n := 5
	if len(words) < ShortWords {
		n = 3
	}
	n = min(n, len(words))
	for i := 0; i+n <= len(words); i++ {
		x := uint64(n) * 0x9e3779b97f4a7c15 // 3- and 5-grams never collide
		for _, w := range words[i : i+n] {
			x = (x ^ w) * 0xff51afd7ed558ccd
			x ^= x >> 33
		}
		fn(x)
	}
}

// similarity is the MinHash estimate of the Jaccard similarity of the sets
// behind two signatures: the share of positions where they agree.
func similarity(a, b []uint16) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(len(a))
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// bandKey hashes the rows of one band of a signature, with the band number
// mixed in so equal rows in different bands do not share buckets.
func bandKey(sig []uint16, band int) uint64 {
	h := uint64(band+1) * 0x9e3779b97f4a7c15
	for _, v := range sig {
		h = (h ^ uint64(v)) * 0xff51afd7ed558ccd
		h ^= h >> 29
	}
	return h
}

// lshParams picks the number of bands and rows per band for a threshold.
// Candidate pairs are verified on the full signature, so a false candidate
// costs one comparison while a missed pair is a duplicate left in the data:
// among the (bands, rows) with bands*rows <= NumPerm that find a pair at
// exactly the threshold with probability >= MinRecall (pairs above it more
// often), it takes the one with the least false-candidate mass below the
// threshold. For 0.8 that is 16 bands of 6 rows: a pair at Jaccard 0.8 is a
// candidate with probability 0.992, at 0.5 with 0.22, at 0.3 with 0.01.
// (datasketch's equal weighting of the two errors gives 9 bands of 13 rows,
// which finds a pair at 0.8 only 40% and at 0.85 only 69% of the time.)
func lshParams(threshold float64) (bands, rows int) {
	best, bestRecall := math.Inf(1), -1.0
	for b := 1; b <= NumPerm; b++ {
		for r := 1; b*r <= NumPerm; r++ {
			p := func(s float64) float64 { return 1 - math.Pow(1-math.Pow(s, float64(r)), float64(b)) }
			recall := p(threshold)
			switch {
			case recall >= MinRecall:
				if fp := integrate(p, 0, threshold); bestRecall < MinRecall || fp < best {
					best, bestRecall, bands, rows = fp, recall, b, r
				}
			case bestRecall < MinRecall && recall > bestRecall:
				// nothing qualifies yet (thresholds near 0): the most recall
				bestRecall, bands, rows = recall, b, r
			}
		}
	}
	return bands, rows
}

// MinRecall is the least probability with which LSH banding must make a pair
// at exactly the threshold a candidate.
const MinRecall = 0.99

// integrate is the midpoint rule with 100 steps, as precise as lshParams
// needs.
func integrate(f func(float64) float64, a, b float64) float64 {
	const steps = 100
	h := (b - a) / steps
	sum := 0.0
	for i := range steps {
		sum += f(a + (float64(i)+0.5)*h)
	}
	return sum * h
}
