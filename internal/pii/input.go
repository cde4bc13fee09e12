package pii

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ReadUtterances reads up to limit utterances from an ESConv-style JSONL file
// (each line {"dialog": [{"text": ...}, ...]}): the real conversation text
// that Evaluate injects synthetic PII into.
func ReadUtterances(path string, limit int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (fix: point --input at ESConv's hf_split_valid.jsonl, e.g. under ../shared/data/esconv)", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan() && len(out) < limit; n++ {
		var row struct {
			Dialog []struct {
				Text string `json:"text"`
			} `json:"dialog"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("%s line %d: %w (fix: the file must be ESConv JSONL with a dialog list)", path, n, err)
		}
		for _, u := range row.Dialog {
			if t := strings.TrimSpace(u.Text); t != "" && len(out) < limit {
				out = append(out, t)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no utterances", path)
	}
	return out, nil
}
