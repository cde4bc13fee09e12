package sources

import (
	"context"
	"fmt"
	"strings"
)

// counselchatSource is CounselChat: questions asked on counselchat.com and
// the answers licensed therapists wrote, one record per answer. Only the
// 2020-03-25 scrape is read; counselchat-data.csv (1,482 answers) and
// counsel_chat_250-tokens_full.json are earlier, lower-cased/tokenised
// copies of the same answers and would only add duplicates.
var counselchatSource = bind(Source{
	Name:        "counselchat",
	Title:       "CounselChat: questions answered by licensed therapists",
	License:     "MIT",
	Attribution: "Nicolas Bertagnolli (2020), \"Counsel chat: Bootstrapping high-quality therapy data\", Towards Data Science; github.com/nbertagnolli/counsel-chat; answers written by therapists on counselchat.com",
	Language:    "en",
	Origin:      "github.com/nbertagnolli/counsel-chat@e202e19c5002482f4f6631af754c276dd9adf7f2",
	Files:       []string{"20200325_counsel_chat.csv"},
	Remote:      map[string]string{"20200325_counsel_chat.csv": "data/20200325_counsel_chat.csv"},
	Stage:       "foundation",
	Uses:        []Use{Train},
}, counselchatLoad)

// counselchatEdgeTopics are the site's topics that are crisis or trauma
// material (stage 3). From the 31 topics in the file: self-harm, trauma,
// domestic-violence and grief-and-loss. Not included: substance-abuse,
// addiction and eating-disorders (clinical topics whose questions ask for
// ongoing help, not crisis response), anger-management, diagnosis and the rest.
var counselchatEdgeTopics = map[string]bool{
	"self-harm":         true,
	"trauma":            true,
	"domestic-violence": true,
	"grief-and-loss":    true,
}

func counselchatLoad(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	file := src.Files[0]
	t, err := OpenTable(Path(dir, file), ',')
	if err != nil {
		return err
	}
	for _, col := range []string{"questionID", "questionTitle", "questionText", "topic", "answerText", "upvotes", "split"} {
		if !t.Has(col) {
			t.f.Close()
			return fmt.Errorf("%s: no %q column (fix: use the 2020-03-25 file of nbertagnolli/counsel-chat)", t.Path, col)
		}
	}
	answers := map[string]int{} // answers seen per question: the answer's index
	return t.Each(func(r Row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		bad := func(reason, detail string) error {
			return reject(Rejected{File: t.Path, Line: r.Line, Reason: reason, Detail: detail})
		}
		qid := convIDPart(r.Get("questionID"))
		if qid == "" {
			return bad("missing_id", "questionID is empty")
		}
		idx := answers[qid]
		answers[qid]++
		question := convQuestion(r.Get("questionTitle"), r.Get("questionText"))
		answer := strings.TrimSpace(r.Get("answerText"))
		switch {
		case question == "":
			return bad("empty_question", fmt.Sprintf("question %s has no title and no text", qid))
		case answer == "":
			return bad("empty_answer", fmt.Sprintf("answer %d of question %s is empty", idx, qid))
		}
		topic := strings.TrimSpace(r.Get("topic"))
		labels := map[string]string{"topic": topic, "upvotes": strings.TrimSpace(r.Get("upvotes")), "split": convSplit(r.Get("split"))}
		for k, v := range labels {
			if v == "" {
				delete(labels, k)
			}
		}
		stage := "foundation"
		if counselchatEdgeTopics[topic] {
			stage = "edge"
			labels["crisis_topic"] = strings.ReplaceAll(topic, "-", "_")
		}
		id := fmt.Sprintf("q%s-a%d", qid, idx)
		return emit(src.Meta(id, stage, "therapist", labels, convMessages("", []convTurn{
			{Role: "user", Text: question}, {Role: "assistant", Text: answer},
		})))
	}, reject)
}
