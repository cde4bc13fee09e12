// Package worker launches the Python worker (python -m pixel_worker) for one
// job, feeds it a JSON spec, and turns its JSON-lines events into progress
// bars, a run log, and a Go error when it fails.
package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"pixel/internal/artifact"
)

// Event is one line the worker writes on stdout. Fields not used by a type
// stay zero; Raw keeps the whole line.
type Event struct {
	Type    string          `json:"type"` // start | progress | metric | artifact | data | log | error | done
	Time    float64         `json:"time"`
	Job     string          `json:"job,omitempty"`
	Task    string          `json:"task,omitempty"`
	Done    int             `json:"done,omitempty"`
	Total   int             `json:"total,omitempty"`
	Unit    string          `json:"unit,omitempty"`
	Name    string          `json:"name,omitempty"`
	Value   float64         `json:"value,omitempty"`
	Stage   string          `json:"stage,omitempty"`
	Split   string          `json:"split,omitempty"`
	Step    int             `json:"step,omitempty"`
	Kind    string          `json:"kind,omitempty"`
	Path    string          `json:"path,omitempty"`
	Level   string          `json:"level,omitempty"`
	Message string          `json:"message,omitempty"`
	Error   string          `json:"error,omitempty"`
	Fix     string          `json:"fix,omitempty"`
	Summary json.RawMessage `json:"summary,omitempty"`
	Content string          `json:"content,omitempty"` // a chat reply
	Raw     json.RawMessage `json:"-"`
}

// Launcher runs worker jobs.
type Launcher struct {
	Python string    // interpreter (a venv's bin/python)
	Dir    string    // folder holding the pixel_worker package
	Log    io.Writer // the run log: every event and every stderr line
	Env    []string  // extra environment, KEY=VALUE
	// Progress shows progress events (a bar on a terminal, lines elsewhere);
	// nil shows nothing.
	Progress *Progress
	// TrainProcesses > 1 runs train jobs under torchrun with that many
	// processes; only rank 0 reports events and writes the checkpoint.
	TrainProcesses int
}

// Result is what a job reported.
type Result struct {
	Events  []Event
	Summary json.RawMessage
}

// Metrics returns the job's metric events.
func (r *Result) Metrics() []Event {
	var out []Event
	for _, e := range r.Events {
		if e.Type == "metric" {
			out = append(out, e)
		}
	}
	return out
}

// JobError is a failed job: the worker's own error event when it sent one,
// else the exit status and the end of its stderr.
type JobError struct {
	Job, Message, Fix, Log string
}

func (e *JobError) Error() string {
	s := fmt.Sprintf("worker job %s failed: %s", e.Job, e.Message)
	if e.Fix != "" {
		s += " (fix: " + e.Fix + ")"
	}
	if e.Log != "" {
		s += "; full output in " + e.Log
	}
	return s
}

// Run writes spec to specPath (atomically) and runs the job to completion.
func (l *Launcher) Run(ctx context.Context, job string, spec map[string]any, specPath, logPath string) (*Result, error) {
	full := map[string]any{"job": job}
	for k, v := range spec {
		if k != "job" {
			full[k] = v
		}
	}
	if err := artifact.WriteJSON(specPath, full); err != nil {
		return nil, err
	}
	args := []string{"-m", "pixel_worker", job, "--spec", specPath}
	if job == "train" && l.TrainProcesses > 1 {
		args = append([]string{"-m", "torch.distributed.run", "--standalone", "--nproc_per_node", fmt.Sprint(l.TrainProcesses)}, args...)
	}
	cmd := exec.CommandContext(ctx, l.Python, args...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+l.Dir, "PYTHONUNBUFFERED=1")
	cmd.Env = append(cmd.Env, l.Env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, &JobError{Job: job, Message: fmt.Sprintf("cannot start %s: %v", l.Python, err), Fix: "run `make setup` to create the worker environment, or set worker.python / $PIXEL_PYTHON"}
	}
	var mu sync.Mutex // the log is written from two goroutines
	logf := func(format string, a ...any) {
		if l.Log != nil {
			mu.Lock()
			fmt.Fprintf(l.Log, format, a...)
			mu.Unlock()
		}
	}
	tail := &tailBuffer{max: 30}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			logf("[%s stderr] %s\n", job, sc.Text())
			tail.add(sc.Text())
		}
	}()
	res := &Result{}
	var failure *JobError
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Type == "" {
			logf("[%s stdout] %s\n", job, line)
			continue
		}
		ev.Raw = append(json.RawMessage(nil), line...)
		res.Events = append(res.Events, ev)
		if ev.Type != "progress" {
			logf("[%s] %s\n", job, line)
		}
		switch ev.Type {
		case "progress":
			l.Progress.Update(ev.Task, ev.Done, ev.Total, ev.Unit)
		case "log":
			l.Progress.Note(ev.Message)
		case "error":
			failure = &JobError{Job: job, Message: ev.Error, Fix: ev.Fix, Log: logPath}
		case "done":
			res.Summary = ev.Summary
		}
	}
	if err := sc.Err(); err != nil {
		// Stop the worker rather than leave it blocked on a full pipe.
		_ = cmd.Process.Kill()
		logf("[%s] reading events: %v\n", job, err)
		failure = &JobError{Job: job, Message: "unreadable event stream: " + err.Error(), Log: logPath}
	}
	wg.Wait()
	err = cmd.Wait()
	l.Progress.Finish()
	if failure != nil {
		return res, failure
	}
	if err != nil {
		msg := err.Error()
		if ctx.Err() != nil {
			msg = "interrupted: " + ctx.Err().Error()
		}
		return res, &JobError{Job: job, Message: msg + "; last output:\n" + tail.String(), Log: logPath}
	}
	if res.Summary == nil {
		return res, &JobError{Job: job, Message: "exited without a done event", Log: logPath}
	}
	return res, nil
}

// tailBuffer keeps the last lines of a stream for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tailBuffer) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, s)
	if len(t.lines) > t.max {
		t.lines = t.lines[1:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// Locate finds the interpreter and the worker folder: explicit settings
// first, then $PIXEL_PYTHON, then .venv/bin/python and worker/ in the project
// folder (the first parent of the working directory or of the binary that
// holds worker/pixel_worker).
func Locate(python, dir string) (string, string, error) {
	root := projectRoot()
	if dir == "" {
		if root == "" {
			return "", "", errors.New("cannot find the worker (worker/pixel_worker) above the working directory or the binary (fix: run pixel inside the project folder, or set worker.dir / $PIXEL_HOME)")
		}
		dir = filepath.Join(root, "worker")
	}
	if python == "" {
		python = os.Getenv("PIXEL_PYTHON")
	}
	if python == "" && root != "" {
		python = filepath.Join(root, ".venv", "bin", "python")
	}
	if _, err := os.Stat(python); err != nil {
		return "", "", fmt.Errorf("worker python %q not found (fix: run `make setup` in the project folder, or set worker.python / $PIXEL_PYTHON)", python)
	}
	abs, err := filepath.Abs(dir)
	return python, abs, err
}

func projectRoot() string {
	if h := os.Getenv("PIXEL_HOME"); h != "" {
		return h
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, d := range starts {
		for {
			if _, err := os.Stat(filepath.Join(d, "worker", "pixel_worker", "__main__.py")); err == nil {
				return d
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return ""
}

// Optional is a spec value that is null when empty (e.g. no adapter).
func Optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}
