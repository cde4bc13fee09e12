package scorers

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"pixel/internal/artifact"
	"pixel/internal/eval"
	"pixel/internal/record"
)

// ModelScores is the mean of each scorer's value over one model's samples
// in the therapist persona (persona's over all of them; safety's over those
// whose user message the crisis scorer reads as moderate or high risk),
// except MI's: see MITI.
type ModelScores struct {
	Model string             `json:"model"`
	Means map[string]float64 `json:"means"` // scorer -> mean value over the samples it applies to
	N     map[string]int     `json:"n"`
	// CI is each figure's 95% bootstrap interval over prompts; nil with
	// fewer than 2 prompts.
	CI map[string]*[2]float64 `json:"ci95"`
	// MITI is the summary of the model's replies pooled as one session: the
	// replies' expected code counts summed, then R:Q, %CR, %OQ and
	// appropriateness, as the MI scorer's appropriateness was validated
	// (on whole transcripts). A mean of per-reply appropriateness would
	// instead score each reply as a session of one turn: a question alone
	// is R:Q near 0. Means["mi"] is its appropriateness, N["mi"] the replies
	// coded; the context's therapist turns (the prompt's, not the model's)
	// are left out.
	MITI *MITI `json:"miti,omitempty"`
	// Change is each figure's change from the previous checkpoint (in
	// curriculum order), paired over prompts; nil for the first.
	Change map[string]*Change `json:"change_from_previous,omitempty"`
	// Empty counts the samples with a blank reply: no scorer reads them, so
	// they are in no figure; a model that says nothing shows here.
	Empty int `json:"empty_replies"`
}

// RunScores is what a run report shows: means per checkpoint and the
// validity table of the scorer set that produced them.
type RunScores struct {
	Scorers  []string      `json:"scorers"`
	Models   []ModelScores `json:"models"`
	Validity *Validity     `json:"validity"`
}

// ScoreSamples scores every model's samples on the fixed prompts (context =
// the prompt's messages, persona = the prompt's persona) into
// <evalDir>/<n>-<model>/scores.jsonl and averages them.
func ScoreSamples(ctx context.Context, o Options, set Set, evalDir string, models []eval.ModelEval) (*RunScores, error) {
	prompts, err := readPrompts(filepath.Join(evalDir, "prompts.jsonl"))
	if err != nil {
		return nil, err
	}
	vb, err := os.ReadFile(set.ValidityPath())
	if err != nil {
		return nil, fmt.Errorf("scorer set %s has no validity table (fix: run `pixel scorers validate`)", set.Dir)
	}
	rs := &RunScores{Scorers: Names, Validity: &Validity{}}
	if err := json.Unmarshal(vb, rs.Validity); err != nil {
		return nil, err
	}
	table := filepath.Join(evalDir, "validity.md") // one table that every checkpoint's samples name (the report prints it once)
	if err := writeTable(table, set.Key, "every file of scores that names this table", rs.Validity); err != nil {
		return nil, err
	}
	var prev *promptScores
	for i, m := range models {
		dir := filepath.Join(evalDir, fmt.Sprintf("%d-%s", i, m.Model))
		in, out := filepath.Join(dir, "score_input.jsonl"), filepath.Join(dir, "scores.jsonl")
		var rows []map[string]any
		for _, s := range m.Samples {
			rows = append(rows, map[string]any{"id": s.ID, "context": prompts[s.ID], "response": s.Completion, "persona": s.Persona})
		}
		err := artifact.WriteFile(in, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			for _, r := range rows {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		brief := o
		brief.BriefAgreement, brief.BriefTable = true, table
		if _, _, err := ScoreFile(ctx, brief, set, Names, in, out); err != nil {
			return nil, fmt.Errorf("score %s's samples: %w", m.Model, err)
		}
		personas := map[string]string{}
		for _, s := range m.Samples {
			personas[s.ID] = s.Persona
		}
		ms, ps, err := meanValues(out, personas)
		if err != nil {
			return nil, err
		}
		ms.Model = m.Model
		for _, s := range m.Samples {
			if strings.TrimSpace(s.Completion) == "" {
				ms.Empty++
			}
		}
		if prev != nil {
			ms.Change = changes(prev, ps)
		}
		rs.Models, prev = append(rs.Models, ms), ps
	}
	return rs, nil
}

func readPrompts(path string) (map[string][]record.Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]record.Message{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var p struct {
			ID       string           `json:"id"`
			Messages []record.Message `json:"messages"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, n, err)
		}
		var ctx []record.Message
		for _, m := range p.Messages {
			if m.Role != "system" {
				ctx = append(ctx, m)
			}
		}
		out[p.ID] = ctx
	}
	return out, sc.Err()
}
