package cli

import (
	"bufio"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"pixel/internal/record"
	"pixel/internal/worker"
)

// defaultClientPrompt is the role-play prompt of `pixel chat --persona client`
// when --system is not given.
const defaultClientPrompt = "Role-play: you are the client in a counselling training session, not an assistant. " +
	"The user is a therapist in training. Stay in character as this client: an adult who was persuaded to come by family, " +
	"guarded and a little irritated, ambivalent about change, who opens up only when they feel understood rather than lectured. " +
	"Never break character to give advice or to act as the therapist."

func chatCmd() *cobra.Command {
	var ckpt, persona, system string
	var maxNew int
	var temp float64
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Talk to a stage checkpoint in the terminal, as the therapist or as the difficult client",
		Example: "  pixel chat --checkpoint runs/demo-20261125-090109/checkpoints/4-voice\n" +
			"  pixel chat --checkpoint runs/.../checkpoints/4-voice --persona client --system \"Role-play: you are the client...\"",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			card, cfg, err := readCard(ckpt)
			if err != nil {
				return err
			}
			switch {
			case persona == "client" && system == "":
				system = defaultClientPrompt
			case persona != "client" && persona != "therapist":
				return fmt.Errorf("--persona %q: use therapist or client", persona)
			}
			python, dir, err := worker.Locate(cfg.Worker.Python, cfg.Worker.Dir)
			if err != nil {
				return err
			}
			runDir := filepath.Dir(card.Config)
			absCkpt, _ := filepath.Abs(ckpt)
			l := &worker.Launcher{Python: python, Dir: dir}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "loading %s (%s persona)...\n", ckpt, persona)
			s, err := l.Start(cmd.Context(), "chat", map[string]any{"config": card.Config, "run_dir": runDir,
				"adapter": filepath.Join(absCkpt, "adapter"), "max_new_tokens": maxNew, "temperature": temp},
				filepath.Join(runDir, "jobs", "chat-"+card.Stage+".json"))
			if err != nil {
				return err
			}
			defer s.Close()
			fmt.Fprintln(out, "type a message; /reset starts over, /quit (or Ctrl-D) ends")
			var msgs []record.Message
			if system != "" {
				msgs = append(msgs, record.Message{Role: "system", Content: system})
			}
			start := len(msgs)
			in := bufio.NewScanner(cmd.InOrStdin())
			for fmt.Fprint(out, "you> "); in.Scan(); fmt.Fprint(out, "you> ") {
				text := strings.TrimSpace(in.Text())
				switch text {
				case "":
					continue
				case "/quit":
					return nil
				case "/reset":
					msgs = msgs[:start]
					continue
				}
				msgs = append(msgs, record.Message{Role: "user", Content: text})
				ev, err := s.Send(map[string]any{"messages": msgs})
				if err != nil {
					return err
				}
				msgs = append(msgs, record.Message{Role: "assistant", Content: ev.Content})
				fmt.Fprintf(out, "%s> %s\n", persona, ev.Content)
			}
			fmt.Fprintln(out)
			return nil
		},
	}
	cmd.Flags().StringVar(&ckpt, "checkpoint", "", "a stage checkpoint folder")
	cmd.Flags().StringVar(&persona, "persona", "therapist", "therapist, or client (the model plays a difficult client)")
	cmd.Flags().StringVar(&system, "system", "", "system prompt (the client persona gets a default role-play prompt)")
	cmd.Flags().IntVar(&maxNew, "max-new-tokens", 128, "longest reply")
	cmd.Flags().Float64Var(&temp, "temperature", 0.7, "sampling temperature (0 = greedy)")
	cmd.MarkFlagRequired("checkpoint")
	return cmd
}
