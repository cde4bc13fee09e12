// Package cli is the pixel command line (cobra): each command parses its
// flags and hands over to the package that does the work.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"pixel/internal/artifact"
	"pixel/internal/config"
	"pixel/internal/runner"
	"pixel/internal/worker"
)

// Execute runs the pixel command and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := &cobra.Command{
		Use:           "pixel",
		Short:         "Pixel: a four-stage curriculum that turns mental-health conversations into a safe, empathetic, measured chat model",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(runCmd(), trainCmd(), dataCmd(), chatCmd(), exportCmd(), scorersCmd(), scoreCmd(), configCmd(), versionCmd())
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pixel:", err)
		return 1
	}
	return 0
}

func runCmd() *cobra.Command {
	return pipelineCmd("run", "Build stage shards, train the four stages, evaluate every checkpoint, and write the report", false)
}

func trainCmd() *cobra.Command {
	return pipelineCmd("train", "Build stage shards and train the four stages (no evaluation); --resume finishes a killed run", true)
}

// pipelineCmd is `pixel run` and `pixel train`: the same pipeline, with or
// without the evaluation of every checkpoint.
func pipelineCmd(name, short string, trainOnly bool) *cobra.Command {
	var cfgPath, resume string
	var sets []string
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Example: "  pixel " + name + "                                   # the embedded demo config\n" +
			"  pixel " + name + " --config configs/demo.yaml --set train.max_steps=2\n" +
			"  pixel " + name + " --resume runs/demo-20261125-084459   # finish a run that was killed",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := runner.Run(cmd.Context(), runner.Options{ConfigPath: cfgPath, Sets: sets, Resume: resume, TrainOnly: trainOnly,
				Out: cmd.OutOrStdout(), Progress: worker.NewProgress(os.Stderr)})
			return err
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "YAML config (default: the embedded configs/demo.yaml)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a key, e.g. --set train.lr=1e-4 --set stages.0.max_steps=5")
	cmd.Flags().StringVar(&resume, "resume", "", "finish the run in this folder, keeping its complete shards, checkpoints and evaluations")
	return cmd
}

func configCmd() *cobra.Command {
	var sets []string
	cmd := &cobra.Command{Use: "config", Short: "Check and show configurations"}
	show := &cobra.Command{
		Use:   "show [file]",
		Short: "Print the resolved configuration (defaults, file and --set overrides merged)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(first(args), sets)
			if err != nil {
				return err
			}
			b, err := yaml.Marshal(cfg)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	validate := &cobra.Command{
		Use:   "validate [file...]",
		Short: "Validate configuration files; every problem is reported with its key and a fix",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{""}
			}
			bad := 0
			for _, a := range args {
				if _, err := config.Load(a, sets); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					bad++
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ok %s\n", nameOr(a))
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d configs invalid", bad, len(args))
			}
			return nil
		},
	}
	for _, c := range []*cobra.Command{show, validate} {
		c.Flags().StringArrayVar(&sets, "set", nil, "override a key, e.g. --set train.lr=1e-4")
	}
	cmd.AddCommand(show, validate)
	return cmd
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the code version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "pixel", artifact.CodeVersion()) },
	}
}

func first(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}

func nameOr(a string) string {
	if a == "" {
		return config.DemoName
	}
	return a
}
