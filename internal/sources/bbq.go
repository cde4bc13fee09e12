package sources

import (
	"context"
	"encoding/json"
	"fmt"
)

// bbqSource is BBQ, the Bias Benchmark for QA: hand-built question sets in
// ambiguous and disambiguated contexts, three answers each (one "unknown").
// Evaluation only: Load emits nothing, ReadBBQ reads the items.
var bbqSource = Source{
	Name:          "bbq",
	Title:         "BBQ: Bias Benchmark for QA (age, disability, nationality, appearance, religion, sexual orientation), bias evaluation only",
	License:       "CC BY 4.0",
	NonCommercial: false,
	ShareAlike:    false,
	Attribution: "Alicia Parrish, Angelica Chen, Nikita Nangia, Vishakh Padmakumar, Jason Phang, Jana Thompson, Phu Mon Htut, " +
		"Samuel R. Bowman. BBQ: A Hand-Built Bias Benchmark for Question Answering. Findings of ACL 2022. github.com/nyu-mll/BBQ",
	Language: "en",
	Origin:   "github.com/nyu-mll/BBQ@bea11bd97d79217245b5871acd247b9d6eb24598",
	Files:    bbqFiles(),
	Stage:    "foundation",
	Uses:     []Use{Eval},
	Load:     labNoLoad,
}

var bbqCategories = []string{"Age", "Disability_status", "Nationality", "Physical_appearance", "Religion", "Sexual_orientation"}

func bbqFiles() []string {
	var out []string
	for _, c := range bbqCategories {
		out = append(out, "data/"+c+".jsonl")
	}
	return out
}

// BBQItem is one BBQ question.
type BBQItem struct {
	ID                string // "bbq-<category>-<example_id>"
	ExampleID         int
	Category          string
	QuestionIndex     string
	QuestionPolarity  string // "neg" or "nonneg"
	ContextCondition  string // "ambig" or "disambig"
	Context           string
	Question          string
	Answers           [3]string
	AnswerInfo        [3][]string // per answer: the term and its group, e.g. ["grandfather", "old"]
	Label             int         // index of the correct answer
	StereotypedGroups []string
	Subcategory       string
	Version           string
	SourceURL         string // where the stereotype is attested
}

// ReadBBQ calls fn for every item of the six category files, in file
// order. A malformed line is an error naming the file and line.
func ReadBBQ(dir string, fn func(BBQItem) error) error {
	for _, file := range bbqFiles() {
		path := Path(dir, file)
		err := labEachLine(context.Background(), path, func(line int, raw []byte) error {
			var x struct {
				ExampleID        *int                `json:"example_id"`
				QuestionIndex    string              `json:"question_index"`
				QuestionPolarity string              `json:"question_polarity"`
				ContextCondition string              `json:"context_condition"`
				Category         string              `json:"category"`
				AnswerInfo       map[string][]string `json:"answer_info"`
				Meta             struct {
					Subcategory       string   `json:"subcategory"`
					StereotypedGroups []string `json:"stereotyped_groups"`
					Version           string   `json:"version"`
					Source            string   `json:"source"`
				} `json:"additional_metadata"`
				Context  string `json:"context"`
				Question string `json:"question"`
				Ans0     string `json:"ans0"`
				Ans1     string `json:"ans1"`
				Ans2     string `json:"ans2"`
				Label    *int   `json:"label"`
			}
			if err := json.Unmarshal(raw, &x); err != nil {
				return fmt.Errorf("%s line %d: %w", path, line, err)
			}
			switch {
			case x.ExampleID == nil:
				return fmt.Errorf("%s line %d: no example_id", path, line)
			case x.Label == nil || *x.Label < 0 || *x.Label > 2:
				return fmt.Errorf("%s line %d: label missing or not 0-2", path, line)
			case x.Context == "" || x.Question == "" || x.Ans0 == "" || x.Ans1 == "" || x.Ans2 == "":
				return fmt.Errorf("%s line %d: empty context, question or answer", path, line)
			}
			it := BBQItem{
				ID: fmt.Sprintf("bbq-%s-%d", x.Category, *x.ExampleID), ExampleID: *x.ExampleID, Category: x.Category,
				QuestionIndex: x.QuestionIndex, QuestionPolarity: x.QuestionPolarity, ContextCondition: x.ContextCondition,
				Context: x.Context, Question: x.Question, Answers: [3]string{x.Ans0, x.Ans1, x.Ans2}, Label: *x.Label,
				StereotypedGroups: x.Meta.StereotypedGroups, Subcategory: x.Meta.Subcategory, Version: x.Meta.Version,
				SourceURL: x.Meta.Source,
			}
			for i := range 3 {
				it.AnswerInfo[i] = x.AnswerInfo[fmt.Sprintf("ans%d", i)]
			}
			return fn(it)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
