package scorers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"pixel/internal/sources"
)

// RiskLevels are the crisis scorer's levels, in order. The head learns
// none..high from human labels; "imminent" is a detector read on top of
// "high" (acting is near: a time, means at hand, preparations), fitted on
// the project's rule-cue set because no public dataset labels imminence.
var RiskLevels = []string{"none", "low", "moderate", "high", "imminent"}

// crisisTask is the risk head's data. Human labels map to levels as
// follows (docs/scorers.md explains why):
//   - T-SID (IMHI test set): "no mental disorders" none; depression or
//     PTSD low; "suicide or self-harm tendency" high.
//   - IRF: thwarted belongingness and perceived burdensomeness are the
//     interpersonal theory's risk factors: neither low (the posts come from
//     distress forums), one moderate, both high.
//   - Dreaddit: not stressed none, stressed low.
//   - SAD (stress causes in short messages): low.
//   - The project's short chat messages (shortMessages, dev half): those
//     from people with suicidal thoughts high, the others none or low.
//   - Where scorers.smalltalk_train says so, user turns of
//     Synthetic-Persona-Chat's valid split (ordinary chit-chat): none.
//     Without them every short public message (SAD) is low, and the head
//     read short ordinary messages as low risk.
//
// CAMS is not used: its labels are causes of distress, not risk, and its
// posts mix r/depression and r/SuicideWatch without saying which.
// Held out: each dataset's own test split (IRF, Dreaddit) or a hashed share
// of posts (T-SID, SAD). The "any suicide risk" AUROC is measured on
// held-out T-SID only, where the positives and negatives come from the same
// population (across datasets, style alone would separate them).
func crisisTask(ctx context.Context, o Options) (*Task, error) {
	t := &Task{Name: "crisis_level", Scorer: "crisis", Inputs: []string{"text"}, NGrams: true,
		HeldoutData: "T-SID " + strconv.Itoa(o.HeldoutPercent) + "% of posts, IRF test, Dreaddit test, SAD " + strconv.Itoa(o.HeldoutPercent) + "%"}
	var all []Example
	add := func(id, text, level, source, group string, held bool) {
		all = append(all, Example{ID: id, Texts: map[string]string{"text": text}, Label: level, Group: group, Heldout: held,
			Meta: map[string]string{"source": source}})
	}
	tsid, err := readTSID(o.DataRoot)
	if err != nil {
		return nil, err
	}
	for _, p := range tsid {
		add(p.ID, p.Text, p.Label, "t-sid", p.ID, heldoutByHash("tsid:"+p.Text, o.HeldoutPercent))
	}
	irf := map[string]*struct {
		text, split string
		n           int
	}{}
	var order []string
	if _, err := eachPost(o.DataRoot, "irf", func(p sources.LabelledPost) {
		key := p.Split + "/" + p.Extra["post_id"]
		e, ok := irf[key]
		if !ok {
			e = &struct {
				text, split string
				n           int
			}{text: p.Text, split: p.Split}
			irf[key] = e
			order = append(order, key)
		}
		if p.Label == "1" {
			e.n++
		}
	}); err != nil {
		return nil, err
	}
	for _, key := range order {
		e := irf[key]
		add("irf-"+strings.ReplaceAll(key, "/", "-"), e.text, []string{"low", "moderate", "high"}[e.n], "irf", key, e.split == "test")
	}
	if _, err := eachPost(o.DataRoot, "dreaddit", func(p sources.LabelledPost) {
		level := map[string]string{"0": "none", "1": "low"}[p.Label]
		if level != "" {
			add(p.ID, p.Text, level, "dreaddit", p.ID, p.Split == "test")
		}
	}); err != nil {
		return nil, err
	}
	if _, err := eachPost(o.DataRoot, "sad", func(p sources.LabelledPost) {
		add(p.ID, p.Text, "low", "sad", p.ID, heldoutByHash("sad:"+p.ID, o.HeldoutPercent))
	}); err != nil {
		return nil, err
	}
	// The project's short chat messages: the dev half trains, the test
	// half is measured on its own (shortMessageRows), so the held-out
	// figures above stay on the public data.
	short, err := shortMessages(o)
	if err != nil {
		return nil, err
	}
	for _, e := range short {
		if !e.Heldout {
			all = append(all, e)
		}
	}
	if o.SmallTalkTrain > 0 {
		talk, err := smallTalk(ctx, o.DataRoot, "valid", o.SmallTalkTrain)
		if err != nil {
			return nil, fmt.Errorf("scorers.smalltalk_train: %w (fix: put %s under the data root, or set scorers.smalltalk_train: 0)", err, smallTalkSource)
		}
		if len(talk) == 0 {
			return nil, fmt.Errorf("scorers.smalltalk_train: %s has no user turns in its valid split (fix: restore Synthetic-Persona-Chat_valid.csv with `pixel data fetch %s`, or set scorers.smalltalk_train: 0)", smallTalkSource, smallTalkSource)
		}
		all = append(all, talk...)
	}
	t.split(all)
	return t, nil
}

// readTSID reads T-SID from the IMHI test set: "Post: <text>  Question:
// ..." with the gold label before ". Reasoning:" in the answer column.
type tsidPost struct{ ID, Text, Label string }

func readTSID(root string) ([]tsidPost, error) {
	dir, err := sourceDir(root, "mentalllama_imhi")
	if err != nil {
		return nil, err
	}
	tab, err := sources.OpenTable(sources.Path(dir, "test_data/test_complete/t-sid.csv"), ',')
	if err != nil {
		return nil, err
	}
	levels := map[string]string{"no mental disorders": "none", "depression": "low", "ptsd": "low", "suicide or self-harm tendency": "high"}
	var out []tsidPost
	n := 0
	err = tab.Each(func(row sources.Row) error {
		n++
		q := row.Get("query")
		text, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(q), "Post:"), "Question:")
		label, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(row.Get("gpt-3.5-turbo"))), ".")
		level, ok := levels[strings.TrimSpace(label)]
		if !ok || strings.TrimSpace(text) == "" {
			return nil // an unlabelled or empty row (the source adapter's tests cover them)
		}
		out = append(out, tsidPost{ID: fmt.Sprintf("tsid-%04d", n), Text: strings.TrimSpace(text), Label: level})
		return nil
	}, nil)
	return out, err
}
