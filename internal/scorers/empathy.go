package scorers

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"pixel/internal/record"
	"pixel/internal/sources"
)

// empathyMechanisms are EPITOME's three communication mechanisms, each
// rated 0 (none), 1 (weak) or 2 (strong) by trained crowdworkers (Sharma et
// al., EMNLP 2020), with the paper's macro-F1 on Reddit as our goal.
var empathyMechanisms = []struct {
	Task, Label, Title string
	Goal               float64
}{
	{"empathy_er", "emotional_reactions", "emotional reactions", 0.74},
	{"empathy_ip", "interpretations", "interpretations", 0.63},
	{"empathy_ex", "explorations", "explorations", 0.73},
}

// empathyTasks reads EPITOME (Reddit) and makes one task per mechanism:
// context = seeker post, response = the reply; training examples also carry
// the annotators' rationale spans (finetune.rationale_weight). The held-out split is drawn
// by seeker post, so no post is on both sides.
func empathyTasks(ctx context.Context, o Options) ([]*Task, error) {
	var tasks []*Task
	for _, m := range empathyMechanisms {
		tasks = append(tasks, &Task{Name: m.Task, Scorer: "empathy", Inputs: []string{"context", "response"}, NGrams: true,
			HeldoutData: "EPITOME Reddit, " + strconv.Itoa(o.HeldoutPercent) + "% of seeker posts held out"})
	}
	dir, err := sourceDir(o.DataRoot, "epitome")
	if err != nil {
		return nil, err
	}
	rationales, err := sources.EpitomeRationales(dir)
	if err != nil {
		return nil, err
	}
	all := make([][]Example, len(tasks))
	_, err = eachRecord(ctx, o.DataRoot, "epitome", func(c record.Conversation) {
		if len(c.Messages) < 2 {
			return
		}
		seeker, reply := c.Messages[0].Content, c.Messages[1].Content
		held := heldoutByHash("epitome:"+seeker, o.HeldoutPercent)
		for i, m := range empathyMechanisms {
			if lv, ok := c.Labels[m.Label]; ok {
				ex := Example{ID: c.ID, Texts: map[string]string{"context": seeker, "response": reply}, Label: lv, Group: seeker, Heldout: held}
				// A rated response without spans (12 rows) has no usable rationale.
				if r, ok := rationales[c.ID][m.Label]; ok && !held && (r != "") == (lv != "0") {
					if spans := alignSpans(reply, r); (spans != "") == (r != "") {
						ex.Aux = map[string]string{"rationale": spans}
					}
				}
				all[i] = append(all[i], ex)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for i, t := range tasks {
		t.split(all[i])
	}
	return tasks, nil
}

// alignSpans finds each "|"-separated span in reply, whitespace-insensitively
// (the three EPITOME files differ in whitespace), and returns the reply's own
// text of the spans it finds, "|"-separated.
func alignSpans(reply, spans string) string {
	var out []string
	for _, span := range strings.Split(spans, "|") {
		words := strings.Fields(span)
		if len(words) == 0 {
			continue
		}
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		if m := regexp.MustCompile(strings.Join(words, `\s*`)).FindString(reply); m != "" {
			out = append(out, m)
		}
	}
	return strings.Join(out, "|")
}
