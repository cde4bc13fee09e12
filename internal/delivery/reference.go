package delivery

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"

	"pixel/internal/artifact"
)

// Reference holds the human counsellor distribution of each feature as
// sorted samples, so the ECDFs (and the KS statistics of Validate) are exact.
// It is saved as JSON.
type Reference struct {
	Replies int `json:"replies"` // replies measured (those with at least one word)
	// MeanOverall is the mean overall score of the reference's own replies
	// scored against it: what a typical human reply gets.
	MeanOverall float64 `json:"mean_overall"`
	Samples     Samples `json:"samples"`
}

// Samples are the sorted values of each feature over the reference replies.
type Samples struct {
	Readability      []float64 `json:"readability"`
	Words            []float64 `json:"words"`
	Distinct1        []float64 `json:"distinct_1"`
	Distinct2        []float64 `json:"distinct_2"`
	Repetition       []float64 `json:"repetition"`
	QuestionsPerTurn []float64 `json:"questions_per_turn"`
}

// columns lists the sample slices in featureNames order.
func (s *Samples) columns() []*[]float64 {
	return []*[]float64{&s.Readability, &s.Words, &s.Distinct1, &s.Distinct2, &s.Repetition, &s.QuestionsPerTurn}
}

// Scores maps Features to 0..1 each, plus the overall delivery score (the
// mean of the five parts). Higher is better for every field.
type Scores struct {
	Readability float64 `json:"readability"`
	Length      float64 `json:"length"`
	Distinct    float64 `json:"distinct"`
	Repetition  float64 `json:"repetition"`
	Questions   float64 `json:"questions"`
	Overall     float64 `json:"overall"`
}

// BuildReference measures texts and keeps each feature's sorted values.
// Texts without a word are skipped: an empty reply is not a way of
// delivering one.
func BuildReference(texts []string) Reference {
	feats := measureAll(texts)
	r := Reference{Replies: len(feats), Samples: samplesOf(feats)}
	r.MeanOverall = r.meanOverall(feats)
	return r
}

// measureAll measures texts, leaving out those without a word.
func measureAll(texts []string) []Features {
	feats := make([]Features, 0, len(texts))
	for _, t := range texts {
		if f := Measure(t); f.Words > 0 {
			feats = append(feats, f)
		}
	}
	return feats
}

// samplesOf gathers each feature's values over feats, sorted.
func samplesOf(feats []Features) Samples {
	var s Samples
	cols := s.columns()
	for _, c := range cols {
		*c = make([]float64, 0, len(feats))
	}
	for _, f := range feats {
		for i, v := range f.values() {
			*cols[i] = append(*cols[i], v)
		}
	}
	for _, c := range cols {
		slices.Sort(*c)
	}
	return s
}

// meanOverall is the mean overall score of feats; 0 for none.
func (r Reference) meanOverall(feats []Features) float64 {
	if len(feats) == 0 {
		return 0
	}
	sum := 0.0
	for _, f := range feats {
		sum += r.Score(f).Overall
	}
	return sum / float64(len(feats))
}

// Score maps f to 0..1 per part (see the package comment for the rules).
// An empty reply (no words) or an empty reference scores 0 everywhere.
func (r Reference) Score(f Features) Scores {
	if f.Words == 0 || r.Replies == 0 {
		return Scores{}
	}
	s := r.Samples
	d := (ecdf(s.Distinct1, f.Distinct1) + ecdf(s.Distinct2, f.Distinct2)) / 2
	out := Scores{
		Readability: typicality(ecdf(s.Readability, f.Readability)),
		Length:      typicality(ecdf(s.Words, f.Words)),
		Distinct:    math.Min(1, 2*d),
		Repetition:  math.Min(1, 2*(1-ecdf(s.Repetition, f.Repetition))),
		Questions:   typicality(ecdf(s.QuestionsPerTurn, f.QuestionsPerTurn)),
	}
	out.Overall = (out.Readability + out.Length + out.Distinct + out.Repetition + out.Questions) / 5
	return out
}

// ecdf is the mid-rank empirical CDF of sorted at x: the share of values
// below x plus half the share equal to x. 0 for no values.
func ecdf(sorted []float64, x float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	lo := sort.SearchFloat64s(sorted, x)
	hi := lo + sort.Search(len(sorted)-lo, func(i int) bool { return sorted[lo+i] > x })
	return (float64(lo) + float64(hi-lo)/2) / float64(len(sorted))
}

// typicality is 1 at the median and 0 at the extremes of the distribution.
func typicality(p float64) float64 {
	return 1 - 2*math.Abs(p-0.5)
}

// Save writes r as JSON atomically.
func (r Reference) Save(path string) error {
	return artifact.WriteJSON(path, r)
}

// LoadReference reads a reference written by Save and checks it.
func LoadReference(path string) (Reference, error) {
	var r Reference
	b, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("read delivery reference: %w (fix: build it from the human replies and Save it first)", err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("decode delivery reference %s: %w", path, err)
	}
	if err := r.Check(); err != nil {
		return r, fmt.Errorf("delivery reference %s: %w (fix: rebuild it with BuildReference)", path, err)
	}
	return r, nil
}

// Check reports a reference that cannot score: no replies, a feature whose
// sample count differs from Replies, or samples unsorted or not finite.
func (r Reference) Check() error {
	if r.Replies <= 0 {
		return fmt.Errorf("replies=%d, want > 0", r.Replies)
	}
	for i, c := range r.Samples.columns() {
		name := featureNames[i]
		if len(*c) != r.Replies {
			return fmt.Errorf("feature %s has %d samples, want replies=%d", name, len(*c), r.Replies)
		}
		if !slices.IsSorted(*c) {
			return fmt.Errorf("feature %s samples are not sorted", name)
		}
		for _, v := range *c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("feature %s has a non-finite sample %v", name, v)
			}
		}
	}
	return nil
}

// Validation is how well a reference generalises to held-out human replies:
// the agreement figure reported next to delivery scores.
type Validation struct {
	// KS is the two-sample Kolmogorov–Smirnov statistic between the
	// reference's and the held-out replies' values, per feature (the JSON
	// names of Features; the distinct part uses distinct_1 and distinct_2).
	KS    map[string]float64 `json:"ks"`
	MaxKS float64            `json:"max_ks"`
	// HeldoutMeanOverall is the mean overall score of the held-out replies;
	// expected near RefMeanOverall, the reference's own.
	HeldoutMeanOverall float64 `json:"heldout_mean_overall"`
	RefMeanOverall     float64 `json:"ref_mean_overall"`
	RefReplies         int     `json:"ref_replies"`
	HeldoutReplies     int     `json:"heldout_replies"` // held-out texts with at least one word
}

// Validate scores held-out human replies against ref (built from the other
// replies) and compares the two feature distributions.
func Validate(ref Reference, heldout []string) Validation {
	feats := measureAll(heldout)
	held := samplesOf(feats)
	v := Validation{
		KS:                 map[string]float64{},
		HeldoutMeanOverall: ref.meanOverall(feats),
		RefMeanOverall:     ref.MeanOverall,
		RefReplies:         ref.Replies,
		HeldoutReplies:     len(feats),
	}
	refCols, heldCols := ref.Samples.columns(), held.columns()
	for i, name := range featureNames {
		d := ks(*refCols[i], *heldCols[i])
		v.KS[name] = d
		v.MaxKS = math.Max(v.MaxKS, d)
	}
	return v
}

// ks is the two-sample Kolmogorov–Smirnov statistic of sorted a and b:
// the largest gap between their (right-continuous) ECDFs. 0 if either is
// empty.
func ks(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	i, j, d := 0, 0, 0.0
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}
