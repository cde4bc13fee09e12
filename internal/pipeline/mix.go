package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math"
	"sort"

	"pixel/internal/config"
)

// StageMix records how one stage's share of training tokens was met.
type StageMix struct {
	Stage          string         `json:"stage"`
	TargetShare    float64        `json:"target_share"`
	AvailableTok   int64          `json:"available_tokens"` // unique train tokens routed to the stage
	TargetTok      int64          `json:"target_tokens"`
	SelectedTok    int64          `json:"selected_tokens"` // with repeats
	Share          float64        `json:"share"`           // of all selected training tokens
	Upsample       float64        `json:"upsample"`        // selected / available (> 1: repeated records)
	Records        int            `json:"records"`         // distinct records selected
	Copies         int            `json:"copies"`          // records written, repeats included
	BySourceTokens map[string]int `json:"by_source_tokens"`
	Shortfall      bool           `json:"shortfall"` // the stage could not reach its target within max_upsample
}

// Mix chooses how many copies of each train record go into the shards so the
// stages' training tokens follow their shares. Within a stage, records are
// drawn by weighted sampling without replacement (Efraimidis-Spirakis keys
// from a seeded hash, so the draw is deterministic and independent of input
// order); a stage short of its target repeats its records, whole passes
// first, up to max_upsample.
func Mix(metas []meta, stages []config.Stage, mc config.MixingConfig, seed uint64) (map[string]int, []StageMix) {
	byStage := map[string][]*meta{}
	avail := map[string]int64{}
	for i := range metas {
		m := &metas[i]
		if m.split != "train" {
			continue
		}
		byStage[m.stage] = append(byStage[m.stage], m)
		avail[m.stage] += int64(max(m.tokens, 1))
	}
	shareSum := 0.0
	for _, s := range stages {
		shareSum += s.Share
	}
	// The budget: what was asked for, or the most every stage can support.
	total := float64(mc.TotalTokens)
	if total == 0 {
		for _, s := range stages {
			total += float64(avail[s.Name])
		}
		for _, s := range stages {
			p := s.Share / shareSum
			if cap := float64(avail[s.Name]) * mc.MaxUpsample / p; cap < total {
				total = cap
			}
		}
	}
	copies := map[string]int{}
	var out []StageMix
	var selectedAll int64
	for _, s := range stages {
		p := s.Share / shareSum
		target := int64(math.Round(total * p))
		sm := StageMix{Stage: s.Name, TargetShare: p, AvailableTok: avail[s.Name], TargetTok: target, BySourceTokens: map[string]int{}}
		recs := byStage[s.Name]
		keys := make(map[*meta]float64, len(recs))
		for _, m := range recs {
			keys[m] = key(m, seed)
		}
		sort.Slice(recs, func(i, j int) bool {
			if keys[recs[i]] != keys[recs[j]] {
				return keys[recs[i]] < keys[recs[j]]
			}
			return recs[i].id < recs[j].id
		})
		limit := int64(math.Floor(float64(avail[s.Name]) * mc.MaxUpsample))
		for pass := 0; sm.SelectedTok < target && len(recs) > 0; pass++ {
			for _, m := range recs {
				if sm.SelectedTok >= target || sm.SelectedTok >= limit {
					break
				}
				if copies[m.id] == 0 {
					sm.Records++
				}
				copies[m.id]++
				sm.Copies++
				t := int64(max(m.tokens, 1))
				sm.SelectedTok += t
				sm.BySourceTokens[m.source] += int(t)
			}
			if sm.SelectedTok >= limit {
				break
			}
		}
		sm.Shortfall = float64(sm.SelectedTok) < 0.98*float64(target)
		if sm.AvailableTok > 0 {
			sm.Upsample = float64(sm.SelectedTok) / float64(sm.AvailableTok)
		}
		selectedAll += sm.SelectedTok
		out = append(out, sm)
	}
	for i := range out {
		if selectedAll > 0 {
			out[i].Share = float64(out[i].SelectedTok) / float64(selectedAll)
		}
	}
	return copies, out
}

// key is the Efraimidis-Spirakis sampling key -ln(u)/w: smaller keys first.
func key(m *meta, seed uint64) float64 {
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, seed)
	io.WriteString(h, "mix:"+m.id)
	u := (float64(binary.LittleEndian.Uint64(h.Sum(nil)[:8])>>11) + 0.5) / float64(1<<53)
	w := m.weight
	if w <= 0 {
		w = 1
	}
	return -math.Log(u) / w
}
