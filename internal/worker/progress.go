package worker

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress shows the worker's progress events: a bar with counts, rate and
// ETA on a terminal; on anything else (CI logs, pipes) a line at every
// quarter and at least one a minute while a task runs, so logs stay
// readable and a long fine-tune still shows it is alive. A nil *Progress
// shows nothing.
type Progress struct {
	w       io.Writer
	tty     bool
	bar     *progressbar.ProgressBar
	task    string
	started time.Time
	base    int       // done at the task's first event: a resumed task's ETA counts only the steps since
	done    int       // done at the last event: a count that goes back is the same task run again
	shown   int       // quarters already printed (non-terminal)
	last    time.Time // when the last line was printed (non-terminal)
	// every is the longest gap between two lines off a terminal (default a
	// minute); now is the clock (tests set it).
	every time.Duration
	now   func() time.Time
}

// NewProgress writes to w (usually os.Stderr).
func NewProgress(w io.Writer) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &Progress{w: w, tty: tty, every: time.Minute, now: time.Now}
}

// Update moves the bar of task to done/total, starting a new bar when the
// task changes or its count goes back (the same task run again: a seed
// ensemble's next encoder), so its ETA and lines start afresh.
func (p *Progress) Update(task string, done, total int, unit string) {
	if p == nil || total <= 0 {
		return
	}
	again := task == p.task && done < p.done
	p.done = done
	if task != p.task || again {
		p.Finish()
		p.task, p.started, p.shown, p.base = task, p.clock(), 0, done
		p.last = p.started
		if p.tty {
			p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(task),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit),
				progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }))
		}
	}
	if p.bar != nil {
		_ = p.bar.Set(done)
		return
	}
	// A line each time done crosses into a new quarter (1/4, 1/2, 3/4, all)
	// or every has passed since the last line.
	now := p.clock()
	q := min(done*4/total, 4)
	if q <= p.shown && (p.every <= 0 || now.Sub(p.last) < p.every || done >= total) {
		return
	}
	p.shown, p.last = max(q, p.shown), now
	eta := ""
	if done > p.base && done < total {
		left := time.Duration(float64(now.Sub(p.started)) / float64(done-p.base) * float64(total-done))
		eta = fmt.Sprintf(", ETA %s", left.Round(time.Second))
	}
	fmt.Fprintf(p.w, "  %s: %d/%d %s%s\n", task, done, total, unit, eta)
}

func (p *Progress) clock() time.Time {
	if p.now == nil {
		return time.Now()
	}
	return p.now()
}

// Note prints a worker log message above the bar.
func (p *Progress) Note(msg string) {
	if p == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.w, "  %s\n", msg)
}

// Finish closes the current bar.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
	p.task = ""
}
