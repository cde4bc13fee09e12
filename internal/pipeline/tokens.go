package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"pixel/internal/worker"
)

// WorkerCounter counts training tokens with the base model's own tokenizer
// and chat format, through the worker's tokens job.
func WorkerCounter(l *worker.Launcher, cfgPath, runDir, logPath string) func(context.Context, string) (map[string]int, error) {
	return func(ctx context.Context, jsonl string) (map[string]int, error) {
		out := jsonl + ".tokens"
		spec := map[string]any{"config": cfgPath, "run_dir": runDir, "input_file": jsonl, "output_file": out}
		if _, err := l.Run(ctx, "tokens", spec, filepath.Join(filepath.Dir(jsonl), "tokens-job.json"), logPath); err != nil {
			return nil, err
		}
		f, err := os.Open(out)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		counts := map[string]int{}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			var row struct {
				ID     string `json:"id"`
				Tokens int    `json:"tokens"`
			}
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				return nil, fmt.Errorf("%s line %d: %w", out, n, err)
			}
			counts[row.ID] = row.Tokens
		}
		return counts, sc.Err()
	}
}
