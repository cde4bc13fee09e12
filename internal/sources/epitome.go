package sources

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// epitomeSource is EPITOME's Reddit portion: (seeker post, response post)
// pairs from mental-health subreddits, each response rated 0/1/2 on the three
// empathy communication mechanisms. The three csv files hold the same pairs
// in the same order, one mechanism each; a record carries all three levels
// and their sum (0-6), for the empathy scorer and for filtering stage 1.
//
// The repository has no LICENSE file. It holds two University of Washington
// licenses as .docx: an academic license (non-commercial research, and
// redistribution "under a similar noncommercial academic license") and an
// attribution-only BSD-style license; neither says it covers the data. The
// flags follow the stricter one: non-commercial and share-alike.
//
// The post texts differ between the three files in whitespace only; the
// emotional-reactions file's text is used. 60 pairs are listed more than
// once (61 extra rows, 19 of which disagree with the first row on some
// level): a pair is kept at its first row and later rows are rejected as
// duplicate_pair.
var epitomeSource = bind(Source{
	Name:          "epitome",
	Title:         "EPITOME: empathy in text-based mental health support (Reddit)",
	License:       "unspecified: no LICENSE file; repo holds UW academic (non-commercial) and attribution-only licenses that do not name the data",
	NonCommercial: true,
	ShareAlike:    true,
	Attribution:   "Ashish Sharma, Adam S. Miner, David C. Atkins and Tim Althoff (2020), \"A Computational Approach to Understanding Empathy Expressed in Text-Based Mental Health Support\", EMNLP 2020; University of Washington Behavioral Data Science Group, github.com/behavioral-data/Empathy-Mental-Health",
	Language:      "en",
	Origin:        "github.com/behavioral-data/Empathy-Mental-Health@0e11f98901527550885dbf253bd2af92dbcec43b",
	Files:         []string{"emotional-reactions-reddit.csv", "interpretations-reddit.csv", "explorations-reddit.csv"},
	Remote: map[string]string{
		"emotional-reactions-reddit.csv": "dataset/emotional-reactions-reddit.csv",
		"interpretations-reddit.csv":     "dataset/interpretations-reddit.csv",
		"explorations-reddit.csv":        "dataset/explorations-reddit.csv",
	},
	Stage: "foundation",
	Uses:  []Use{Train, Scorer},
}, epitomeLoad)

// epitomeLevel is one mechanism's rating of one row.
type epitomeLevel struct {
	line  int
	level string
}

func epitomeLoad(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	const erFile = "emotional-reactions-reddit.csv"
	// The two other mechanisms are small (ids and a digit per row): read them
	// first, keyed by pair and occurrence, then stream the texts from erFile.
	others := []struct{ label, file string }{
		{"interpretations", "interpretations-reddit.csv"},
		{"explorations", "explorations-reddit.csv"},
	}
	levels := make([]map[string]epitomeLevel, len(others))
	for i, o := range others {
		m, err := epitomeLevels(ctx, Path(dir, o.file), reject)
		if err != nil {
			return err
		}
		levels[i] = m
	}
	t, err := epitomeOpen(Path(dir, erFile))
	if err != nil {
		return err
	}
	occurrences := map[string]int{}
	first := map[string]struct {
		line   int
		levels string
	}{}
	err = t.Each(func(r Row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		bad := func(reason, detail string) error {
			return reject(Rejected{File: t.Path, Line: r.Line, Reason: reason, Detail: detail})
		}
		sp, rp := convIDPart(r.Get("sp_id")), convIDPart(r.Get("rp_id"))
		pair := sp + "-" + rp
		key := fmt.Sprintf("%s#%d", pair, occurrences[pair])
		occurrences[pair]++
		// Take this row's ratings from the other files first, so that a
		// rejected row does not leave them behind as unpaired.
		ratings := []string{"emotional_reactions", strings.TrimSpace(r.Get("level"))}
		var missing []string
		for i, o := range others {
			l, ok := levels[i][key]
			if !ok {
				missing = append(missing, o.file)
				continue
			}
			delete(levels[i], key)
			ratings = append(ratings, o.label, l.level)
		}
		switch {
		case sp == "" || rp == "":
			return bad("missing_id", "sp_id or rp_id is empty")
		case len(missing) > 0:
			return bad("missing_annotation", fmt.Sprintf("pair %s (occurrence %d) is not in %s", pair, occurrences[pair], strings.Join(missing, ", ")))
		}
		labels := map[string]string{}
		sum := 0
		for i := 0; i < len(ratings); i += 2 {
			n, err := strconv.Atoi(ratings[i+1])
			if err != nil || n < 0 || n > 2 {
				return bad("bad_level", fmt.Sprintf("pair %s: %s level %q is not 0, 1 or 2", pair, ratings[i], ratings[i+1]))
			}
			labels[ratings[i]] = ratings[i+1]
			sum += n
		}
		labels["empathy_sum"] = strconv.Itoa(sum)
		got := labels["emotional_reactions"] + labels["interpretations"] + labels["explorations"]
		if f, dup := first[pair]; dup {
			agree := "the levels agree"
			if f.levels != got {
				agree = "the levels differ; the first row's are kept"
			}
			return bad("duplicate_pair", fmt.Sprintf("pair %s is already at line %d; %s", pair, f.line, agree))
		}
		first[pair] = struct {
			line   int
			levels string
		}{r.Line, got}
		seeker, response := strings.TrimSpace(r.Get("seeker_post")), strings.TrimSpace(r.Get("response_post"))
		switch {
		case seeker == "":
			return bad("empty_question", fmt.Sprintf("pair %s has an empty seeker_post", pair))
		case response == "":
			return bad("empty_answer", fmt.Sprintf("pair %s has an empty response_post", pair))
		}
		return emit(src.Meta(pair, "foundation", "therapist", labels, convMessages("", []convTurn{
			{Role: "user", Text: seeker}, {Role: "assistant", Text: response},
		})))
	}, reject)
	if err != nil {
		return err
	}
	// Rows of the other files that erFile does not have.
	for i, o := range others {
		var left []epitomeLevel
		for _, l := range levels[i] {
			left = append(left, l)
		}
		sort.Slice(left, func(a, b int) bool { return left[a].line < left[b].line })
		for _, l := range left {
			if err := reject(Rejected{File: Path(dir, o.file), Line: l.line, Reason: "unpaired_row", Detail: "its sp_id/rp_id pair is not in " + erFile}); err != nil {
				return err
			}
		}
	}
	return nil
}

// epitomeOpen opens one mechanism's file and checks its columns.
func epitomeOpen(path string) (*Table, error) {
	t, err := OpenTable(path, ',')
	if err != nil {
		return nil, err
	}
	for _, col := range []string{"sp_id", "rp_id", "seeker_post", "response_post", "level"} {
		if !t.Has(col) {
			t.f.Close()
			return nil, fmt.Errorf("%s: no %q column (fix: use the dataset/*-reddit.csv files of behavioral-data/Empathy-Mental-Health)", path, col)
		}
	}
	return t, nil
}

// epitomeLevels reads one mechanism's levels keyed "sp-rp#occurrence".
func epitomeLevels(ctx context.Context, path string, reject Reject) (map[string]epitomeLevel, error) {
	t, err := epitomeOpen(path)
	if err != nil {
		return nil, err
	}
	out := map[string]epitomeLevel{}
	occurrences := map[string]int{}
	err = t.Each(func(r Row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		pair := convIDPart(r.Get("sp_id")) + "-" + convIDPart(r.Get("rp_id"))
		out[fmt.Sprintf("%s#%d", pair, occurrences[pair])] = epitomeLevel{line: r.Line, level: strings.TrimSpace(r.Get("level"))}
		occurrences[pair]++
		return nil
	}, reject)
	return out, err
}

// EpitomeRationales reads the annotators' rationales: for each record id
// ("epitome-<sp>-<rp>") and mechanism label (emotional_reactions,
// interpretations, explorations), the response's evidence spans joined by
// "|" ("" when the level is 0). A pair listed twice keeps its first row, as
// the adapter does. The spans quote the response, so they are used only
// beside it (the empathy scorer's training) and never go into records.
func EpitomeRationales(dir string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, m := range []struct{ label, file string }{
		{"emotional_reactions", "emotional-reactions-reddit.csv"},
		{"interpretations", "interpretations-reddit.csv"},
		{"explorations", "explorations-reddit.csv"},
	} {
		t, err := epitomeOpen(Path(dir, m.file))
		if err != nil {
			return nil, err
		}
		if !t.Has("rationales") {
			t.f.Close()
			return nil, fmt.Errorf("%s: no \"rationales\" column (fix: use the dataset/*-reddit.csv files of behavioral-data/Empathy-Mental-Health)", t.Path)
		}
		err = t.Each(func(r Row) error {
			id := epitomeSource.Name + "-" + convIDPart(r.Get("sp_id")) + "-" + convIDPart(r.Get("rp_id"))
			if out[id] == nil {
				out[id] = map[string]string{}
			}
			if _, seen := out[id][m.label]; !seen {
				out[id][m.label] = strings.Trim(strings.TrimSpace(r.Get("rationales")), "|")
			}
			return nil
		}, func(Rejected) error { return nil })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
