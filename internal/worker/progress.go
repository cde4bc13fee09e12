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
// quarter, so logs stay readable. A nil *Progress shows nothing.
type Progress struct {
	w       io.Writer
	tty     bool
	bar     *progressbar.ProgressBar
	task    string
	started time.Time
	shown   int // quarters already printed (non-terminal)
}

// NewProgress writes to w (usually os.Stderr).
func NewProgress(w io.Writer) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &Progress{w: w, tty: tty}
}

// Update moves the bar of task to done/total, starting a new bar when the
// task changes.
func (p *Progress) Update(task string, done, total int, unit string) {
	if p == nil || total <= 0 {
		return
	}
	if task != p.task {
		p.Finish()
		p.task, p.started, p.shown = task, time.Now(), 0
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
	// A line each time done crosses into a new quarter: 1/4, 1/2, 3/4, all.
	if q := min(done*4/total, 4); q > p.shown {
		p.shown = q
		eta := ""
		if done > 0 && done < total {
			left := time.Duration(float64(time.Since(p.started)) / float64(done) * float64(total-done))
			eta = fmt.Sprintf(", ETA %s", left.Round(time.Second))
		}
		fmt.Fprintf(p.w, "  %s: %d/%d %s%s\n", task, done, total, unit, eta)
	}
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
