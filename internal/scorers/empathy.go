package scorers

import (
	"context"
	"strconv"

	"pixel/internal/record"
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
// context = seeker post, response = the reply. The held-out split is drawn
// by seeker post, so no post is on both sides.
func empathyTasks(ctx context.Context, o Options) ([]*Task, error) {
	var tasks []*Task
	for _, m := range empathyMechanisms {
		tasks = append(tasks, &Task{Name: m.Task, Scorer: "empathy", Inputs: []string{"context", "response"}, NGrams: true,
			HeldoutData: "EPITOME Reddit, " + strconv.Itoa(o.HeldoutPercent) + "% of seeker posts held out"})
	}
	all := make([][]Example, len(tasks))
	_, err := eachRecord(ctx, o.DataRoot, "epitome", func(c record.Conversation) {
		if len(c.Messages) < 2 {
			return
		}
		seeker, reply := c.Messages[0].Content, c.Messages[1].Content
		held := heldoutByHash("epitome:"+seeker, o.HeldoutPercent)
		for i, m := range empathyMechanisms {
			if lv, ok := c.Labels[m.Label]; ok {
				all[i] = append(all[i], Example{ID: c.ID, Texts: map[string]string{"context": seeker, "response": reply},
					Label: lv, Group: seeker, Heldout: held})
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
