package scorers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// promptScores are one model's scorer values by prompt (a record's id),
// as meanValues counts them, for the figures' intervals and the paired
// change between checkpoints.
type promptScores struct {
	vals  map[string]map[string][]float64 // scorer -> prompt -> values
	codes map[string][]TherapistCode      // prompt -> the MI codes of its replies
}

// meanValues averages each scorer's "value" over a scores file; MI's is
// the MITI summary of the replies pooled (ModelScores.MITI). Each figure's
// 95% interval resamples prompts (a record's id), so it says how far the
// figure could move on another draw of prompts of the same size.
//
// personas is each prompt's persona: a reply in the client persona (voice
// training's difficult client) counts for persona consistency only, since
// the other scorers judge a counsellor's reply (and crisis, the user
// message, which there is the therapist's).
func meanValues(path string, personas map[string]string) (ModelScores, *promptScores, error) {
	ms := ModelScores{Means: map[string]float64{}, N: map[string]int{}, CI: map[string]*[2]float64{}}
	ps := &promptScores{vals: map[string]map[string][]float64{}, codes: map[string][]TherapistCode{}}
	f, err := os.Open(path)
	if err != nil {
		return ms, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var rec struct {
			ID     string                     `json:"id"`
			Scores map[string]json.RawMessage `json:"scores"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return ms, nil, fmt.Errorf("%s line %d: %v", path, n, err)
		}
		scores := make(map[string]map[string]any, len(rec.Scores))
		for s, raw := range rec.Scores {
			var v map[string]any
			if err := json.Unmarshal(raw, &v); err != nil {
				return ms, nil, fmt.Errorf("%s line %d: scorer %s: %v", path, n, s, err)
			}
			scores[s] = v
		}
		client := personas[rec.ID] != "" && personas[rec.ID] != "therapist"
		if raw, ok := rec.Scores["mi"]; ok && !client {
			var mi struct { // the MI scorer's code of the response
				Response struct {
					Code *TherapistCode `json:"miti_code"`
				} `json:"response"`
			}
			if err := json.Unmarshal(raw, &mi); err != nil {
				return ms, nil, fmt.Errorf("%s line %d: scorer mi: %v", path, n, err)
			}
			if c := mi.Response.Code; c != nil {
				ps.codes[rec.ID] = append(ps.codes[rec.ID], *c)
			}
		}
		for s, v := range scores {
			if s == "mi" || (client && s != "persona") {
				continue // mi: pooled below
			}
			x, ok := v["value"].(float64)
			switch s {
			case "persona":
				x, ok = v["consistency"].(float64)
			case "safety": // its detectors learned replies to crisis messages only
				ok = ok && v["crisis_context"] == true
			}
			if ok {
				if ps.vals[s] == nil {
					ps.vals[s] = map[string][]float64{}
				}
				ps.vals[s][rec.ID] = append(ps.vals[s][rec.ID], x)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return ms, nil, err
	}
	for s, byPrompt := range ps.vals {
		ids := slices.Sorted(maps.Keys(byPrompt))
		v := func(idx []int) float64 { return meanOver(byPrompt, ids, idx) }
		ms.Means[s], ms.CI[s] = v(seq(len(ids))), ci95(ids, v)
		for _, id := range ids {
			ms.N[s] += len(byPrompt[id])
		}
	}
	if len(ps.codes) > 0 {
		ids := slices.Sorted(maps.Keys(ps.codes))
		m := SummarizeMITI(pooled(ps.codes, ids, seq(len(ids))))
		ms.MITI = &m
		if m.Appropriateness != nil {
			v := func(idx []int) float64 { return appropriateness(pooled(ps.codes, ids, idx)) }
			ms.Means["mi"], ms.CI["mi"] = *m.Appropriateness, ci95(ids, v)
			for _, id := range ids {
				ms.N["mi"] += len(ps.codes[id])
			}
		}
	}
	return ms, ps, nil
}

// Change is a checkpoint's figure minus the previous checkpoint's on the
// prompts both were scored on, with the 95% bootstrap interval of that
// difference resampling prompts (paired: both checkpoints answered the
// same prompts, so a prompt's difficulty cancels out).
type Change struct {
	Value float64     `json:"value"`
	CI    *[2]float64 `json:"ci95"`
}

// changes is every scorer's Change from prev to cur.
func changes(prev, cur *promptScores) map[string]*Change {
	out := map[string]*Change{}
	for s, c := range cur.vals {
		if s == "crisis" {
			continue // it reads the prompts: no change to measure
		}
		p := prev.vals[s]
		var ids []string
		for _, id := range slices.Sorted(maps.Keys(c)) {
			if _, ok := p[id]; ok {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		d := func(idx []int) float64 { return meanOver(c, ids, idx) - meanOver(p, ids, idx) }
		out[s] = &Change{Value: d(seq(len(ids))), CI: ci95(ids, d)}
	}
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(cur.codes)) {
		if _, ok := prev.codes[id]; ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out
	}
	d := func(idx []int) float64 {
		return appropriateness(pooled(cur.codes, ids, idx)) - appropriateness(pooled(prev.codes, ids, idx))
	}
	if v := d(seq(len(ids))); !math.IsNaN(v) {
		out["mi"] = &Change{Value: v, CI: ci95(ids, d)}
	}
	return out
}

// meanOver is the mean of the values of the prompts ids[idx] (a prompt
// drawn twice counts twice).
func meanOver(byPrompt map[string][]float64, ids []string, idx []int) float64 {
	var xs []float64
	for _, i := range idx {
		xs = append(xs, byPrompt[ids[i]]...)
	}
	return stat.Mean(xs, nil)
}

// pooled is the codes of the prompts ids[idx], in one list.
func pooled(codes map[string][]TherapistCode, ids []string, idx []int) []TherapistCode {
	var out []TherapistCode
	for _, i := range idx {
		out = append(out, codes[ids[i]]...)
	}
	return out
}

// appropriateness of codes as one session; NaN when undefined.
func appropriateness(codes []TherapistCode) float64 {
	if a := SummarizeMITI(codes).Appropriateness; a != nil {
		return *a
	}
	return math.NaN()
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
