package scorers

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"pixel/internal/record"
)

// personaTask is the therapist-vs-client head: every turn of AnnoMI
// (therapist / client), ESConv (supporter / seeker) and CounselChat
// (counsellor answer / client question), labelled by who said it. Held out
// by conversation.
func personaTask(ctx context.Context, o Options) (*Task, error) {
	t := &Task{Name: "persona", Scorer: "persona", Inputs: []string{"text"}, NGrams: true,
		HeldoutData: "AnnoMI, ESConv, CounselChat: " + strconv.Itoa(o.HeldoutPercent) + "% of conversations held out"}
	var all []Example
	trs, err := readAnnoMI(o.DataRoot)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(trs))
	for id := range trs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		h := heldoutByHash("annomi:"+id, o.HeldoutPercent)
		for _, u := range trs[id] {
			if (u.Speaker == "therapist" || u.Speaker == "client") && u.Text != "" {
				all = append(all, Example{ID: fmt.Sprintf("annomi-%s-%04d", id, u.N), Texts: map[string]string{"text": u.Text},
					Label: u.Speaker, Group: id, Heldout: h})
			}
		}
	}
	for _, name := range []string{"esconv", "counselchat"} {
		if _, err := eachRecord(ctx, o.DataRoot, name, func(c record.Conversation) {
			h := heldoutByHash(name+":"+c.ID, o.HeldoutPercent)
			for i, m := range c.Messages {
				label := map[string]string{"user": "client", "assistant": "therapist"}[m.Role]
				if label != "" && m.Content != "" {
					all = append(all, Example{ID: fmt.Sprintf("%s-%03d", c.ID, i), Texts: map[string]string{"text": m.Content},
						Label: label, Group: c.ID, Heldout: h})
				}
			}
		}); err != nil {
			return nil, err
		}
	}
	t.split(all)
	return t, nil
}

// shortTurn is a turn of 1-3 words ("Yeah.", "Mm-hmm.", "Thank you"),
// which either side says.
func shortTurn(text string) bool { return len(strings.Fields(text)) <= 3 }

// turnWords is a turn's words, lower-cased, without punctuation.
func turnWords(text string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	}), " ")
}

// wordsMajority is, for each short training turn's words, the speaker who
// said them most often (ties and unseen words: the speaker of most short
// turns): an estimate of the ceiling for a reader of the turn alone.
func wordsMajority(train []Example) func(text string) string {
	counts, overall := map[string]map[string]int{}, map[string]int{}
	for _, e := range train {
		if !shortTurn(e.Texts["text"]) {
			continue
		}
		k := turnWords(e.Texts["text"])
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		counts[k][e.Label]++
		overall[e.Label]++
	}
	top := func(c map[string]int, fallback string) string {
		best, n := fallback, c[fallback]
		for _, l := range []string{"client", "therapist"} {
			if c[l] > n {
				best, n = l, c[l]
			}
		}
		return best
	}
	def := top(overall, "client")
	return func(text string) string { return top(counts[turnWords(text)], def) }
}
