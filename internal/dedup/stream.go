package dedup

import (
	"cmp"
	"crypto/sha256"

	"pixel/internal/record"
)

// Deduper drops duplicates as records stream past. A record it has let
// through cannot be taken back, so the first copy seen is kept whatever the
// priorities: feed sources in order of preference, or use Resolve, which
// sees everything first. Priority (lower is preferred) only picks which kept
// record a new one is reported against when it matches several. It keeps a
// signature per kept record and is not safe for concurrent use.
type Deduper struct {
	threshold   float64
	bands, rows int
	mh          *minhasher

	ids      []string
	priority []int
	sigs     signatures
	exact    map[[16]byte]int32
	buckets  []map[uint64][]int32 // per band: band key -> kept records
	scratch  []uint16
}

// New starts an empty Deduper. It panics if threshold fails
// ValidateThreshold: configs are validated when loaded, so that is a bug.
func New(threshold float64, seed uint64) *Deduper {
	if err := ValidateThreshold(threshold); err != nil {
		panic(err)
	}
	bands, rows := lshParams(threshold)
	d := &Deduper{
		threshold: threshold,
		bands:     bands,
		rows:      rows,
		mh:        newMinhasher(seed),
		exact:     make(map[[16]byte]int32),
		buckets:   make([]map[uint64][]int32, bands),
		scratch:   make([]uint16, NumPerm),
	}
	for i := range d.buckets {
		d.buckets[i] = make(map[uint64][]int32)
	}
	return d
}

// Add returns "", "" when c is new, and keeps it; otherwise the ID of the
// kept record it duplicates and Exact or Near, and forgets c. Conversations
// without a single letter, digit or symbol are always new.
func (d *Deduper) Add(id string, priority int, c record.Conversation) (dupOf string, kind string) {
	norm := Normalize(c)
	if norm == "" {
		return "", ""
	}
	sum := sha256.Sum256([]byte(norm))
	key := [16]byte(sum[:16])
	if k, ok := d.exact[key]; ok {
		return d.ids[k], Exact
	}
	sig := d.scratch
	d.mh.sign(norm, sig)

	match := int32(-1)
	for band := range d.bands {
		for _, k := range d.buckets[band][bandKey(sig[band*d.rows:(band+1)*d.rows], band)] {
			if match >= 0 && !d.better(k, match) {
				continue // a preferred match is already in hand
			}
			if similarity(sig, d.sigs.row(k)) >= d.threshold {
				match = k
			}
		}
	}
	if match >= 0 {
		return d.ids[match], Near
	}

	row, stored := d.sigs.next()
	copy(stored, sig)
	d.ids = append(d.ids, id)
	d.priority = append(d.priority, priority)
	d.exact[key] = row
	for band := range d.bands {
		bk := bandKey(sig[band*d.rows:(band+1)*d.rows], band)
		d.buckets[band][bk] = append(d.buckets[band][bk], row)
	}
	return "", ""
}

// better orders kept records: lower priority, then smaller ID.
func (d *Deduper) better(a, b int32) bool {
	return cmp.Or(cmp.Compare(d.priority[a], d.priority[b]), cmp.Compare(d.ids[a], d.ids[b])) < 0
}
