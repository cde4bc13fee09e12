package sources

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// annomiSource reads AnnoMI-simple.csv: one row per utterance, 133
// motivational-interviewing transcripts rated high or low MI quality.
// Each transcript becomes a foundation record (client = user, therapist =
// assistant; low-quality ones are labelled mi_quality=low for downstream
// filtering) and a derived voice record in which the assistant plays the
// client, with a profile from the transcript's own annotations.
var annomiSource = bind(Source{
	Name:    "annomi",
	Title:   "AnnoMI: expert-annotated motivational interviewing demonstrations (high and low quality)",
	License: `unspecified: no LICENSE file; README says "publicly and freely accessible"`,
	Attribution: "Wu, Balloccu, Kumar, Helaoui, Reiter, Reforgiato Recupero, Riboni: Anno-MI: A Dataset of Expert-Annotated " +
		"Counselling Dialogues (ICASSP 2022) and Creation, Analysis and Evaluation of AnnoMI (Future Internet 15(3):110, 2023); " +
		"github.com/uccollab/AnnoMI",
	Language: "en",
	Origin:   "github.com/uccollab/AnnoMI@42936645ec3857a9c84ab296a36a3c34b779ef49",
	Files:    []string{"AnnoMI-simple.csv"},
	Stage:    "foundation",
	Uses:     []Use{Train},
}, loadAnnomi)

// annomiUtterance is one row of AnnoMI-simple.csv.
type annomiUtterance struct {
	line     int
	order    int
	speaker  string // therapist | client
	text     string
	talkType string // client rows: change | neutral | sustain
}

// annomiTranscript gathers the rows of one transcript. The file lists each
// transcript's rows together; a transcript id that comes back after
// another transcript started is rejected row by row.
type annomiTranscript struct {
	id, quality, topic string
	line               int // first row
	rows               []annomiUtterance
}

func loadAnnomi(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	path := Path(dir, "AnnoMI-simple.csv")
	t, err := OpenTable(path, ',')
	if err != nil {
		return err
	}
	var cur *annomiTranscript
	done := map[string]bool{}
	flush := func() error {
		if cur == nil {
			return nil
		}
		done[cur.id] = true
		return annomiEmit(src, cur, path, emit, reject)
	}
	err = t.Each(func(r Row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		id := strings.TrimSpace(r.Get("transcript_id"))
		if id == "" {
			return personaRejectf(reject, path, r.Line, "missing_transcript_id", "transcript_id is empty")
		}
		if done[id] {
			return personaRejectf(reject, path, r.Line, "transcript_not_contiguous", "transcript %s continues after another transcript started", id)
		}
		if cur == nil || cur.id != id {
			if err := flush(); err != nil {
				return err
			}
			cur = &annomiTranscript{id: id, quality: strings.TrimSpace(r.Get("mi_quality")), topic: strings.TrimSpace(r.Get("topic")), line: r.Line}
		}
		order, err := strconv.Atoi(strings.TrimSpace(r.Get("utterance_id")))
		if err != nil {
			return personaRejectf(reject, path, r.Line, "bad_utterance_id", "transcript %s: utterance_id is not an integer", id)
		}
		speaker := strings.TrimSpace(r.Get("interlocutor"))
		if speaker != "therapist" && speaker != "client" {
			return personaRejectf(reject, path, r.Line, "unknown_interlocutor", "transcript %s utterance %d: interlocutor %q", id, order, speaker)
		}
		text := strings.TrimSpace(r.Get("utterance_text"))
		if text == "" {
			return personaRejectf(reject, path, r.Line, "empty_utterance", "transcript %s utterance %d is empty", id, order)
		}
		cur.rows = append(cur.rows, annomiUtterance{line: r.Line, order: order, speaker: speaker, text: text,
			talkType: strings.TrimSpace(r.Get("client_talk_type"))})
		return nil
	}, reject)
	if err != nil {
		return err
	}
	return flush()
}

// annomiEmit turns one transcript into its foundation record and its
// client role-play record.
func annomiEmit(src Source, tr *annomiTranscript, path string, emit Emit, reject Reject) error {
	sort.SliceStable(tr.rows, func(i, j int) bool { return tr.rows[i].order < tr.rows[j].order })
	labels := map[string]string{"transcript": tr.id, "mi_quality": tr.quality, "topic": tr.topic}

	// Foundation: the client seeks help (user), the therapist answers (assistant).
	var therapist, client personaTurns
	talk := map[string]int{}
	for _, u := range tr.rows {
		if u.speaker == "client" {
			therapist.add("user", u.text, "\n")
			client.add("assistant", u.text, "\n")
			talk[u.talkType]++
		} else {
			therapist.add("assistant", u.text, "\n")
			client.add("user", u.text, "\n")
		}
	}
	base := src.Meta(tr.id, "foundation", "therapist", labels, therapist.dialogue())
	if base.Messages == nil {
		if err := personaRejectf(reject, path, tr.line, "no_assistant_turn", "transcript %s has no client turn answered by the therapist", tr.id); err != nil {
			return err
		}
	} else if err := emit(base); err != nil {
		return err
	}

	// Voice: the therapist (user) talks to the client the model plays.
	msgs := client.dialogue()
	if msgs == nil {
		return personaRejectf(reject, path, tr.line, "no_client_turn", "transcript %s has no therapist turn answered by the client", tr.id)
	}
	kind, summary := annomiTalkProfile(talk["change"], talk["sustain"], talk["neutral"])
	swap := map[string]string{"transcript": tr.id, "mi_quality": tr.quality, "topic": tr.topic, "client_talk": kind}
	return emit(Derive(base, "client", "voice", "client", personaRolePlayStep, swap,
		personaWithSystem(annomiClientPrompt(tr.topic, summary), msgs)))
}

// annomiTalkProfile summarises the client's talk types (change talk moves
// toward the target behaviour change, sustain talk away from it) as a short
// kind for labels and a sentence for the system prompt.
func annomiTalkProfile(change, sustain, neutral int) (kind, summary string) {
	switch {
	case change == 0 && sustain == 0:
		kind, summary = "neutral", "neutral talk only: neither change talk nor sustain talk"
	case change >= 2*sustain:
		kind, summary = "change", "mostly change talk"
	case sustain >= 2*change:
		kind, summary = "sustain", "mostly sustain talk"
	default:
		kind, summary = "ambivalent", "ambivalent: change talk and sustain talk"
	}
	return kind, fmt.Sprintf("%s (in the original session: %d change talk, %d sustain talk and %d neutral utterances)",
		summary, change, sustain, neutral)
}

// annomiClientPrompt is the system prompt of a client role-play: only the
// transcript's topic and the client's annotated talk types.
func annomiClientPrompt(topic, talk string) string {
	var b strings.Builder
	b.WriteString("You are role-playing a client in a motivational interviewing session. The user is the therapist. ")
	b.WriteString("Speak only as the client, in the first person, and never take the therapist's role.\n\nClient profile:\n")
	if topic != "" && topic != "unidentifiable" {
		fmt.Fprintf(&b, "- the session is about: %s\n", topic)
	}
	fmt.Fprintf(&b, "- how you talk about change: %s", talk)
	return b.String()
}
