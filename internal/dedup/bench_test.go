package dedup

import (
	"flag"
	"fmt"
	mrand "math/rand"
	"runtime"
	"strings"
	"testing"
	"time"
)

// scale runs BenchmarkResolverScale at a size of your choice, e.g.
// go test -run - -bench Scale ./internal/dedup -args -dedup.scale=1000000
var scale = flag.Int("dedup.scale", 0, "items for BenchmarkResolverScale (0 skips it)")

// corpus makes synthetic conversations: words drawn from a Zipf distribution
// over a 20,000-word vocabulary (so unrelated texts share common words and
// trigrams, as English does), 30 to 200 words long; every tenth item is a
// near duplicate of an earlier one with about 2% of its words replaced
// (at least one): most such pairs land at Jaccard 0.75 to 0.95. It regenerates any item from its index, so a run of a
// million never holds the texts.
type corpus struct {
	vocab []string
	seed  int64
}

func newCorpus(seed int64) *corpus {
	rng := mrand.New(mrand.NewSource(seed))
	syll := []string{"ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pe", "da", "gu", "ze", "ba", "fo", "il", "en", "ar", "os"}
	c := &corpus{seed: seed}
	seen := map[string]bool{}
	for len(c.vocab) < 20000 {
		var b strings.Builder
		for range 1 + rng.Intn(4) {
			b.WriteString(syll[rng.Intn(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			c.vocab = append(c.vocab, w)
		}
	}
	return c
}

// base is the original text of item i (its own, or the one it copies).
func (c *corpus) base(i int) []string {
	rng := mrand.New(mrand.NewSource(c.seed*1_000_003 + int64(i)))
	z := mrand.NewZipf(rng, 1.1, 2, uint64(len(c.vocab)-1))
	ws := make([]string, 30+rng.Intn(171))
	for k := range ws {
		ws[k] = c.vocab[z.Uint64()]
	}
	return ws
}

// item returns the text of item i and, for a planted near duplicate, the
// index of the item it copies (else -1).
func (c *corpus) item(i int) (string, int) {
	if i%10 != 9 || i < 10 {
		return strings.Join(c.base(i), " "), -1
	}
	rng := mrand.New(mrand.NewSource(c.seed*7_000_003 + int64(i)))
	of := rng.Intn(i - 1)
	for of%10 == 9 { // copy an original, not another copy
		of = rng.Intn(i - 1)
	}
	ws := c.base(of)
	for range max(1, len(ws)/50) {
		ws[rng.Intn(len(ws))] = c.vocab[rng.Intn(len(c.vocab))]
	}
	return strings.Join(ws, " "), of
}

func BenchmarkResolve(b *testing.B) {
	const n = 20000
	c := newCorpus(1)
	items := make([]Item, n)
	var planted []pair
	for i := range items {
		text, of := c.item(i)
		items[i] = Item{ID: fmt.Sprintf("syn-%06d", i), Priority: i % 3, Text: text}
		if of >= 0 {
			orig, _ := c.item(of)
			planted = append(planted, pair{items[i].ID, fmt.Sprintf("syn-%06d", of), jaccard(text, orig)})
		}
	}
	var dups []Dup
	for b.Loop() {
		_, dups = Resolve(items, DefaultThreshold, 1)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	recall80, recall85, wrong := score(dups, planted)
	b.ReportMetric(recall80, "recall@J>=0.80")
	b.ReportMetric(recall85, "recall@J>=0.85")
	b.ReportMetric(float64(wrong), "false_merges")
}

// jaccard is the exact Jaccard similarity of two texts' shingle sets.
func jaccard(a, b string) float64 {
	set := func(s string) map[uint64]bool {
		m := map[uint64]bool{}
		shingles(wordHashes(s, nil), func(x uint64) { m[x] = true })
		return m
	}
	sa, sb := set(a), set(b)
	inter := 0
	for x := range sa {
		if sb[x] {
			inter++
		}
	}
	return float64(inter) / float64(len(sa)+len(sb)-inter)
}

// pair is a planted near duplicate and the exact Jaccard similarity of the
// two texts.
type pair struct {
	copy, orig string
	jaccard    float64
}

// score returns the share of planted pairs at Jaccard >= 0.80 and >= 0.85
// that came out in one cluster, and the number of duplicates that join
// items not planted together.
func score(dups []Dup, planted []pair) (recall80, recall85 float64, wrong int) {
	keeperOf := map[string]string{}
	for _, d := range dups {
		keeperOf[d.ID] = d.Of
	}
	keeper := func(id string) string {
		if k, ok := keeperOf[id]; ok {
			return k
		}
		return id
	}
	var n80, n85, f80, f85 int
	family := map[string]string{} // copy -> original
	for _, p := range planted {
		family[p.copy] = p.orig
		together := keeper(p.copy) == keeper(p.orig)
		if p.jaccard >= 0.80 {
			n80++
			if together {
				f80++
			}
		}
		if p.jaccard >= 0.85 {
			n85++
			if together {
				f85++
			}
		}
	}
	root := func(id string) string {
		if o, ok := family[id]; ok {
			return o
		}
		return id
	}
	for _, d := range dups {
		if root(d.ID) != root(d.Of) {
			wrong++
		}
	}
	return float64(f80) / float64(n80), float64(f85) / float64(n85), wrong
}

// BenchmarkResolverScale feeds -dedup.scale items to a Resolver one at a
// time, as the pipeline does, and reports time and memory.
func BenchmarkResolverScale(b *testing.B) {
	n := *scale
	if n == 0 {
		b.Skip("set -dedup.scale=N to run")
	}
	c := newCorpus(1)
	for b.Loop() {
		runtime.GC()
		start := time.Now()
		r := NewResolver(DefaultThreshold, 1)
		for i := range n {
			text, _ := c.item(i)
			r.Add(fmt.Sprintf("syn-%07d", i), i%3, text)
		}
		added := time.Since(start)
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		heapAfterAdd := m.HeapAlloc
		_, dups := r.Resolve()
		runtime.ReadMemStats(&m)
		b.ReportMetric(added.Seconds(), "add_s")
		b.ReportMetric(time.Since(start).Seconds(), "total_s")
		b.ReportMetric(float64(heapAfterAdd)/(1<<20), "heap_after_add_MiB")
		b.ReportMetric(float64(m.Sys)/(1<<20), "sys_MiB")
		b.ReportMetric(float64(len(dups)), "dups")
	}
}
