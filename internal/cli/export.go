package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"pixel/internal/config"
	"pixel/internal/worker"
)

// checkpointCard is what the CLI reads of a stage checkpoint's checkpoint.json.
type checkpointCard struct {
	Stage  string `json:"stage"`
	Config string `json:"config"`
}

func readCard(dir string) (*checkpointCard, *config.Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, "checkpoint.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("%s is not a stage checkpoint: %w (fix: pass runs/<run>/checkpoints/<n>-<stage>)", dir, err)
	}
	var card checkpointCard
	if err := json.Unmarshal(b, &card); err != nil {
		return nil, nil, fmt.Errorf("%s/checkpoint.json: %w", dir, err)
	}
	cfg, err := config.Load(card.Config, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("the checkpoint's run config: %w", err)
	}
	return &card, cfg, nil
}

func exportCmd() *cobra.Command {
	var ckpt, out, dtype string
	cmd := &cobra.Command{
		Use:     "export",
		Short:   "Merge a stage checkpoint's adapter into its base model and save it as safetensors",
		Example: "  pixel export --checkpoint runs/demo-20261125-090109/checkpoints/4-voice --out models/pixel-demo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			card, cfg, err := readCard(ckpt)
			if err != nil {
				return err
			}
			python, dir, err := worker.Locate(cfg.Worker.Python, cfg.Worker.Dir)
			if err != nil {
				return err
			}
			runDir := filepath.Dir(card.Config)
			absCkpt, _ := filepath.Abs(ckpt)
			absOut, _ := filepath.Abs(out)
			l := &worker.Launcher{Python: python, Dir: dir, Progress: worker.NewProgress(os.Stderr)}
			spec := map[string]any{"config": card.Config, "run_dir": runDir, "checkpoint": absCkpt, "output_dir": absOut, "dtype": dtype}
			if _, err := l.Run(cmd.Context(), "merge", spec, filepath.Join(runDir, "jobs", "merge-"+card.Stage+".json"), ""); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %s (%s) into %s\n", ckpt, dtype, absOut)
			return nil
		},
	}
	cmd.Flags().StringVar(&ckpt, "checkpoint", "", "a stage checkpoint folder")
	cmd.Flags().StringVar(&out, "out", "", "where the merged model goes")
	cmd.Flags().StringVar(&dtype, "dtype", "bfloat16", "bfloat16, float16 or float32")
	cmd.MarkFlagRequired("checkpoint")
	cmd.MarkFlagRequired("out")
	return cmd
}
