package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"pixel/internal/config"
	"pixel/internal/scorers"
	"pixel/internal/worker"
)

// scorerOptions resolves the scorers' settings from a config, with a
// launcher that logs to the scorer cache's log and shows progress.
func scorerOptions(cfg *config.Config, log io.Writer) (scorers.Options, error) {
	python, dir, err := worker.Locate(cfg.Worker.Python, cfg.Worker.Dir)
	if err != nil {
		return scorers.Options{}, err
	}
	o, err := scorers.FromConfig(cfg, nil, log)
	if err != nil {
		return o, err
	}
	logf, err := os.OpenFile(filepath.Join(o.Dir, "scorers.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return o, err
	}
	o.Launcher = &worker.Launcher{Python: python, Dir: dir, Log: logf, Progress: worker.NewProgress(os.Stderr)}
	return o, nil
}

func scorersCmd() *cobra.Command {
	var cfgPath string
	var sets []string
	cmd := &cobra.Command{Use: "scorers", Short: "Train and validate the scorers (empathy, MI coder, crisis, safety, delivery, persona) on public human labels"}
	cmd.PersistentFlags().StringVarP(&cfgPath, "config", "c", "", "YAML config (default: the embedded configs/demo.yaml); its scorers: block")
	cmd.PersistentFlags().StringArrayVar(&sets, "set", nil, "override a key, e.g. --set scorers.max_per_task=500")
	run := func(cmd *cobra.Command, train bool) error {
		cfg, err := config.Load(cfgPath, sets)
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		o, err := scorerOptions(cfg, out)
		if err != nil {
			return err
		}
		var set scorers.Set
		if train {
			if set, err = scorers.Train(cmd.Context(), o); err != nil {
				return err
			}
		}
		// validate: an empty set is the one trained for this config.
		v, err := scorers.Validate(cmd.Context(), o, set)
		if err != nil {
			return err
		}
		if set, err = scorers.ByKey(o.Dir, v.Set); err != nil {
			return err
		}
		fmt.Fprintf(out, "\nvalidity table (held-out data only) of scorer set %s:\n\n", set.Dir)
		v.Markdown(out)
		fmt.Fprintf(out, "\nwritten: %s and validity.md beside it\n", set.ValidityPath())
		if f := v.Failed(); len(f) > 0 {
			fmt.Fprintf(out, "%d figure(s) miss their goal; every report shows them as FAIL beside the scorer's numbers\n", len(f))
		}
		return nil
	}
	cmd.AddCommand(&cobra.Command{
		Use:     "train",
		Short:   "Build the labelled data from data.root, fit every scorer (cached: same data and settings reuse the set), then validate it",
		Example: "  pixel scorers train\n  pixel scorers train --set scorers.max_per_task=500 --set scorers.dir=/tmp/scorers",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return run(cmd, true) },
	}, &cobra.Command{
		Use:   "validate",
		Short: "Measure the set trained for this config on held-out human labels and the HolisticBias probes; write the validity table",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return run(cmd, false) },
	})
	return cmd
}

func scoreCmd() *cobra.Command {
	var cfgPath, input, output, only, setKey, agreement string
	var sets []string
	cmd := &cobra.Command{
		Use:   "score",
		Short: "Score responses with the trained scorers; every value comes with its scorer's held-out agreement",
		Example: "  pixel score --input replies.jsonl --output scored.jsonl\n" +
			"  pixel score --input replies.jsonl --output scored.jsonl --scorers empathy,crisis,safety\n" +
			"  pixel score --input replies.jsonl --output scored.jsonl --agreement brief  # goal figures per record, full table in scored.jsonl.validity.md\n" +
			"  # each input line: {\"id\": \"r1\", \"context\": [{\"role\": \"user\", \"content\": \"...\"}], \"response\": \"...\"}",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			chosen, err := chooseScorers(only)
			if err != nil {
				return err
			}
			cfg, err := config.Load(cfgPath, sets)
			if err != nil {
				return err
			}
			o, err := scorerOptions(cfg, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			switch agreement {
			case "full":
			case "brief":
				o.BriefAgreement = true
			default:
				return fmt.Errorf("--agreement %q (fix: full or brief)", agreement)
			}
			set, err := scorers.Latest(o.Dir)
			which := "the latest trained; --scorer-set KEY picks another"
			if setKey != "" {
				set, err = scorers.ByKey(o.Dir, setKey)
				which = "--scorer-set"
			}
			if err != nil {
				return err
			}
			n, bad, err := scorers.ScoreFile(cmd.Context(), o, set, chosen, input, output)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "scored %d record(s) with %s, scorer set %s (%s) -> %s\n", n, strings.Join(chosen, ", "), set.Key, which, output)
			if bad > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%d record(s) not scored; reasons (no text) in %s.rejected.jsonl\n", bad, output)
			}
			if o.BriefAgreement {
				fmt.Fprintf(cmd.OutOrStdout(), "each record carries its scorers' figures with a goal; the whole validity table: %s\n", scorers.TablePath(output))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "YAML config (default: the embedded configs/demo.yaml)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a key, e.g. --set scorers.dir=/tmp/scorers")
	cmd.Flags().StringVarP(&input, "input", "i", "", "JSONL of {id, context (messages) or text, response[, persona]}")
	cmd.Flags().StringVarP(&output, "output", "o", "", "JSONL written with every chosen scorer's values")
	cmd.Flags().StringVar(&only, "scorers", strings.Join(scorers.Names, ","), "comma-separated scorers to run")
	cmd.Flags().StringVar(&agreement, "agreement", "full", "what each record carries beside its numbers: full (every figure of the scorer with its held-out data and notes, about 2 KB per scorer) or brief (its figures with a goal, and the whole table once in <output>.validity.md)")
	cmd.Flags().StringVar(&setKey, "scorer-set", "", "the key of a trained scorer set in scorers.dir (default: the latest trained)")
	_ = cmd.MarkFlagRequired("input")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func chooseScorers(list string) ([]string, error) {
	known := map[string]bool{}
	for _, n := range scorers.Names {
		known[n] = true
	}
	var out []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !known[s] {
			return nil, fmt.Errorf("--scorers: unknown scorer %q (fix: some of %s)", s, strings.Join(scorers.Names, ", "))
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--scorers: none chosen (fix: some of %s)", strings.Join(scorers.Names, ", "))
	}
	return out, nil
}
