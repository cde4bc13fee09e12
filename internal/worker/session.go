package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"

	"pixel/internal/artifact"
)

// Session is a worker job that stays up and answers requests sent on its
// stdin (the chat job), one JSON line in, one reply event out.
type Session struct {
	job    string
	cmd    *exec.Cmd
	in     io.WriteCloser
	events chan Event
	tail   *tailBuffer
}

// Start launches job and waits for its "ready" event.
func (l *Launcher) Start(ctx context.Context, job string, spec map[string]any, specPath string) (*Session, error) {
	full := map[string]any{"job": job}
	for k, v := range spec {
		full[k] = v
	}
	if err := artifact.WriteJSON(specPath, full); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, l.Python, "-m", "pixel_worker", job, "--spec", specPath)
	cmd.Env = append(append(os.Environ(), "PYTHONPATH="+l.Dir, "PYTHONUNBUFFERED=1"), l.Env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Session{job: job, cmd: cmd, in: in, events: make(chan Event, 16), tail: &tailBuffer{max: 30}}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, &JobError{Job: job, Message: fmt.Sprintf("cannot start %s: %v", l.Python, err), Fix: "run `make setup`"}
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.tail.add(sc.Text())
			if l.Log != nil {
				fmt.Fprintf(l.Log, "[%s stderr] %s\n", job, sc.Text())
			}
		}
	}()
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var ev Event
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type != "" {
				ev.Raw = append(json.RawMessage(nil), sc.Bytes()...)
				s.events <- ev
			}
		}
	}()
	if _, err := s.next("ready"); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Send writes one request and returns the worker's answer event.
func (s *Session) Send(req any) (Event, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return Event{}, err
	}
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		return Event{}, s.failure(fmt.Sprintf("the worker stopped: %v", err))
	}
	return s.next("reply")
}

// next returns the next event of the wanted type, skipping progress and logs.
func (s *Session) next(want string) (Event, error) {
	for ev := range s.events {
		switch ev.Type {
		case want:
			return ev, nil
		case "error":
			return ev, &JobError{Job: s.job, Message: ev.Error, Fix: ev.Fix}
		}
	}
	return Event{}, s.failure("the worker exited")
}

func (s *Session) failure(msg string) error {
	return &JobError{Job: s.job, Message: msg + "; last output:\n" + s.tail.String()}
}

// Close ends the session: EOF on stdin, then wait for the worker to exit.
func (s *Session) Close() error {
	s.in.Close()
	for range s.events {
	}
	return s.cmd.Wait()
}
