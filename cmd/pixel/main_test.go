package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// projectRoot is two folders up from cmd/pixel.
func projectRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".venv", "bin", "python")); err != nil {
		t.Fatalf("the worker environment is missing at %s/.venv (fix: run `make setup` or `make test`)", root)
	}
	return root
}

func buildPixel(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pixel")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runPixel(t *testing.T, bin, root string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// TestRunEndToEnd runs `pixel run` on the smoke config (the demo corpus, a
// one-layer tiny Mistral, two steps a stage) and checks every artifact.
func TestRunEndToEnd(t *testing.T) {
	root := projectRoot(t)
	bin := buildPixel(t)
	out := t.TempDir()
	stdout, stderr, err := runPixel(t, bin, root, "run", "--config", "configs/smoke.yaml", "--set", "run.out_dir="+out)
	if err != nil {
		t.Fatalf("pixel run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	m := regexp.MustCompile(`done: report (\S+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("pixel run did not print where the report is:\n%s", stdout)
	}
	runDir := filepath.Dir(m[1])
	if filepath.Dir(runDir) != out {
		t.Fatalf("run folder %s is not under run.out_dir %s", runDir, out)
	}
	stages := []string{"foundation", "expertise", "edge", "voice"}
	want := []string{"config.yaml", "run.log", "metrics.json", "report.html", "loss_curves.svg", "manifest.json",
		"data/manifest.json", "base_model/config.json", "eval/prompts.jsonl", "eval/manifest.json",
		"eval/0-base/loss.json", "eval/0-base/samples.jsonl"}
	for i, s := range stages {
		ck := filepath.Join("checkpoints", []string{"1-", "2-", "3-", "4-"}[i]+s)
		ev := filepath.Join("eval", []string{"1-", "2-", "3-", "4-"}[i]+s)
		want = append(want, "data/"+s+"/train.jsonl", "data/"+s+"/val.jsonl", "data/"+s+"/test.jsonl",
			ck+"/adapter/adapter_config.json", ck+"/adapter/adapter_model.safetensors", ck+"/checkpoint.json",
			ck+"/metrics.json", ck+"/manifest.json", ck+"/mistral_instruct_tokenizer_241114.model.v7",
			ev+"/loss.json", ev+"/samples.jsonl")
	}
	for _, f := range want {
		if st, err := os.Stat(filepath.Join(runDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("missing or empty artifact %s", f)
		}
	}

	if _, err := os.Stat(filepath.Join(runDir, "data", "quarantine.jsonl")); err != nil {
		t.Errorf("no quarantine file (it is written, empty, even when nothing is rejected): %v", err)
	}

	// Each checkpoint describes itself and carries the adapter on.
	for i, s := range stages {
		var card struct {
			Stage, BaseModel, ChatFormat string
			InitAdapter                  *string `json:"init_adapter"`
		}
		readJSON(t, filepath.Join(runDir, "checkpoints", []string{"1-", "2-", "3-", "4-"}[i]+s, "checkpoint.json"), &card)
		if card.Stage != s {
			t.Errorf("checkpoint %d stage = %q, want %q", i+1, card.Stage, s)
		}
		if (i == 0) != (card.InitAdapter == nil) {
			t.Errorf("checkpoint %d init_adapter = %v: only stage 1 starts without the previous adapter", i+1, card.InitAdapter)
		}
		if i > 0 && !strings.Contains(*card.InitAdapter, stages[i-1]) {
			t.Errorf("stage %s starts from %s, want the %s adapter", s, *card.InitAdapter, stages[i-1])
		}
	}

	var metrics struct {
		Stages []struct {
			Name    string
			Steps   int
			History []struct {
				Split string
				Loss  float64
			}
		}
		Eval []struct {
			Model    string
			TestLoss map[string]struct{ Loss, Perplexity float64 } `json:"test_loss"`
			Samples  []struct{ ID, Completion string }
		}
	}
	readJSON(t, filepath.Join(runDir, "metrics.json"), &metrics)
	if len(metrics.Stages) != 4 || len(metrics.Eval) != 5 {
		t.Fatalf("metrics.json has %d stages and %d evals, want 4 and 5 (base + 4)", len(metrics.Stages), len(metrics.Eval))
	}
	for _, s := range metrics.Stages {
		if s.Steps != 2 || len(s.History) == 0 {
			t.Errorf("stage %s: %d steps, %d history points; want 2 steps and a loss history", s.Name, s.Steps, len(s.History))
		}
	}
	for _, e := range metrics.Eval {
		if len(e.TestLoss) != 4 || len(e.Samples) != 8 {
			t.Errorf("eval %s: %d test losses and %d samples, want 4 and 8", e.Model, len(e.TestLoss), len(e.Samples))
		}
		for s, l := range e.TestLoss {
			if !(l.Loss > 0 && l.Perplexity > 1) {
				t.Errorf("eval %s on %s: loss %v perplexity %v", e.Model, s, l.Loss, l.Perplexity)
			}
		}
	}
	report, _ := os.ReadFile(filepath.Join(runDir, "report.html"))
	for _, s := range append(stages, "<svg", "Held-out loss") {
		if !strings.Contains(string(report), s) {
			t.Errorf("report.html lacks %q", s)
		}
	}
	// Later stages replay earlier stages' conversations.
	for i, s := range stages[1:] {
		var m struct {
			ReplayedConversations int `json:"replayed_conversations"`
		}
		readJSON(t, filepath.Join(runDir, "checkpoints", []string{"2-", "3-", "4-"}[i]+s, "metrics.json"), &m)
		if m.ReplayedConversations == 0 {
			t.Errorf("stage %s replayed no earlier conversation (train.replay is on by default)", s)
		}
	}
	// The last checkpoint exports as a standalone model.
	merged := filepath.Join(t.TempDir(), "merged")
	if _, stderr, err := runPixel(t, bin, root, "export", "--checkpoint", filepath.Join(runDir, "checkpoints", "4-voice"), "--out", merged); err != nil {
		t.Fatalf("pixel export: %v\n%s", err, stderr)
	}
	for _, f := range []string{"model.safetensors", "config.json", "pixel_model.json"} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Errorf("exported model lacks %s", f)
		}
	}
	// pixel chat talks to a checkpoint in both personas.
	for _, persona := range []string{"therapist", "client"} {
		chat := exec.Command(bin, "chat", "--checkpoint", filepath.Join(runDir, "checkpoints", "4-voice"), "--persona", persona, "--max-new-tokens", "4")
		chat.Dir, chat.Env = root, append(os.Environ(), "HF_HUB_OFFLINE=1")
		chat.Stdin = strings.NewReader("I can't sleep.\n/reset\nHello again\n/quit\n")
		got, err := chat.CombinedOutput()
		if err != nil {
			t.Fatalf("pixel chat --persona %s: %v\n%s", persona, err, got)
		}
		if n := strings.Count(string(got), persona+"> "); n != 2 {
			t.Errorf("pixel chat --persona %s answered %d times, want 2:\n%s", persona, n, got)
		}
	}
	log, _ := os.ReadFile(filepath.Join(runDir, "run.log"))
	if !strings.Contains(string(log), `"type": "done"`) {
		t.Errorf("run.log does not record the worker's events")
	}
}

// TestRunWorkerFailure checks that a worker failure ends `pixel run` with a
// clear error naming the fix, not a stack trace.
func TestRunWorkerFailure(t *testing.T) {
	root := projectRoot(t)
	bin := buildPixel(t)
	_, stderr, err := runPixel(t, bin, root, "run", "--config", "configs/smoke.yaml",
		"--set", "run.out_dir="+t.TempDir(), "--set", "model.tokenizer=no-such-tokenizer.v7")
	if err == nil {
		t.Fatal("pixel run succeeded with a tokenizer that does not exist")
	}
	for _, want := range []string{"worker job train failed", "no-such-tokenizer.v7", "fix:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error output lacks %q:\n%s", want, stderr)
		}
	}
}

// TestTrainUnderTorchrun runs one stage with two training processes
// (torchrun, data parallel on CPU): the run must read as one job.
func TestTrainUnderTorchrun(t *testing.T) {
	root := projectRoot(t)
	bin := buildPixel(t)
	stdout, stderr, err := runPixel(t, bin, root, "train", "--config", "configs/smoke.yaml", "--set", "run.out_dir="+t.TempDir(),
		"--set", "worker.processes=2", "--set", "stages=[{name: foundation, share: 1}]")
	if err != nil {
		t.Fatalf("pixel train with two processes: %v\n%s\n%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout, "1 foundation") || strings.Count(stderr, "stage foundation:") != 1 {
		t.Errorf("want one foundation stage reported once:\n%s\n%s", stdout, stderr)
	}
}

// TestRunBadConfig checks that configuration errors stop before any work.
func TestRunBadConfig(t *testing.T) {
	root := projectRoot(t)
	bin := buildPixel(t)
	_, stderr, err := runPixel(t, bin, root, "run", "--set", "train.lr=-1", "--set", "run.out_dir="+t.TempDir())
	if err == nil || !strings.Contains(stderr, "train.lr=-1") || !strings.Contains(stderr, "must be in (0, 1]") {
		t.Fatalf("want a config error naming train.lr, got err=%v\n%s", err, stderr)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestRunKilledResumes kills `pixel run` (and its worker) once two stages
// are done, then checks that --resume finishes the run and keeps the two
// finished checkpoints as they were.
func TestRunKilledResumes(t *testing.T) {
	root := projectRoot(t)
	bin := buildPixel(t)
	out := t.TempDir()
	// Killed while training (`pixel train`), finished by `pixel run --resume`,
	// which also adds the evaluation.
	cmd := exec.Command(bin, "train", "--config", "configs/smoke.yaml", "--set", "run.out_dir="+out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so the kill reaches the worker too
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var runDir string
	deadline := time.Now().Add(5 * time.Minute)
	for runDir == "" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		m, _ := filepath.Glob(filepath.Join(out, "*", "checkpoints", "2-expertise", "manifest.json"))
		if len(m) > 0 {
			runDir = filepath.Dir(filepath.Dir(filepath.Dir(m[0])))
		}
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	if runDir == "" {
		t.Fatal("stage 2 never finished")
	}
	if _, err := os.Stat(filepath.Join(runDir, "report.html")); err == nil {
		t.Skip("the run finished before it could be killed")
	}
	before := map[string][]byte{}
	for _, ck := range []string{"1-foundation", "2-expertise"} {
		b, err := os.ReadFile(filepath.Join(runDir, "checkpoints", ck, "adapter", "adapter_model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		before[ck] = b
	}
	stdout, stderr, err := runPixel(t, bin, root, "run", "--resume", runDir)
	if err != nil {
		t.Fatalf("pixel run --resume: %v\n%s\n%s", err, stdout, stderr)
	}
	if !strings.Contains(stderr, "stage 1 foundation: checkpoint already complete, skipped") {
		t.Errorf("resume did not skip the finished stage 1:\n%s", stderr)
	}
	for ck, b := range before {
		after, _ := os.ReadFile(filepath.Join(runDir, "checkpoints", ck, "adapter", "adapter_model.safetensors"))
		if string(after) != string(b) {
			t.Errorf("%s was retrained on resume", ck)
		}
	}
	for _, f := range []string{"checkpoints/4-voice/checkpoint.json", "eval/0-base/loss.json", "eval/4-voice/samples.jsonl", "report.html"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("resumed run lacks %s", f)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(runDir, "checkpoints", "*.tmp-*")); len(left) > 0 {
		t.Errorf("scratch folders left behind: %v", left)
	}
}

// TestDataCommands runs `pixel data sources` and `pixel data build` on the
// public datasets, as a user would.
func TestDataCommands(t *testing.T) {
	root := projectRoot(t)
	if _, err := os.Stat(filepath.Join(root, "..", "shared", "data", "esconv")); err != nil && os.Getenv("PIXEL_DATA_ROOT") == "" {
		t.Fatalf("public datasets missing at ../shared/data (fix: place them beside the checkout or set PIXEL_DATA_ROOT)")
	}
	bin := buildPixel(t)
	stdout, stderr, err := runPixel(t, bin, root, "data", "sources")
	if err != nil {
		t.Fatalf("pixel data sources: %v\n%s", err, stderr)
	}
	for _, name := range []string{"esconv", "counselchat", "annomi", "mibot", "mi_boosting_welivita", "cognitive_reframing", "bolt",
		"epitome", "mentalllama_imhi", "cams", "irf", "dreaddit", "sad", "mmlu_psych", "mh_exam_mc", "mentalchat16k_evalq",
		"psych8k_counselling_bench", "synthetic_persona_chat", "patient_psi", "holisticbias", "bbq"} {
		if !regexp.MustCompile(`(?m)^` + name + `\s`).MatchString(stdout) {
			t.Errorf("pixel data sources does not list %s", name)
		}
	}
	out := t.TempDir()
	stdout, stderr, err = runPixel(t, bin, root, "data", "build", "--config", "configs/public.yaml", "--out", out, "--set", "data.mixing.counter=chars")
	if err != nil {
		t.Fatalf("pixel data build: %v\n%s\n%s", err, stdout, stderr)
	}
	for _, s := range []string{"foundation share", "edge       share", "done: shards in"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("data build output lacks %q:\n%s", s, stdout)
		}
	}
	for _, f := range []string{"foundation/train.jsonl", "expertise/train.jsonl", "edge/train.jsonl", "voice/train.jsonl", "quarantine.jsonl", "report.html", "manifest.json"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("data build wrote no %s", f)
		}
	}
}
