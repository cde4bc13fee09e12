package sources

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// patientPsiSource reads Patient-Ψ's public sample: three cognitive models
// (cognitive conceptualization diagrams) of the Beck Institute's client
// "Abe", each playable in six conversational styles, and the Beck
// Institute role-play transcript of Abe's therapy session 2. Only the
// transcript is a conversation: it becomes one voice record in which the
// assistant plays Abe. The cognitive models are exported through
// PatientPsiProfiles so stage-4 builders can condition role-plays on them.
var patientPsiSource = bind(Source{
	Name:    "patient_psi",
	Title:   "Patient-Ψ: cognitive models of simulated CBT patients for therapist training",
	License: "MIT",
	Attribution: "Wang, Milani, Chiu, Zhi, Eack, Labrum, Murphy, Jones, Hardy, Shen, Fang, Chen: PATIENT-Ψ: Using Large " +
		"Language Models to Simulate Patients for Training Mental Health Professionals (EMNLP 2024); github.com/ruiyiw/patient-psi; " +
		"the Abe cognitive models and transcript come from the Beck Institute's public materials",
	Language: "en",
	Origin:   "github.com/ruiyiw/patient-psi@de72a768e5366d3e94f7d8c711c563fb4a5b4d26",
	Files:    []string{"profiles.json", "example_transcript.txt"},
	Remote:   map[string]string{"profiles.json": "python/data/profiles.json", "example_transcript.txt": "python/data/example_transcript.txt"},
	Stage:    "voice",
	Uses:     []Use{Train, Eval},
}, loadPatientPsi)

// ClientProfile is a difficult-client persona a role-play can be
// conditioned on: one cognitive model in one conversational style.
type ClientProfile struct {
	ID           string // "<model id>-<style>", e.g. "1-2-reserved"
	Name         string // the client's name in the model, e.g. "Abe"
	Style        string // plain, verbose, tangent, upset, reserved or pleasing
	SystemPrompt string // says the assistant plays the client, then the model and the style
}

// patientPsiModel is one element of profiles.json.
type patientPsiModel struct {
	Name               string   `json:"name"`
	ID                 string   `json:"id"`
	Types              []string `json:"type"`
	History            string   `json:"history"`
	HelplessBelief     []string `json:"helpless_belief"`
	UnlovableBelief    []string `json:"unlovable_belief"`
	WorthlessBelief    []string `json:"worthless_belief"`
	IntermediateBelief string   `json:"intermediate_belief"`
	CopingStrategies   string   `json:"coping_strategies"`
	Situation          string   `json:"situation"`
	AutoThought        string   `json:"auto_thought"`
	Emotion            []string `json:"emotion"`
	Behavior           string   `json:"behavior"`
}

// patientPsiStyles are the conversational styles' instructions, from the
// same repository's app/api/data/patient-types.jsx (not in the data
// folder; two typos fixed). profiles.json names "go off on tangents"
// "tangent".
var patientPsiStyles = map[string]string{
	"plain": "Act like a standard patient with no particular conversational style.",
	"upset": "You should try your best to act like an upset patient: 1) you may exhibit anger or resistance towards the " +
		"therapist or the therapeutic process, 2) you may be challenging or dismissive of the therapist's suggestions and " +
		"interventions, 3) you may have difficulty trusting the therapist and forming a therapeutic alliance, 4) you may be " +
		"prone to arguing or expressing frustration during therapy sessions. But you must not exceed 5 sentences each turn. " +
		"Attention: The most important thing is to be as natural as possible and you should be upset in some turns and be " +
		"normal in other turns. You could feel better as the session goes when you feel more trust in the therapist.",
	"verbose": "You should try your best to act like a patient who talks a lot: 1) you may provide detailed responses to " +
		"questions, even if directly relevant, 2) you may elaborate on personal experiences, thoughts, and feelings " +
		"extensively, and 3) you may demonstrate difficulty in allowing the therapist to guide the conversation. But you must " +
		"not exceed 5 sentences each turn. Attention: The most important thing is to be as natural as possible and you should " +
		"be verbose in some turns and be concise in other turns. You could listen to the therapist more as the session goes " +
		"when you feel more trust in the therapist.",
	"reserved": "You should try your best to act like a guarded patient: 1) you may provide brief, vague, or evasive answers " +
		"to questions, 2) you may demonstrate reluctance to share personal information or feelings to the therapist, 3) you " +
		"may require more prompting and encouragement from the therapist to open up, and 4) you may express distrust or " +
		"skepticism towards the therapist. But you must not exceed 5 sentences each turn. Attention: The most important thing " +
		"is to be as natural as possible and you should be guarded in some turns and be normal in other turns. You could feel " +
		"better as the session goes when you feel more trust in the therapist.",
	"tangent": "You should try your best to act like a patient who goes off on tangents: 1) you may start answering a " +
		"question but quickly veer off into unrelated topics, 2) you may share personal anecdotes or experiences that are not " +
		"relevant to the question asked, 3) you may demonstrate difficulty staying focused on the topic at hand, and 4) you " +
		"may require redirection to bring the conversation back to the relevant points. But you must not exceed 5 sentences " +
		"each turn. Attention: The most important thing is to be as natural as possible and you should be going off on " +
		"tangents in some turns and be normal in other turns. You could feel better as the session goes when you feel more " +
		"trust in the therapist.",
	"pleasing": "You should try your best to act like a pleasing patient: 1) you may minimize or downplay your own concerns " +
		"or symptoms to maintain a positive image, 2) you may demonstrate eager-to-please behavior and avoid expressing " +
		"disagreement or dissatisfaction, 3) you may seek approval or validation from the therapist frequently, 4) you may " +
		"agree with the therapist's statements or suggestions readily, even if they may not fully understand or agree, and " +
		"5) you may express excessive praise or admiration for the therapist. But you must not exceed 5 sentences each turn. " +
		"Attention: The most important thing is to be as natural as possible and you should be pleasing in some turns and be " +
		"normal in other turns. You could feel better as the session goes when you feel more trust in the therapist.",
}

// PatientPsiProfiles reads dir/profiles.json and returns one ClientProfile
// per cognitive model and conversational style, in file order.
func PatientPsiProfiles(dir string) ([]ClientProfile, error) {
	var out []ClientProfile
	err := patientPsiModels(dir, func(m patientPsiModel, line int) error {
		if m.ID == "" || m.Name == "" {
			return fmt.Errorf("%s line %d: cognitive model without id or name (fix: every model needs both)", Path(dir, "profiles.json"), line)
		}
		for _, style := range m.Types {
			how, ok := patientPsiStyles[style]
			if !ok {
				return fmt.Errorf("%s line %d: model %s has unknown style %q (fix: one of plain, verbose, tangent, upset, reserved, pleasing)",
					Path(dir, "profiles.json"), line, m.ID, style)
			}
			out = append(out, ClientProfile{ID: m.ID + "-" + style, Name: m.Name, Style: style,
				SystemPrompt: patientPsiPrompt(m, true) + "\n\nConversational style (" + style + "): " + how})
		}
		return nil
	})
	return out, err
}

// patientPsiModels streams the profiles.json array, passing each model and
// the line it starts on.
func patientPsiModels(dir string, fn func(m patientPsiModel, line int) error) error {
	path := Path(dir, "profiles.json")
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w (fix: get the source with `pixel data fetch patient_psi`)", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("%s line 1: not a JSON array of cognitive models", path)
	}
	for dec.More() {
		at := dec.InputOffset()
		var m patientPsiModel
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("%s line %d: %w", path, personaLineAt(path, at), err)
		}
		if err := fn(m, personaLineAt(path, at)); err != nil {
			return err
		}
	}
	return nil
}

// patientPsiPrompt says the assistant plays the client and gives the
// cognitive model: background (history, core and intermediate beliefs,
// coping strategies) and, with situation, the situation-level part.
func patientPsiPrompt(m patientPsiModel, situation bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "You are role-playing %s, a client in a cognitive behavioral therapy (CBT) session. The user is the therapist. "+
		"Speak only as %s, in the first person, and never take the therapist's role. Act from the profile below so that the "+
		"therapist can infer it from how you talk, and do not recite it.\n\n", m.Name, m.Name)
	line := func(label, v string) {
		if v = strings.TrimSpace(v); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", label, v)
		}
	}
	line("Relevant history", m.History)
	line("Core beliefs (helpless)", strings.Join(m.HelplessBelief, " "))
	line("Core beliefs (unlovable)", strings.Join(m.UnlovableBelief, " "))
	line("Core beliefs (worthless)", strings.Join(m.WorthlessBelief, " "))
	line("Intermediate beliefs", m.IntermediateBelief)
	line("Coping strategies", m.CopingStrategies)
	if situation {
		line("Situation", m.Situation)
		line("Automatic thoughts", m.AutoThought)
		line("Emotions", strings.Join(m.Emotion, "; "))
		line("Behavior", m.Behavior)
	}
	return strings.TrimRight(b.String(), "\n")
}

// patientPsiClient is the client the example transcript is about: the
// repository's README names it the Beck Institute's role-play of Abe's
// therapy session 2.
const patientPsiClient = "Abe"

// patientPsiSpeaker matches a transcript line's speaker tag.
var patientPsiSpeaker = regexp.MustCompile(`^(Therapist|Client|Patient)\s*:\s*(.*)$`)

func loadPatientPsi(src Source, ctx context.Context, dir string, emit Emit, reject Reject) error {
	var abe *patientPsiModel
	var profilesLine int
	err := patientPsiModels(dir, func(m patientPsiModel, line int) error {
		if abe == nil && m.Name == patientPsiClient {
			abe, profilesLine = &m, line
		}
		return nil
	})
	if err != nil {
		return err
	}
	path := Path(dir, "example_transcript.txt")
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w (fix: get the source with `pixel data fetch patient_psi`)", err)
	}
	defer f.Close()

	// Therapist lines are the user's, client lines the assistant's. A line
	// without a speaker tag (one line in the file starts with a bare ":")
	// continues the previous speaker's turn.
	var turns personaTurns
	role, untagged, n := "", 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		n++
		if err := ctx.Err(); err != nil {
			return err
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if m := patientPsiSpeaker.FindStringSubmatch(text); m != nil {
			role, text = "assistant", m[2]
			if m[1] == "Therapist" {
				role = "user"
			}
		} else {
			if role == "" {
				if err := personaRejectf(reject, path, n, "untagged_line", "line before the first speaker tag"); err != nil {
					return err
				}
				continue
			}
			untagged++
			text = strings.TrimSpace(strings.TrimPrefix(text, ":"))
		}
		turns.add(role, text, "\n")
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s line %d: %w", path, n+1, err)
	}
	msgs := turns.dialogue()
	if msgs == nil {
		return personaRejectf(reject, path, 1, "no_client_turn", "no therapist turn answered by the client")
	}
	if abe == nil {
		return personaRejectf(reject, Path(dir, "profiles.json"), profilesLine, "no_profile", "no cognitive model named %s", patientPsiClient)
	}
	labels := map[string]string{"client": patientPsiClient, "therapy": "cbt", "session": "2", "untagged_lines": strconv.Itoa(untagged)}
	base := src.Meta("example_transcript", "foundation", "therapist", nil, nil)
	// The transcript is not tied to one situation or style, so the prompt
	// carries only Abe's background from the cognitive model.
	return emit(Derive(base, "client", "voice", "client", personaRolePlayStep, labels,
		personaWithSystem(patientPsiPrompt(*abe, false), msgs)))
}
