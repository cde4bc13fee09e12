package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// mibotSource reads MIBot: 106 conversations between an MI counsellor bot
// (GPT-4o) and human smokers, plus each participant's survey. The bot's
// side is not therapist data to imitate, so the source emits only the
// derived voice record: the assistant plays the smoker, the user is the
// counsellor, and the system prompt is the participant's own pre-conversation
// survey answers.
var mibotSource = bind(Source{
	Name:       "mibot",
	Title:      "MIBot: motivational interviewing conversations with ambivalent smokers",
	License:    "CC BY-SA 4.0",
	ShareAlike: true,
	Attribution: "Mahmood, Ali, Zhu, Abdelwahab, Collins, Chen, Zhao, Wolff, Melamed, Minian, Maslej, Cooper, Ratto, Selby, Rose: " +
		"A Fully Generative Motivational Interviewing Counsellor Chatbot for Moving Smokers Towards the Decision to Quit " +
		"(Findings of ACL 2025); github.com/zaffnet/MIBOT_ACL2025",
	Language: "en",
	Origin:   "github.com/zaffnet/MIBOT_ACL2025@ebd991da9e8edc611e302b4f3dd52d9c68705103",
	Files:    []string{"data.csv", "transcripts/*.json"},
	Stage:    "voice",
	Uses:     []Use{Train},
}, loadMibot)

// mibotUtterance is one element of a transcript's "utterances": a thought
// unit; a volley is one uninterrupted message of one party.
type mibotUtterance struct {
	Speaker   string `json:"speaker"` // counsellor | client
	Volley    int    `json:"volley_number"`
	Utterance int    `json:"utterance_number"`
	Text      string `json:"text"`
}

// mibotSurvey is what the system prompt and labels take from data.csv.
type mibotSurvey map[string]string

// mibotSurveyCols are the data.csv columns carried as labels, by label name.
var mibotSurveyCols = [][2]string{
	{"daily_cigarettes", "DailyNum"},
	{"heaviness_of_smoking_index", "HeavinessOfSmokingIndex"},
	{"pre_importance", "PreRulerImportance"},
	{"pre_confidence", "PreRulerConfidence"},
	{"pre_readiness", "PreRulerReadiness"},
	{"post_importance", "PostRulerImportance"},
	{"post_confidence", "PostRulerConfidence"},
	{"post_readiness", "PostRulerReadiness"},
}

func loadMibot(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	surveys, err := mibotReadSurveys(dir, reject)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "transcripts", "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no transcripts/*.json (fix: get the source with `pixel data fetch mibot`)", dir)
	}
	sort.Strings(files)
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := mibotTranscript(src, path, surveys, emit, reject); err != nil {
			return err
		}
	}
	return nil
}

// mibotReadSurveys reads data.csv into a map by participant id (106 rows).
func mibotReadSurveys(dir string, reject Reject) (map[string]mibotSurvey, error) {
	path := Path(dir, "data.csv")
	t, err := OpenTable(path, ',')
	if err != nil {
		return nil, err
	}
	out := map[string]mibotSurvey{}
	cols := []string{"DailyNum", "FirstCig", "HeavinessOfSmokingIndex", "PreConvoQuitAttempt", "PreConvoNumQuitAttempts",
		"PreRulerImportance", "PreRulerConfidence", "PreRulerReadiness", "PostRulerImportance", "PostRulerConfidence", "PostRulerReadiness"}
	err = t.Each(func(r Row) error {
		id := strings.TrimSpace(r.Get("ParticipantID"))
		if id == "" {
			return personaRejectf(reject, path, r.Line, "missing_participant_id", "ParticipantID is empty")
		}
		s := mibotSurvey{}
		for _, c := range cols {
			s[c] = strings.TrimSpace(r.Get(c))
		}
		out[id] = s
		return nil
	}, reject)
	return out, err
}

// mibotTranscript streams one transcript file and emits its role-play record.
func mibotTranscript(src Source, path string, surveys map[string]mibotSurvey, emit Emit, reject Reject) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bad := func(reason string, offset int64, format string, a ...any) error {
		return personaRejectf(reject, path, personaLineAt(path, offset), reason, format, a...)
	}
	dec := json.NewDecoder(f)
	var pid string
	var utts []mibotUtterance
	var lines []func() int // line of each utterance, counted only for rejects
	skipped := 0
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad("bad_json", dec.InputOffset(), "transcript is not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("bad_json", dec.InputOffset(), "%s", mibotJSONError(err))
		}
		switch tok {
		case "participant_id":
			if err := dec.Decode(&pid); err != nil {
				return bad("bad_json", dec.InputOffset(), "participant_id: %s", mibotJSONError(err))
			}
		case "utterances":
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return bad("bad_json", dec.InputOffset(), "utterances is not an array")
			}
			for dec.More() {
				at := dec.InputOffset()
				var u mibotUtterance
				if err := dec.Decode(&u); err != nil {
					return bad("bad_json", at, "utterance %d: %s", len(utts), mibotJSONError(err))
				}
				utts = append(utts, u)
				lines = append(lines, personaLineAtLazy(path, at))
			}
			if _, err := dec.Token(); err != nil {
				return bad("bad_json", dec.InputOffset(), "utterances: %s", mibotJSONError(err))
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad("bad_json", dec.InputOffset(), "%v: %s", tok, mibotJSONError(err))
			}
		}
	}
	pid = strings.TrimSpace(pid)
	if pid == "" {
		return bad("missing_participant_id", 0, "transcript has no participant_id")
	}

	// Utterances of one volley are sentences of one message: join them with
	// a space; consecutive volleys of one party join with a newline.
	order := make([]int, len(utts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return utts[order[a]].Utterance < utts[order[b]].Utterance })
	var turns personaTurns
	lastVolley := -1
	for _, i := range order {
		u := utts[i]
		role := map[string]string{"counsellor": "user", "client": "assistant"}[u.Speaker]
		if role == "" {
			if err := personaRejectf(reject, path, lines[i](), "unknown_speaker", "participant %s utterance %d: speaker %q", pid, u.Utterance, u.Speaker); err != nil {
				return err
			}
			continue
		}
		sep := "\n"
		if u.Volley == lastVolley {
			sep = " "
		}
		if !turns.add(role, u.Text, sep) {
			// An empty utterance (one client volley in the data) adds no
			// turn: the counsellor volleys around it merge.
			skipped++
			continue
		}
		lastVolley = u.Volley
	}
	msgs := turns.dialogue()
	if msgs == nil {
		return bad("no_client_turn", 0, "participant %s: no counsellor turn answered by the client", pid)
	}
	survey, ok := surveys[pid]
	labels := map[string]string{"participant": pid, "survey": "present"}
	if !ok {
		labels["survey"] = "missing"
	}
	for _, c := range mibotSurveyCols {
		if v := survey[c[1]]; v != "" {
			labels[c[0]] = v
		}
	}
	if skipped > 0 {
		labels["empty_utterances_skipped"] = strconv.Itoa(skipped)
	}
	base := src.Meta(pid, "foundation", "therapist", nil, nil)
	return emit(Derive(base, "client", "voice", "client", personaRolePlayStep, labels,
		personaWithSystem(mibotClientPrompt(survey), msgs)))
}

func mibotJSONError(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of file"
	}
	return err.Error()
}

// mibotFirstCig maps data.csv's FirstCig (the Heaviness of Smoking Index
// time-to-first-cigarette score; HeavinessOfSmokingIndex equals it plus the
// cigarettes-per-day score on every row) to the answer it codes.
var mibotFirstCig = map[string]string{
	"3": "within 5 minutes of waking",
	"2": "6 to 30 minutes after waking",
	"1": "31 to 60 minutes after waking",
	"0": "more than 60 minutes after waking",
}

// mibotClientPrompt is the system prompt of the smoker role-play, built from
// the participant's own pre-conversation survey; fields left blank in
// data.csv are left out.
func mibotClientPrompt(s mibotSurvey) string {
	var b strings.Builder
	b.WriteString("You are role-playing a client: an adult smoker who is ambivalent about quitting, talking with a " +
		"motivational interviewing counsellor about smoking. The user is the counsellor. Speak only as the client, in the " +
		"first person, and never take the counsellor's role.")
	var facts []string
	if n := s["DailyNum"]; n != "" {
		facts = append(facts, fmt.Sprintf("you smoke about %s cigarettes a day", n))
	}
	if w, ok := mibotFirstCig[s["FirstCig"]]; ok {
		facts = append(facts, "you smoke your first cigarette "+w)
	}
	switch s["PreConvoQuitAttempt"] {
	case "False":
		facts = append(facts, "you made no quit attempt (not smoking for more than 24 hours) in the past week")
	case "True":
		if n := s["PreConvoNumQuitAttempts"]; n != "" {
			plural := "s"
			if n == "1" {
				plural = ""
			}
			facts = append(facts, fmt.Sprintf("you made %s quit attempt%s (not smoking for more than 24 hours) in the past week", n, plural))
		} else {
			facts = append(facts, "you made a quit attempt (not smoking for more than 24 hours) in the past week")
		}
	}
	rulers := [][2]string{
		{"PreRulerImportance", "how important it is to you right now to stop smoking"},
		{"PreRulerConfidence", "how confident you are that you would succeed at stopping smoking if you started now"},
		{"PreRulerReadiness", "how ready you are to start making a change at stopping smoking right now"},
	}
	for _, r := range rulers {
		if v := s[r[0]]; v != "" {
			facts = append(facts, fmt.Sprintf("%s: %s out of 10", r[1], v))
		}
	}
	if len(facts) > 0 {
		b.WriteString("\n\nClient profile (your own answers before the conversation):\n- ")
		b.WriteString(strings.Join(facts, "\n- "))
	}
	return b.String()
}
