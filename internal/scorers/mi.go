package scorers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"pixel/internal/sources"
)

// The MI coder's heads, trained on AnnoMI (Wu et al., 2022: 133 transcripts
// of high- and low-quality MI demonstrations, coded by MI experts).
const (
	miTherapist  = "mi_therapist"  // reflection | question | therapist_input | other
	miReflection = "mi_reflection" // simple | complex
	miQuestion   = "mi_question"   // open | closed
	miInput      = "mi_input"      // information | advice | options | negotiation
	miClient     = "mi_client"     // change | neutral | sustain
)

// annomiUtterance is one utterance with the first annotator's codes and
// the second annotator's where AnnoMI has one (for human agreement).
type annomiUtterance struct {
	Transcript, Speaker, Text, Quality string
	N                                  int
	Codes, Second                      map[string]string // task -> label ("" = not coded)
}

// annomiCodes maps an AnnoMI-full row to each head's label ("" = the head
// does not apply to this row).
func annomiCodes(row sources.Row) map[string]string {
	na := func(s string) string {
		s = strings.TrimSpace(s)
		if s == "n/a" {
			return ""
		}
		return s
	}
	return map[string]string{
		miTherapist: na(row.Get("main_therapist_behaviour")), miReflection: na(row.Get("reflection_subtype")),
		miQuestion: na(row.Get("question_subtype")), miInput: na(row.Get("therapist_input_subtype")),
		miClient: na(row.Get("client_talk_type")),
	}
}

// readAnnoMI reads AnnoMI-full.csv into transcripts of utterances in order.
func readAnnoMI(root string) (map[string][]*annomiUtterance, error) {
	dir, err := sourceDir(root, "annomi")
	if err != nil {
		return nil, err
	}
	t, err := sources.OpenTable(sources.Path(dir, "AnnoMI-full.csv"), ',')
	if err != nil {
		return nil, err
	}
	byKey := map[string]*annomiUtterance{}
	out := map[string][]*annomiUtterance{}
	err = t.Each(func(row sources.Row) error {
		tr, uid := strings.TrimSpace(row.Get("transcript_id")), strings.TrimSpace(row.Get("utterance_id"))
		n, err := strconv.Atoi(uid)
		if tr == "" || err != nil {
			return nil // unusable row: no transcript or utterance number
		}
		key := tr + "/" + uid
		if u, ok := byKey[key]; ok {
			if u.Second == nil {
				u.Second = annomiCodes(row)
			}
			return nil
		}
		u := &annomiUtterance{Transcript: tr, N: n, Speaker: strings.TrimSpace(row.Get("interlocutor")),
			Text: strings.TrimSpace(row.Get("utterance_text")), Quality: strings.TrimSpace(row.Get("mi_quality")), Codes: annomiCodes(row)}
		byKey[key] = u
		out[tr] = append(out[tr], u)
		return nil
	}, nil)
	for _, us := range out {
		sort.Slice(us, func(a, b int) bool { return us[a].N < us[b].N })
	}
	return out, err
}

// miTasks makes the MI coder's heads. A therapist utterance is read with
// the utterance before it as context, a client utterance with the
// o.MIClientContext before it. Held out by transcript.
func miTasks(o Options) ([]*Task, *miHeldout, error) {
	trs, err := readAnnoMI(o.DataRoot)
	if err != nil {
		return nil, nil, err
	}
	names := []string{miTherapist, miReflection, miQuestion, miInput, miClient}
	tasks := map[string]*Task{}
	held := &miHeldout{Transcripts: map[string][]*annomiUtterance{}, Second: map[string][2][]string{}}
	for _, n := range names {
		tasks[n] = &Task{Name: n, Scorer: "mi", Inputs: []string{"context", "response"}, NGrams: true,
			HeldoutData: "AnnoMI, " + strconv.Itoa(o.HeldoutPercent) + "% of transcripts held out"}
	}
	ids := make([]string, 0, len(trs))
	for id := range trs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		h := heldoutByHash("annomi:"+id, o.HeldoutPercent)
		if h {
			held.Transcripts[id] = trs[id]
		}
		var before []string // the transcript's utterances so far
		for _, u := range trs[id] {
			for _, n := range names {
				client := n == miClient
				if (u.Speaker == "client") != client || u.Codes[n] == "" {
					continue
				}
				turns := 1
				if client {
					turns = o.MIClientContext
				}
				ex := Example{ID: fmt.Sprintf("annomi-%s-%04d", id, u.N), Texts: map[string]string{"context": recentTurns(before, turns), "response": u.Text},
					Label: u.Codes[n], Group: id, Heldout: h}
				if h {
					tasks[n].Heldout = append(tasks[n].Heldout, ex)
				} else {
					tasks[n].Train = append(tasks[n].Train, ex)
				}
				if u.Second != nil && u.Second[n] != "" {
					p := held.Second[n]
					p[0], p[1] = append(p[0], u.Codes[n]), append(p[1], u.Second[n])
					held.Second[n] = p
				}
			}
			before = append(before, u.Text)
		}
	}
	out := make([]*Task, 0, len(names))
	for _, n := range names {
		out = append(out, tasks[n])
	}
	return out, held, nil
}

// miHeldout is what MI validation needs beyond the heads' held-out rows:
// the held-out transcripts (for MITI summary scores against AnnoMI's
// high/low quality label) and double-coded utterances (human agreement).
type miHeldout struct {
	Transcripts map[string][]*annomiUtterance
	Second      map[string][2][]string // task -> first and second annotator's labels
}

// MITI is a conversation's MITI 4.2 summary from the coded therapist turns.
// Counts are expected counts when the codes are probabilities.
type MITI struct {
	Reflections             float64 `json:"reflections"`
	Complex                 float64 `json:"complex_reflections"`
	Questions               float64 `json:"questions"`
	Open                    float64 `json:"open_questions"`
	AdviceWithPermission    float64 `json:"advice_with_permission"`
	AdviceWithoutPermission float64 `json:"advice_without_permission"`
	// RQ is reflections per question, PctCR the share of complex
	// reflections, PctOQ the share of open questions; nil when undefined.
	RQ    *float64 `json:"reflection_to_question"`
	PctCR *float64 `json:"pct_complex_reflections"`
	PctOQ *float64 `json:"pct_open_questions"`
	// Appropriateness maps each defined summary score to 0..1 against the
	// MITI thresholds (0 at zero, 0.5 at "fair", 1 at "good", linear
	// between) and averages them: R:Q fair 1, good 2; %CR fair 40%, good
	// 50% (MITI 4.2); %OQ fair 50%, good 70% (MITI 3.1, as 4.2 dropped it).
	Appropriateness *float64 `json:"therapeutic_appropriateness"`
}

// TherapistCode is one therapist turn's code probabilities.
type TherapistCode struct {
	// P(reflection), P(complex | reflection), ..., P(advice), and
	// Permission: P(with permission | advice) from the permission detector.
	Reflection float64 `json:"reflection"`
	Complex    float64 `json:"complex"`
	Question   float64 `json:"question"`
	Open       float64 `json:"open"`
	Advice     float64 `json:"advice"`
	Permission float64 `json:"permission"`
}

// minCodedMass is the expected number of reflections and questions that
// coded turns must hold for their summary scores to be defined: half a
// turn. With the coders' 0/1 codes it changes nothing (a count is 0 or at
// least 1). With a model's probabilities it keeps a reply coded neither
// reflection nor question ("Mm-hmm.": P 0.009 and 0.003) from getting
// R:Q, %CR and %OQ out of its near-zero expected counts, and so an
// appropriateness (0.62 measured) that no coder would give a turn MITI
// does not count.
const minCodedMass = 0.5

// SummarizeMITI computes the summary scores from coded therapist turns;
// they are undefined (nil) below minCodedMass reflections and questions.
func SummarizeMITI(codes []TherapistCode) MITI { return summarizeMITI(codes, minCodedMass) }

// summarizeMITI with the gate at minMass. The bias check reads every probe
// with the gate off (0): a descriptor that moves a reply across the gate
// would turn a small move of its codes into a jump between a value and
// none (measured: the largest move on one message went from 0.150 to 0.975).
func summarizeMITI(codes []TherapistCode, minMass float64) MITI {
	var m MITI
	for _, c := range codes {
		m.Reflections += c.Reflection
		m.Complex += c.Reflection * c.Complex
		m.Questions += c.Question
		m.Open += c.Question * c.Open
		m.AdviceWithPermission += c.Advice * c.Permission
		m.AdviceWithoutPermission += c.Advice * (1 - c.Permission)
	}
	if m.Reflections+m.Questions < minMass {
		return m
	}
	var parts []float64
	const eps = 1e-9
	if m.Questions > eps {
		v := m.Reflections / m.Questions
		m.RQ = &v
		parts = append(parts, band(v, 1, 2))
		o := m.Open / m.Questions
		m.PctOQ = &o
		parts = append(parts, band(o, 0.5, 0.7))
	} else if m.Reflections > eps {
		parts = append(parts, 1) // reflections and no questions: R:Q is above "good"
	}
	if m.Reflections > eps {
		v := m.Complex / m.Reflections
		m.PctCR = &v
		parts = append(parts, band(v, 0.4, 0.5))
	}
	if len(parts) > 0 {
		s := 0.0
		for _, p := range parts {
			s += p
		}
		s /= float64(len(parts))
		m.Appropriateness = &s
	}
	return m
}

// band maps x to 0..1: 0 at 0, 0.5 at fair, 1 at good and above.
func band(x, fair, good float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x < fair:
		return 0.5 * x / fair
	case x < good:
		return 0.5 + 0.5*(x-fair)/(good-fair)
	}
	return 1
}

// humanCodes are a transcript's therapist turns as AnnoMI's coders coded
// them (probabilities 0/1), for the human reference figure.
func humanCodes(us []*annomiUtterance) []TherapistCode {
	var out []TherapistCode
	for _, u := range us {
		if u.Speaker != "therapist" {
			continue
		}
		var c TherapistCode // permission is not labelled by AnnoMI (nor part of appropriateness)
		switch u.Codes[miTherapist] {
		case "reflection":
			c.Reflection = 1
			c.Complex = b2f(u.Codes[miReflection] == "complex")
		case "question":
			c.Question = 1
			c.Open = b2f(u.Codes[miQuestion] == "open")
		case "therapist_input":
			c.Advice = b2f(u.Codes[miInput] == "advice")
		}
		out = append(out, c)
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// recentTurns is the context of an utterance: the last n of the turns
// before it, newest first (so truncation drops the oldest), one per line.
func recentTurns(before []string, n int) string {
	if n < 1 {
		n = 1
	}
	var out []string
	for i := len(before) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, before[i])
	}
	return strings.Join(out, "\n")
}
