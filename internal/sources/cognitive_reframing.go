package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// cognitiveReframingSource is the Cognitive Reframing dataset: 600
// practitioner-written reframes of a negative thought in a situation, each
// with the thinking traps it addresses; and thinking_traps.jsonl, the
// thinking traps annotated on 698 thoughts.
//
// License call: CC BY-NC-ND 4.0 forbids sharing adapted material. The
// records below reshape the data (a reasoning block, a reply) and so are
// adapted material, and a model trained on them and shared would carry it;
// so the source is for evaluation and scorers only (Uses without Train),
// and its records must stay inside the project's own runs. Load still
// emits the records so an evaluation suite can use them.
var cognitiveReframingSource = bind(Source{
	Name: "cognitive_reframing",
	Title: "Cognitive Reframing of Negative Thoughts (situation, thought -> thinking traps, reframe). " +
		"WARNING: CC BY-NC-ND 4.0, no derivatives: evaluation and scorers only, never train on or share derived records",
	License:       "CC BY-NC-ND 4.0",
	NonCommercial: true,
	ShareAlike:    false,
	Attribution: "Ashish Sharma, Kevin Rushton, Inna Wanyin Lin, David Wadden, Khendra G. Lucas, Adam S. Miner, Theresa Nguyen, " +
		"Tim Althoff. Cognitive Reframing of Negative Thoughts through Human-Language Model Interaction. ACL 2023. " +
		"github.com/behavioral-data/Cognitive-Reframing (CC BY-NC-ND 4.0). NoDerivatives: the records Pixel derives from it " +
		"(reasoning block + reframe) are adapted material and must not be distributed, nor used to train a model that is " +
		"shared; NonCommercial: no commercial use.",
	Language: "en",
	Origin:   "github.com/behavioral-data/Cognitive-Reframing@4c1d4afdc22bc66136d14d8131ee0aa4a2d1e55d",
	Files:    []string{"reframing_dataset.csv", "thinking_traps.jsonl"},
	Remote: map[string]string{
		"reframing_dataset.csv": "data/reframing_dataset.csv",
		"thinking_traps.jsonl":  "data/thinking_traps.jsonl",
	},
	Stage: "expertise",
	Uses:  []Use{Eval, Scorer},
}, loadCognitiveReframing)

const (
	reframingSystem = "You are a therapist trained in cognitive behavioural therapy. The user describes a situation and a " +
		"negative thought. First reason inside <reasoning></reasoning> tags: restate the thought and name the thinking " +
		"traps it falls into. Then offer a reframed, more balanced thought."
	thinkingTrapsSystem = "You are a therapist trained in cognitive behavioural therapy. Name the thinking traps (cognitive " +
		"distortions) in the user's thought. First reason inside <reasoning></reasoning> tags, then answer."
)

func loadCognitiveReframing(s Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	if err := loadReframes(s, ctx, dir, emit, reject); err != nil {
		return err
	}
	return loadThinkingTraps(s, ctx, dir, emit, reject)
}

// loadReframes turns each row of reframing_dataset.csv into a stage-2
// record: user = situation and thought as written (first person), assistant
// = the thought and the thinking traps the reframe addresses as reasoning,
// then the reframe. labels: task, thinking_traps.
func loadReframes(s Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	t, err := OpenTable(Path(dir, "reframing_dataset.csv"), ',')
	if err != nil {
		return err
	}
	n := 0
	return t.Each(func(row Row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		id := fmt.Sprintf("reframe-%04d", n)
		situation, thought := strings.TrimSpace(row.Get("situation")), strings.TrimSpace(row.Get("thought"))
		reframe, traps := strings.TrimSpace(row.Get("reframe")), reframingTraps(row.Get("thinking_traps_addressed"))
		switch {
		case thought == "":
			return labReject(reject, t.Path, row.Line, "empty_thought", "%s: no thought", id)
		case reframe == "":
			return labReject(reject, t.Path, row.Line, "empty_answer", "%s: no reframe", id)
		case traps == "":
			return labReject(reject, t.Path, row.Line, "missing_thinking_traps", "%s: thinking_traps_addressed is empty", id)
		}
		user := "Thought: " + thought
		if situation != "" {
			user = "Situation: " + situation + "\n" + user
		}
		labels := map[string]string{"task": "reframing", "thinking_traps": traps}
		reasoning := "1. Thought: " + thought + "\n2. Thinking traps: " + traps
		return emit(labCoT(s, id, labels, reframingSystem, user, reframe, reasoning, reframe))
	}, reject)
}

// reframingTraps normalises a comma-separated trap list: trimmed, lower
// case, joined by ", ".
func reframingTraps(raw string) string {
	var out []string
	for p := range strings.SplitSeq(raw, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// thinkingTrapNames maps the spelling variants of thinking_traps.jsonl to
// the trap names reframing_dataset.csv uses.
var thinkingTrapNames = map[string]string{
	"overgeneralization": "overgeneralizing",
	"personalization":    "personalizing",
	"comparing":          "comparing and despairing",
}

// thinkingTrapGroup is one thought of thinking_traps.jsonl with every trap
// annotated on it (the file has one line per thought and trap).
type thinkingTrapGroup struct {
	line    int
	lines   []int
	thought string
	traps   []string
}

// loadThinkingTraps reads thinking_traps.jsonl ({"prompt": "<thought> ->",
// "completion": " <trap>"}), groups the lines of each thought (they are not
// contiguous, so the small file is grouped in memory) and emits one stage-2
// record per thought naming its traps. A thought labelled both "Not
// distorted" and with a trap is rejected as conflicting_labels.
func loadThinkingTraps(s Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	path := Path(dir, "thinking_traps.jsonl")
	var groups []*thinkingTrapGroup
	byThought := map[string]*thinkingTrapGroup{}
	err := labEachLine(ctx, path, func(line int, raw []byte) error {
		var x struct {
			Prompt     *string `json:"prompt"`
			Completion *string `json:"completion"`
		}
		if err := json.Unmarshal(raw, &x); err != nil {
			return labReject(reject, path, line, "bad_json", "%v", err)
		}
		if x.Prompt == nil || x.Completion == nil {
			return labReject(reject, path, line, "bad_json", "needs prompt and completion")
		}
		thought := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(*x.Prompt), "->"))
		trap := strings.ToLower(strings.TrimSpace(*x.Completion))
		if alias, ok := thinkingTrapNames[trap]; ok {
			trap = alias
		}
		switch {
		case thought == "":
			return labReject(reject, path, line, "empty_thought", "prompt has no thought")
		case trap == "":
			return labReject(reject, path, line, "missing_thinking_traps", "completion is empty")
		}
		g := byThought[thought]
		if g == nil {
			g = &thinkingTrapGroup{line: line, thought: thought}
			byThought[thought] = g
			groups = append(groups, g)
		}
		g.lines = append(g.lines, line)
		for _, t := range g.traps {
			if t == trap {
				return nil
			}
		}
		g.traps = append(g.traps, trap)
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		id := fmt.Sprintf("traps-%04d", g.line)
		undistorted := false
		for _, t := range g.traps {
			undistorted = undistorted || t == "not distorted"
		}
		if undistorted && len(g.traps) > 1 {
			if err := labReject(reject, path, g.line, "conflicting_labels",
				"%s: lines %v label the thought both not distorted and with a thinking trap", id, g.lines); err != nil {
				return err
			}
			continue
		}
		traps := strings.Join(g.traps, ", ")
		reasoning, reply := "Thinking traps: "+traps, "This thought shows the thinking trap"
		switch {
		case undistorted:
			reasoning, reply = "Thinking traps: none (not distorted)", "This thought does not show a thinking trap."
		case len(g.traps) > 1:
			reply += "s: " + traps + "."
		default:
			reply += ": " + traps + "."
		}
		labels := map[string]string{"task": "thinking_traps", "thinking_traps": traps}
		if err := emit(labCoT(s, id, labels, thinkingTrapsSystem, g.thought, traps, reasoning, reply)); err != nil {
			return err
		}
	}
	return nil
}
