package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeWorker is a stand-in pixel_worker whose behaviour is picked by the job
// name, so the Launcher is tested without torch.
const fakeWorker = `import json, os, sys, time

job, spec_path = sys.argv[1], sys.argv[3]
with open(spec_path) as f:
    spec = json.load(f)

def ev(**kw):
    kw.setdefault("time", time.time())
    print(json.dumps(kw), flush=True)

if job == "ok":
    ev(type="start", job=job)
    for i in range(1, 5):
        ev(type="progress", task="train", done=i, total=4, unit="step")
    ev(type="metric", name="loss", value=1.5, stage="foundation", split="val", step=4)
    ev(type="metric", name="ppl", value=4.5, stage="foundation", split="val", step=4)
    ev(type="log", level="info", message="hello from the fake worker")
    print("a warning on stderr", file=sys.stderr, flush=True)
    ev(type="done", job=job, summary={"job": spec["job"], "lr": spec["lr"], "env": os.environ.get("PIXEL_TEST_ENV", "")})
elif job == "fail":
    ev(type="start", job=job)
    ev(type="error", error="CUDA out of memory", fix="lower train.batch_size")
    sys.exit(1)
elif job == "garbage":
    print("this is not json", flush=True)
    print("{}", flush=True)
    print("[1, 2]", flush=True)
    print("Traceback (most recent call last):", file=sys.stderr)
    print("ValueError: something broke", file=sys.stderr)
    sys.exit(3)
elif job == "nodone":
    ev(type="start", job=job)
elif job == "sleep":
    ev(type="start", job=job)
    time.sleep(30)
`

// fakeLauncher writes the fake worker package and returns a Launcher that
// runs it with python3 from PATH.
func fakeLauncher(t *testing.T) (*Launcher, *bytes.Buffer) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	dir := t.TempDir()
	pkg := filepath.Join(dir, "pixel_worker")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"__init__.py": "", "__main__.py": fakeWorker} {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	return &Launcher{Python: python, Dir: dir, Log: &log}, &log
}

func TestLauncherOK(t *testing.T) {
	l, log := fakeLauncher(t)
	l.Env = []string{"PIXEL_TEST_ENV=passed"}
	var progress bytes.Buffer
	l.Progress = NewProgress(&progress)
	specPath := filepath.Join(t.TempDir(), "spec", "ok.json")
	res, err := l.Run(context.Background(), "ok", map[string]any{"lr": 0.5}, specPath, "run.log")
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, log)
	}

	var spec map[string]any
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	if spec["job"] != "ok" || spec["lr"] != 0.5 {
		t.Errorf("spec = %v; want job ok and lr 0.5", spec)
	}

	var types []string
	for _, e := range res.Events {
		types = append(types, e.Type)
		if len(e.Raw) == 0 {
			t.Errorf("%s event without Raw", e.Type)
		}
	}
	if got := strings.Join(types, " "); got != "start progress progress progress progress metric metric log done" {
		t.Errorf("events %s", got)
	}
	m := res.Metrics()
	if len(m) != 2 || m[0].Name != "loss" || m[0].Value != 1.5 || m[0].Stage != "foundation" || m[0].Split != "val" || m[0].Step != 4 || m[1].Name != "ppl" {
		t.Errorf("metrics = %+v", m)
	}
	var summary map[string]any
	if err := json.Unmarshal(res.Summary, &summary); err != nil {
		t.Fatalf("summary %s: %v", res.Summary, err)
	}
	if summary["job"] != "ok" || summary["lr"] != 0.5 || summary["env"] != "passed" {
		t.Errorf("summary = %v; want the spec read back and Env passed", summary)
	}

	for _, w := range []string{`[ok] {"type": "start"`, `"type": "metric"`, `"type": "done"`, "hello from the fake worker", "[ok stderr] a warning on stderr"} {
		if !strings.Contains(log.String(), w) {
			t.Errorf("run log lacks %q:\n%s", w, log)
		}
	}
	if strings.Contains(log.String(), `"type": "progress"`) {
		t.Errorf("run log holds progress events:\n%s", log)
	}
	for _, w := range []string{"train: 1/4 step", "train: 4/4 step", "hello from the fake worker"} {
		if !strings.Contains(progress.String(), w) {
			t.Errorf("progress output lacks %q:\n%s", w, progress.String())
		}
	}
}

func TestLauncherFailures(t *testing.T) {
	tests := []struct {
		job       string
		message   []string // substrings of JobError.Message
		fix       string
		logLines  []string // substrings of the run log
		wantEvent int      // events parsed
	}{
		{"fail", []string{"CUDA out of memory"}, "lower train.batch_size", []string{`"type": "error"`}, 2},
		{"garbage", []string{"exit status 3", "Traceback", "ValueError: something broke"}, "", []string{"[garbage stdout] this is not json", "[garbage stdout] {}", "[garbage stdout] [1, 2]", "[garbage stderr] ValueError: something broke"}, 0},
		{"nodone", []string{"without a done event"}, "", []string{`"type": "start"`}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.job, func(t *testing.T) {
			l, log := fakeLauncher(t)
			res, err := l.Run(context.Background(), tt.job, map[string]any{}, filepath.Join(t.TempDir(), "spec.json"), "runs/x/run.log")
			var je *JobError
			if !errors.As(err, &je) {
				t.Fatalf("Run = %v; want a *JobError", err)
			}
			if je.Job != tt.job || je.Fix != tt.fix || je.Log != "runs/x/run.log" {
				t.Errorf("JobError = %+v; want job %s, fix %q and the log path", je, tt.job, tt.fix)
			}
			for _, w := range tt.message {
				if !strings.Contains(je.Message, w) {
					t.Errorf("message %q lacks %q", je.Message, w)
				}
			}
			msg := err.Error()
			if !strings.Contains(msg, "worker job "+tt.job+" failed") || !strings.Contains(msg, "runs/x/run.log") {
				t.Errorf("Error() = %q", msg)
			}
			if tt.fix != "" && !strings.Contains(msg, "(fix: "+tt.fix+")") {
				t.Errorf("Error() = %q lacks the fix", msg)
			}
			if res == nil || len(res.Events) != tt.wantEvent {
				t.Errorf("result %+v; want %d events", res, tt.wantEvent)
			}
			for _, w := range tt.logLines {
				if !strings.Contains(log.String(), w) {
					t.Errorf("run log lacks %q:\n%s", w, log)
				}
			}
		})
	}
}

func TestLauncherInterrupted(t *testing.T) {
	l, _ := fakeLauncher(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := l.Run(ctx, "sleep", map[string]any{}, filepath.Join(t.TempDir(), "spec.json"), "")
	var je *JobError
	if !errors.As(err, &je) || !strings.Contains(je.Message, "interrupted") {
		t.Fatalf("Run = %v; want an interrupted JobError", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancel took %s", d)
	}
}

func TestLauncherMissingPython(t *testing.T) {
	l := &Launcher{Python: filepath.Join(t.TempDir(), "no-python"), Dir: t.TempDir()}
	_, err := l.Run(context.Background(), "ok", map[string]any{}, filepath.Join(t.TempDir(), "spec.json"), "")
	var je *JobError
	if !errors.As(err, &je) {
		t.Fatalf("Run = %v; want a *JobError", err)
	}
	if !strings.Contains(err.Error(), "make setup") || !strings.Contains(err.Error(), "no-python") {
		t.Errorf("error %q does not name the interpreter and `make setup`", err)
	}
}

func TestLocateMissingPython(t *testing.T) {
	_, _, err := Locate(filepath.Join(t.TempDir(), "no-python"), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "make setup") {
		t.Errorf("Locate = %v; want an error mentioning make setup", err)
	}
}

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf)
	for i := 0; i <= 8; i++ {
		p.Update("train", i, 8, "step")
	}
	p.Update("train", 8, 8, "step") // a repeated final event prints nothing more
	p.Note("a note")
	p.Update("eval", 1, 1, "prompt")
	p.Update("skipped", 1, 0, "x") // no total: nothing
	p.Finish()

	var got []string
	for l := range strings.Lines(buf.String()) {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, ", ETA"); i >= 0 {
			l = l[:i]
		}
		got = append(got, l)
	}
	want := []string{"train: 2/8 step", "train: 4/8 step", "train: 6/8 step", "train: 8/8 step", "a note", "eval: 1/1 prompt"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(buf.String(), "ETA") {
		t.Errorf("no ETA on a partial line:\n%s", buf.String())
	}
}

// Off a terminal a slow task still prints a line once a minute between
// quarters (a long fine-tune would otherwise be silent for 20 minutes).
func TestProgressHeartbeat(t *testing.T) {
	var buf bytes.Buffer
	p, clock := clockedProgress(&buf)
	p.Update("fine-tune", 0, 100, "step")
	for i := 1; i <= 100; i++ {
		*clock = clock.Add(20 * time.Second) // 3 steps a minute
		p.Update("fine-tune", i, 100, "step")
	}
	var got []string
	for l := range strings.Lines(buf.String()) {
		got = append(got, strings.TrimSpace(l))
	}
	// 100 steps over 33 minutes: a line a minute (every third step) plus the
	// quarters 25, 50, 75 and 100 that fall between.
	if len(got) < 33 || len(got) > 40 {
		t.Fatalf("%d lines over 33 minutes; want one a minute:\n%s", len(got), buf.String())
	}
	if got[0] != "fine-tune: 3/100 step, ETA 32m20s" {
		t.Errorf("first line %q; want the step count and ETA after a minute", got[0])
	}
	if last := got[len(got)-1]; last != "fine-tune: 100/100 step" {
		t.Errorf("last line %q; want the final count", last)
	}
	if strings.Count(buf.String(), "fine-tune: 100/100") != 1 {
		t.Errorf("final line printed more than once:\n%s", buf.String())
	}
}

// A task that resumes (a fine-tune from its checkpoint) starts at 172 of
// 604: its ETA comes from the steps since, not from 172 steps in no time.
func TestProgressResumedETA(t *testing.T) {
	var buf bytes.Buffer
	p, clock := clockedProgress(&buf)
	p.Update("fine-tune", 172, 604, "step")
	for i := 173; i <= 232; i++ {
		*clock = clock.Add(time.Second) // 60 steps a minute
		p.Update("fine-tune", i, 604, "step")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "fine-tune: 232/604 step, ETA 6m12s" {
		t.Errorf("line %q; want 372 steps left at 60 a minute", last)
	}
}

// A seed ensemble fine-tunes its encoders one after another under one
// name: the second starts a new count, with its own quarters and an ETA
// from its own steps, not from the first encoder's start.
func TestProgressTaskRunAgain(t *testing.T) {
	var buf bytes.Buffer
	p, clock := clockedProgress(&buf)
	for i := 0; i <= 100; i++ {
		*clock = clock.Add(time.Second)
		p.Update("fine-tune crisis", i, 100, "step")
	}
	buf.Reset()
	for i := 1; i <= 25; i++ {
		*clock = clock.Add(time.Second)
		p.Update("fine-tune crisis", i, 100, "step")
	}
	if got := strings.TrimSpace(buf.String()); got != "fine-tune crisis: 25/100 step, ETA 1m15s" {
		t.Errorf("second run's lines %q; want its first quarter, 75 steps left at one a second", got)
	}
}

// clockedProgress is a Progress on a clock the test moves.
func clockedProgress(w *bytes.Buffer) (*Progress, *time.Time) {
	p := NewProgress(w)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }
	return p, &clock
}

func TestProgressNil(t *testing.T) {
	var p *Progress
	p.Update("x", 1, 2, "u")
	p.Note("n")
	p.Finish()
}
