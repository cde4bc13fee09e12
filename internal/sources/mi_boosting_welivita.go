package sources

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// miBoostingWelivitaSource is the MI-labelled CounselChat set of Welivita &
// Pu (2023): 1,129 CounselChat question/answer dialogs whose answers are cut
// into segments, each segment coded with Motivational Interviewing behaviour
// codes (Give Information, Advise without Permission, Simple Reflection...).
// The user message is the question (title, then text, as in counselchat);
// the assistant message is the answer's segments joined by "\n".
//
// The MI code of a segment is the dataset's final label column, "Union
// (without disambiguities)". The dialogs are CounselChat answers (dialog id
// "counsel_chat | N" is row N of counselchat's 2020 csv, kept in
// labels["counselchat_row"]), so they overlap the counselchat source; the
// pipeline's near-duplicate step decides which copy stays. The PP_Dataset
// rephrasing pairs are not read.
var miBoostingWelivitaSource = bind(Source{
	Name:          "mi_boosting_welivita",
	Title:         "MI-labelled CounselChat (Boosting Distress Support Dialogue Responses with MI Strategy)",
	License:       "CC-BY-NC-SA-3.0",
	NonCommercial: true,
	ShareAlike:    true,
	Attribution:   "Anuradha Welivita and Pearl Pu (2023), \"Boosting Distress Support Dialogue Responses with Motivational Interviewing Strategy\", Findings of ACL 2023; github.com/anuradha1992/Boosting-with-MI-Strategy; built on CounselChat (Bertagnolli 2020)",
	Language:      "en",
	Origin:        "github.com/anuradha1992/Boosting-with-MI-Strategy@5850f0756a232bcb14ecde5a62e5c81bf44be5ec",
	Files:         []string{"MI_Augmented_CounselChat_CC_Augmented.csv"},
	Remote: map[string]string{
		"MI_Augmented_CounselChat_CC_Augmented.csv": "Data/MI Augmented Datasets/MI Augmented Intersection and Union (CounselChat) - CC_Augmented.csv",
	},
	Stage: "foundation",
	Uses:  []Use{Train},
}, miBoostingWelivitaLoad)

// miBoostingWelivitaLabel is the column holding each segment's MI code.
const miBoostingWelivitaLabel = "Union (without disambiguities)"

// miBoostingWelivitaDialog is one dialog being gathered from its rows.
type miBoostingWelivitaDialog struct {
	rawID    string
	line     int // line of its first row
	turns    []convTurn
	segments int    // listener rows
	badRole  string // first author value that is neither speaker nor listener, quoted
}

func miBoostingWelivitaLoad(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	file := src.Files[0]
	t, err := OpenTable(Path(dir, file), ',')
	if err != nil {
		return err
	}
	for _, col := range []string{"dialog_id", "title", "author", "text", miBoostingWelivitaLabel} {
		if !t.Has(col) {
			t.f.Close()
			return fmt.Errorf("%s: no %q column (fix: use Data/MI Augmented Datasets/MI_Augmented_CounselChat_CC_Augmented.csv)", t.Path, col)
		}
	}
	seen := map[string]int{} // record id -> line of the dialog that took it
	var cur *miBoostingWelivitaDialog
	flush := func() error {
		if cur == nil {
			return nil
		}
		d := cur
		cur = nil
		bad := func(reason, detail string) error {
			return reject(Rejected{File: t.Path, Line: d.line, Reason: reason, Detail: detail})
		}
		id := convIDPart(d.rawID)
		switch {
		case id == "":
			return bad("missing_id", "dialog_id is empty")
		case d.badRole != "":
			return bad("unknown_author", fmt.Sprintf("dialog %s has author %s; want speaker or listener", id, d.badRole))
		case seen[id] > 0:
			return bad("duplicate_id", fmt.Sprintf("dialog %s also starts at line %d; its rows are not contiguous", id, seen[id]))
		}
		seen[id] = d.line
		merged, reason := convMerge(d.turns)
		if reason != "" {
			return bad(reason, fmt.Sprintf("dialog %s: %d rows, no question answered by the helper", id, len(d.turns)))
		}
		labels := map[string]string{"mi_segments": strconv.Itoa(d.segments)}
		var codes []string
		for _, m := range merged {
			codes = append(codes, m.Tags...)
		}
		if len(codes) > 0 {
			labels["mi_labels"] = strings.Join(codes, "|")
		}
		if name, n, ok := strings.Cut(d.rawID, "|"); ok && strings.TrimSpace(name) == "counsel_chat" {
			labels["counselchat_row"] = strings.TrimSpace(n)
		}
		return emit(src.Meta(id, "foundation", "therapist", labels, convMessages("", merged)))
	}
	err = t.Each(func(r Row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rawID := strings.TrimSpace(r.Get("dialog_id"))
		if cur == nil || rawID != cur.rawID {
			if err := flush(); err != nil {
				return err
			}
			cur = &miBoostingWelivitaDialog{rawID: rawID, line: r.Line}
		}
		text := r.Get("text")
		switch author := strings.TrimSpace(r.Get("author")); author {
		case "speaker":
			if len(cur.turns) == 0 {
				text = convQuestion(r.Get("title"), text)
			}
			cur.turns = append(cur.turns, convTurn{Role: "user", Text: text})
		case "listener":
			cur.segments++
			var tags []string
			if code := strings.TrimSpace(r.Get(miBoostingWelivitaLabel)); code != "" && strings.TrimSpace(text) != "" {
				tags = []string{code}
			}
			cur.turns = append(cur.turns, convTurn{Role: "assistant", Text: text, Tags: tags})
		default:
			if cur.badRole == "" {
				cur.badRole = strconv.Quote(author)
			}
		}
		return nil
	}, reject)
	if err != nil {
		return err
	}
	return flush()
}
