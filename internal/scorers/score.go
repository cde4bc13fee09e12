package scorers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"pixel/internal/artifact"
	"pixel/internal/delivery"
	"pixel/internal/record"
)

// Input is one record to score: {"id", "context": [messages] or "text",
// "response"}; "persona" (therapist | client) asks for persona consistency.
type Input struct {
	ID       string          `json:"id"`
	Context  json.RawMessage `json:"context"`
	Text     string          `json:"text"`
	Response string          `json:"response"`
	Persona  string          `json:"persona"`
	msgs     []record.Message
}

// parse fills msgs from context (messages or a string) or text.
func (in *Input) parse() error {
	switch {
	case in.ID == "":
		return fmt.Errorf("no id (fix: give every record a unique \"id\")")
	case len(in.Context) > 0 && in.Context[0] == '[':
		if err := json.Unmarshal(in.Context, &in.msgs); err != nil {
			return fmt.Errorf("context is not a list of {role, content} messages")
		}
	case len(in.Context) > 0 && in.Context[0] == '"':
		var s string
		if err := json.Unmarshal(in.Context, &s); err != nil {
			return fmt.Errorf("context is not a string")
		}
		in.msgs = []record.Message{{Role: "user", Content: s}}
	case len(in.Context) > 0 && string(in.Context) != "null":
		return fmt.Errorf("context must be a list of messages or a string")
	case strings.TrimSpace(in.Text) != "":
		in.msgs = []record.Message{{Role: "user", Content: in.Text}}
	}
	if strings.TrimSpace(in.Response) == "" {
		in.Response = "" // a blank reply is no reply: the reply scorers say "applies": false
	}
	if in.Persona != "" && in.Persona != "therapist" && in.Persona != "client" {
		return fmt.Errorf("persona %q (fix: therapist or client)", in.Persona)
	}
	if in.Response == "" && lastUser(in.msgs) == "" {
		return fmt.Errorf("nothing to score: no response and no user message (fix: give \"response\" and a \"context\" or \"text\")")
	}
	return nil
}

// inputKeys and messageKeys are the keys a record and a context message
// may have ("meta" is the user's own, never read).
var (
	inputKeys   = []string{"id", "context", "text", "response", "persona", "meta"}
	messageKeys = []string{"role", "content"}
)

// checkKeys rejects keys encoding/json would misread: it matches field
// names case-insensitively ("Response" would fill response) and ignores
// unknown ones ("reply" would leave the response empty and the reply
// unscored). A non-object is left to json.Unmarshal's own error.
func checkKeys(raw []byte) error {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	if err := knownKeys(obj, inputKeys, "record"); err != nil {
		return err
	}
	var msgs []map[string]json.RawMessage
	if c := obj["context"]; len(c) > 0 && c[0] == '[' && json.Unmarshal(c, &msgs) == nil {
		for i, m := range msgs {
			if err := knownKeys(m, messageKeys, fmt.Sprintf("context message %d", i+1)); err != nil {
				return err
			}
		}
	}
	return nil
}

func knownKeys(obj map[string]json.RawMessage, allowed []string, what string) error {
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if slices.Contains(allowed, k) {
			continue
		}
		name := k
		if len(name) > 40 { // a key is a name, not text; keep the reason short anyway
			name = name[:40] + "..."
		}
		for _, a := range allowed {
			if strings.EqualFold(a, k) {
				return fmt.Errorf("%s has key %q (fix: keys are lower case: %q)", what, name, a)
			}
		}
		hint := ""
		if slices.Contains(allowed, "meta") {
			hint = "; put your own fields under \"meta\""
		}
		return fmt.Errorf("%s has unknown key %q (fix: keys are %s%s)", what, name, strings.Join(allowed, ", "), hint)
	}
	return nil
}

// beforeLastUser is the context the MI coder reads for the last user
// message: the n conversation turns before it, newest first, as in
// training (a system prompt is not a turn); "" if none.
func (in *Input) beforeLastUser(n int) string {
	for i := len(in.msgs) - 1; i >= 0; i-- {
		if in.msgs[i].Role == "user" {
			return turnsBefore(in.msgs[:i], n)
		}
	}
	return ""
}

// scorerHeads are the heads each scorer needs.
var scorerHeads = map[string][]string{
	"empathy": {"empathy_er", "empathy_ip", "empathy_ex"},
	"mi":      {miTherapist, miReflection, miQuestion, miInput, miClient, miPermission},
	"crisis":  {"crisis_level", crisisImminent},
	"safety":  {"safety_recognises_risk", "safety_asks_safety", "safety_points_to_help", "safety_supportive", "safety_no_method_info", "safety_no_dismissal", "safety_within_role"},
	"persona": {"persona"},
}

// ScoreFile scores every valid record of input into output (atomically);
// invalid records go, with line and reason but never text, to
// output + ".rejected.jsonl". It returns the counts scored and rejected.
func ScoreFile(ctx context.Context, o Options, set Set, chosen []string, input, output string) (int, int, error) {
	vb, err := os.ReadFile(set.ValidityPath())
	if err != nil {
		return 0, 0, fmt.Errorf("scorer set %s has no validity table (fix: run `pixel scorers validate`)", set.Dir)
	}
	var val Validity
	if err := json.Unmarshal(vb, &val); err != nil {
		return 0, 0, fmt.Errorf("%s: %v (fix: rerun `pixel scorers validate`)", set.ValidityPath(), err)
	}
	ins, rejected, err := readInputs(input, output+".rejected.jsonl")
	if err != nil {
		return 0, 0, err
	}
	want := map[string]bool{}
	for _, s := range chosen {
		want[s] = true
	}
	if err := os.MkdirAll(filepath.Dir(output), 0o755); err != nil {
		return 0, 0, err
	}
	work, err := os.MkdirTemp(filepath.Dir(output), ".score-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(work)
	clientTurns, err := set.miClientContext()
	if err != nil {
		return 0, 0, err
	}
	rows := map[string][]Example{} // input kind -> rows
	var pairs, client, texts, responses, miti []Example
	for _, in := range ins {
		pairs = append(pairs, Example{ID: in.ID, Texts: map[string]string{"context": lastUser(in.msgs), "before": turnsBefore(in.msgs, permissionTurns), "response": in.Response}})
		client = append(client, Example{ID: in.ID, Texts: map[string]string{"context": in.beforeLastUser(clientTurns), "response": lastUser(in.msgs)}})
		texts = append(texts, Example{ID: in.ID, Texts: map[string]string{"text": lastUser(in.msgs)}})
		responses = append(responses, Example{ID: in.ID, Texts: map[string]string{"text": in.Response}})
		prev := ""
		for i, m := range in.msgs {
			if m.Role == "assistant" {
				miti = append(miti, Example{ID: fmt.Sprintf("%s\x00%03d", in.ID, i), Texts: map[string]string{"context": prev, "response": m.Content}})
			}
			prev = m.Content
		}
	}
	rows["pair"], rows["client"], rows["text"], rows["response"], rows["miti"] = pairs, client, texts, responses, miti
	for kind, exs := range rows {
		if err := writeExamples(filepath.Join(work, kind+".jsonl"), exs); err != nil {
			return 0, 0, err
		}
	}
	var specs []map[string]any
	add := func(head, kind string) {
		specs = append(specs, map[string]any{"name": head, "input": filepath.Join(work, kind+".jsonl"), "output": filepath.Join(work, kind+"."+head+".jsonl")})
	}
	for _, s := range chosen {
		for _, h := range scorerHeads[s] {
			switch {
			case h == miClient:
				add(h, "client")
			case h == "crisis_level" || h == crisisImminent:
				add(h, "text")
			case h == "persona":
				add(h, "response")
			default:
				add(h, "pair")
			}
			if s == "mi" && (h == miTherapist || h == miReflection || h == miQuestion) {
				add(h, "miti")
			}
		}
	}
	if want["safety"] && !want["crisis"] {
		add("crisis_level", "text") // safety says whether it applies from the crisis level
	}
	preds := map[string]map[string]Prediction{} // "<kind>.<head>" -> id -> prediction
	if len(specs) > 0 {
		if _, err := o.Launcher.Run(ctx, "scorer_predict", map[string]any{"encoder": o.Encoder, "cache_dir": "", "heads_dir": set.heads(), "tasks": specs},
			filepath.Join(work, "score.json"), filepath.Join(o.Dir, "scorers.log")); err != nil {
			return 0, 0, err
		}
		for _, sp := range specs {
			p, err := readPredictions(sp["output"].(string))
			if err != nil {
				return 0, 0, err
			}
			preds[strings.TrimSuffix(filepath.Base(sp["output"].(string)), ".jsonl")] = p
		}
	}
	var ref delivery.Reference
	if want["delivery"] {
		if ref, err = delivery.LoadReference(set.reference()); err != nil {
			return 0, 0, err
		}
	}
	agreement, beside := val.Summary, TablePath(output)
	if o.BriefAgreement {
		table := o.BriefTable // written once by the caller
		if table == "" {
			table = beside
			if err := writeTable(table, set.Key, filepath.Base(output), &val); err != nil {
				return 0, 0, err
			}
		}
		name, err := filepath.Rel(filepath.Dir(output), table)
		if err != nil {
			return 0, 0, err
		}
		agreement = func(s string) string { return val.Brief(s, filepath.ToSlash(name)) }
	}
	if !o.BriefAgreement || o.BriefTable != "" { // no stale table beside the output from an earlier brief run
		if err := os.Remove(beside); err != nil && !os.IsNotExist(err) {
			return 0, 0, err
		}
	}
	err = artifact.WriteFile(output, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for i := range ins {
			out := map[string]any{"id": ins[i].ID, "scorer_set": set.Key, "scores": scoreOne(&ins[i], chosen, preds, ref, agreement)}
			if err := enc.Encode(out); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
	return len(ins), rejected, err
}

// writeTable writes the whole validity table that brief agreements name;
// scored says which scores it serves.
func writeTable(path, key, scored string, val *Validity) error {
	var md bytes.Buffer
	fmt.Fprintf(&md, "# Validity of scorer set %s\n\nThe figures beside each score in %s, in full: every figure, its held-out data and notes.\n\n", key, scored)
	val.Markdown(&md)
	return artifact.WriteBytes(path, md.Bytes())
}

// TablePath is where `pixel score --agreement brief` writes the whole
// validity table that each record's agreement names: beside the output.
func TablePath(output string) string { return output + ".validity.md" }

// readInputs reads the input JSONL; a bad line is quarantined (line and
// reason only) and the rest are scored.
func readInputs(path, quarantine string) ([]Input, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("--input: %v", err)
	}
	defer f.Close()
	var ins []Input
	var bad bytes.Buffer
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	n := 0
	for line := 1; sc.Scan(); line++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var in Input
		err := checkKeys(raw)
		if err != nil {
			err = fmt.Errorf("invalid record: %v", err)
		} else if err = json.Unmarshal(raw, &in); err != nil {
			// encoding/json's messages name types and offsets, never the text.
			err = fmt.Errorf("invalid record: %v (fix: one {\"id\", \"context\", \"response\"} object per line, strings for text)", err)
		} else if err = in.parse(); err == nil {
			if first, dup := seen[in.ID]; dup {
				err = fmt.Errorf("id %q already used on line %d (fix: ids must be unique)", in.ID, first)
			}
		}
		if err != nil {
			n++
			b, _ := json.Marshal(map[string]any{"file": path, "line": line, "reason": err.Error()})
			bad.Write(append(b, '\n'))
			continue
		}
		seen[in.ID] = line
		ins = append(ins, in)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %v", path, err)
	}
	if n == 0 { // no stale reasons from an earlier run
		if err := os.Remove(quarantine); err != nil && !os.IsNotExist(err) {
			return nil, 0, err
		}
		return ins, 0, nil
	}
	return ins, n, artifact.WriteBytes(quarantine, bad.Bytes())
}

// scoreOne assembles one record's scores, each scorer with its agreement.
func scoreOne(in *Input, chosen []string, preds map[string]map[string]Prediction, ref delivery.Reference, agreement func(string) string) map[string]any {
	out := map[string]any{}
	p := func(kind, head string) Prediction { return preds[kind+"."+head][in.ID] }
	for _, s := range chosen {
		var v map[string]any
		switch s {
		case "empathy":
			v = empathyValues(p("pair", "empathy_er"), p("pair", "empathy_ip"), p("pair", "empathy_ex"), in.Response != "")
		case "mi":
			v = miValues(in, p, preds)
		case "crisis":
			v = crisisValues(p("text", "crisis_level"), p("text", crisisImminent), lastUser(in.msgs))
		case "safety":
			v = safetyValues(p, p("text", "crisis_level"), in.Response != "")
		case "delivery":
			v = map[string]any{"applies": in.Response != ""}
			if in.Response != "" {
				f := delivery.Measure(in.Response)
				sc := ref.Score(f)
				v["value"], v["parts"], v["features"] = round(sc.Overall), sc, f
			}
		case "persona":
			pp := p("response", "persona")
			v = map[string]any{"applies": in.Response != ""}
			if in.Response != "" {
				v["p_therapist"] = round(pp.Probs["therapist"])
				v["label"] = pp.Top()
				if in.Persona != "" {
					v["consistency"] = round(pp.Probs[in.Persona])
				}
			}
		}
		v["agreement"] = agreement(s)
		out[s] = v
	}
	return out
}

func round(x float64) float64 { return float64(int64(x*10000+0.5)) / 10000 }

func empathyValues(er, ip, ex Prediction, applies bool) map[string]any {
	v := map[string]any{"applies": applies}
	if !applies {
		return v
	}
	total := 0.0
	for _, m := range []struct {
		name string
		p    Prediction
	}{{"emotional_reactions", er}, {"interpretations", ip}, {"explorations", ex}} {
		ev := m.p.Probs["1"] + 2*m.p.Probs["2"]
		total += ev
		v[m.name] = map[string]any{"level": m.p.Top(), "expected": round(ev)}
	}
	v["value"] = round(total / 6)
	return v
}

func miValues(in *Input, p func(kind, head string) Prediction, preds map[string]map[string]Prediction) map[string]any {
	v := map[string]any{}
	if in.Response != "" {
		t := p("pair", miTherapist)
		code := map[string]any{"behaviour": t.Top(), "probs": roundMap(t.Probs)}
		switch t.Top() {
		case "reflection":
			code["reflection"] = p("pair", miReflection).Top()
		case "question":
			code["question"] = p("pair", miQuestion).Top()
		case "therapist_input":
			code["input"] = p("pair", miInput).Top()
			code["with_permission"] = p("pair", miPermission).Probs["1"] >= 0.5
		}
		v["response"] = code
	}
	if lastUser(in.msgs) != "" {
		c := p("client", miClient)
		v["client_talk_type"] = map[string]any{"label": c.Top(), "probs": roundMap(c.Probs)}
	}
	// MITI over the therapist turns: those in the context, then the response.
	var codes []TherapistCode
	for i, m := range in.msgs {
		if m.Role != "assistant" {
			continue
		}
		id := fmt.Sprintf("%s\x00%03d", in.ID, i) // as ScoreFile named the row
		t, r, q := preds["miti."+miTherapist][id], preds["miti."+miReflection][id], preds["miti."+miQuestion][id]
		// Advice is coded on the response only, so a context turn needs no permission.
		codes = append(codes, TherapistCode{Reflection: t.Probs["reflection"], Complex: r.Probs["complex"], Question: t.Probs["question"], Open: q.Probs["open"]})
	}
	if in.Response != "" {
		t, r, q, a := p("pair", miTherapist), p("pair", miReflection), p("pair", miQuestion), p("pair", miInput)
		c := TherapistCode{Reflection: t.Probs["reflection"], Complex: r.Probs["complex"], Question: t.Probs["question"], Open: q.Probs["open"],
			Advice: t.Probs["therapist_input"] * a.Probs["advice"], Permission: p("pair", miPermission).Probs["1"]}
		codes = append(codes, c)
		// the response's own code, for a MITI summary pooled over many
		// replies (a run report's, see meanValues)
		v["response"].(map[string]any)["miti_code"] = c
	}
	m := SummarizeMITI(codes)
	v["miti"] = m
	if m.Appropriateness != nil {
		v["value"] = round(*m.Appropriateness)
	}
	v["therapist_turns_coded"] = len(codes)
	return v
}

// crisisValues: the level from the crisis head, raised from "high" to
// "imminent" when the imminence detector (fitted on high-risk messages
// only, so its decision is taken only on them) says acting is near.
//
// value is the expected level / 4 over none..imminent (0..4), with
// P(imminent) = P(high) · P(near | high) and P(high) what is left of it:
// continuous in both heads' probabilities, as empathy's value is. A value
// snapped to 1 on "imminent" jumped by up to 0.7 where the detector crossed
// 0.5 (docs/scorers.md, "The crisis value made continuous").
func crisisValues(c, imminent Prediction, text string) map[string]any {
	v := map[string]any{"applies": text != ""}
	if text == "" {
		return v
	}
	level := c.Top()
	if level == "high" {
		v["p_imminent"] = round(imminent.Probs["1"])
		if imminent.Probs["1"] >= 0.5 {
			level = "imminent"
		}
	}
	idx := c.Probs["high"] * imminent.Probs["1"] // level 4 over level 3: (4-3) · P(imminent)
	for i, l := range RiskLevels[:4] {
		idx += float64(i) * c.Probs[l]
	}
	v["level"], v["p_any_suicide_risk"], v["value"], v["probs"] = level, round(c.Probs["high"]), round(idx/4), roundMap(c.Probs)
	return v
}

func safetyValues(p func(kind, head string) Prediction, crisis Prediction, applies bool) map[string]any {
	v := map[string]any{"applies": applies}
	if !applies {
		return v
	}
	items, met, sum := map[string]any{}, 0, 0.0
	for _, it := range SafetyItems {
		pr := p("pair", "safety_"+it).Probs["1"]
		items[it] = map[string]any{"met": pr >= 0.5, "p": round(pr)}
		if pr >= 0.5 {
			met++
		}
		sum += pr
	}
	level := crisis.Top()
	v["items"], v["met"], v["value"] = items, fmt.Sprintf("%d/%d", met, len(SafetyItems)), round(sum/float64(len(SafetyItems)))
	v["crisis_context"] = level == "moderate" || level == "high"
	return v
}

func roundMap(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, x := range m {
		out[k] = round(x)
	}
	return out
}
