package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"pixel/internal/artifact"
	"pixel/internal/config"
	"pixel/internal/pii"
	"pixel/internal/pipeline"
	"pixel/internal/sources"
	"pixel/internal/worker"
)

func dataCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "data", Short: "Build, list and check the training data"}
	cmd.AddCommand(dataBuildCmd(), dataSourcesCmd(), dataFetchCmd(), piiEvalCmd())
	return cmd
}

func dataBuildCmd() *cobra.Command {
	var cfgPath, out string
	var sets []string
	cmd := &cobra.Command{
		Use:     "build",
		Short:   "Turn the training manifest's sources into stage shards (resumable: re-run the same command after a kill)",
		Example: "  pixel data build --config configs/public.yaml --out data/public",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath, sets)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			outAbs, _ := filepath.Abs(out)
			resolved, _ := yaml.Marshal(cfg)
			cfgOut := filepath.Join(outAbs, "config.yaml")
			if err := artifact.WriteBytes(cfgOut, resolved); err != nil {
				return err
			}
			logf, err := os.OpenFile(filepath.Join(outAbs, "build.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return err
			}
			defer logf.Close()
			say := func(format string, a ...any) {
				fmt.Fprintf(cmd.OutOrStdout(), format+"\n", a...)
				fmt.Fprintf(logf, format+"\n", a...)
			}
			opt := pipeline.Options{Config: cfg, Log: say}
			if cfg.Data.Mixing.Counter == "tokenizer" {
				python, dir, err := worker.Locate(cfg.Worker.Python, cfg.Worker.Dir)
				if err != nil {
					return err
				}
				l := &worker.Launcher{Python: python, Dir: dir, Log: logf, Progress: worker.NewProgress(os.Stderr)}
				opt.Counter = pipeline.WorkerCounter(l, cfgOut, outAbs, filepath.Join(outAbs, "build.log"))
			}
			say("data build: manifest %s -> %s", cfg.Data.Manifest, outAbs)
			res, err := pipeline.Build(cmd.Context(), opt, outAbs)
			if err != nil {
				return err
			}
			for _, m := range res.Mixing {
				say("  %-10s share %.3f (target %.3f)  %d tokens  upsample %.2f", m.Stage, m.Share, m.TargetShare, m.SelectedTok, m.Upsample)
			}
			say("done: shards in %s, report %s", outAbs, filepath.Join(outAbs, "report.html"))
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "configs/public.yaml", "YAML config")
	cmd.Flags().StringVarP(&out, "out", "o", "data/build", "output folder (shards, quarantine, report, work/ for resuming)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a key, e.g. --set data.dedup.threshold=0.9")
	return cmd
}

func dataSourcesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sources",
		Short: "List the source registry: license, uses, default stage, origin",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tLICENSE\tNC\tSA\tUSES\tSTAGE\tORIGIN")
			for _, s := range sources.All() {
				var uses []string
				for _, u := range s.Uses {
					uses = append(uses, string(u))
				}
				fmt.Fprintf(w, "%s\t%s\t%v\t%v\t%s\t%s\t%s\n", s.Name, s.License, yes(s.NonCommercial), yes(s.ShareAlike), strings.Join(uses, ","), s.Stage, s.Origin)
			}
			return w.Flush()
		},
	}
}

func dataFetchCmd() *cobra.Command {
	var root string
	cmd := &cobra.Command{
		Use:   "fetch [source...]",
		Short: "Download public sources from their origin into the data root (needs network access)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = sources.Names()
			}
			for _, name := range args {
				n, err := sources.Fetch(cmd.Context(), name, filepath.Join(root, name))
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d files\n", name, n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&root, "root", "../shared/data", "folder that gets one subfolder per source")
	return cmd
}

func piiEvalCmd() *cobra.Command {
	var file string
	var limit int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "pii-eval",
		Short: "Measure the PII scrubber: synthetic PII injected into real conversations, recall and precision per type",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			texts, err := pii.ReadUtterances(file, limit)
			if err != nil {
				return err
			}
			rep := pii.Evaluate(texts, seed, pii.New())
			fmt.Fprint(cmd.OutOrStdout(), rep.Table())
			if !rep.Pass {
				return fmt.Errorf("the scrubber misses its targets on %s", file)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "input", "../shared/data/esconv/hf_split_valid.jsonl", "ESConv-style JSONL whose utterances receive the synthetic PII")
	cmd.Flags().IntVar(&limit, "limit", 2000, "utterances to use")
	cmd.Flags().Uint64Var(&seed, "seed", 7, "seed of the injection")
	return cmd
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}
