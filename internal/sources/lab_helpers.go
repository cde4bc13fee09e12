package sources

// Helpers shared by the "lab" group's adapters (mentalllama_imhi, cams, irf,
// dreaddit, sad, cognitive_reframing, mmlu_psych, mh_exam_mc,
// mentalchat16k_evalq, psych8k_counselling_bench, holisticbias, bbq and the
// generic loaders). Every name is prefixed with "lab" except the typed
// readers other packages call (LabelledPost, EvalQuestion, ...).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"

	"pixel/internal/record"
)

// LabelledPost is one human-labelled post from a classification dataset
// (cams, irf, dreaddit, sad). These sources are for the scorers, never for
// training: read them with ReadLabelledPosts.
type LabelledPost struct {
	ID          string // unique across the source, prefixed with the source name
	Source      string
	Split       string // the dataset's own split (train/valid/test), "" when it has none
	Text        string // the post as written (only surrounding whitespace trimmed; mojibake kept)
	Label       string // the human label as the dataset writes it (e.g. "0"/"1", "4", "Work")
	Explanation string // the human explanation or inference span, "" when the dataset has none
	Extra       map[string]string
}

// ReadLabelledPosts calls fn for every labelled post of the named scorer
// source (cams, irf, dreaddit or sad) found under dir. A row that cannot
// become a post goes to reject with file, line and reason.
func ReadLabelledPosts(name, dir string, fn func(LabelledPost) error, reject Reject) error {
	switch name {
	case "cams":
		return readCAMS(dir, fn, reject)
	case "irf":
		return readIRF(dir, fn, reject)
	case "dreaddit":
		return readDreaddit(dir, fn, reject)
	case "sad":
		return readSAD(dir, fn, reject)
	}
	return fmt.Errorf("ReadLabelledPosts: unknown source %q (fix: one of cams, irf, dreaddit, sad)", name)
}

// EvalQuestion is one open question of an evaluation prompt set
// (mentalchat16k_evalq, psych8k_counselling_bench).
type EvalQuestion struct {
	ID       string // unique across the source, prefixed with the source name
	Category string
	Text     string
	Set      string // which file of the source it came from
	Language string // BCP 47
}

// ReadEvalQuestions returns every question of the named evaluation source
// (mentalchat16k_evalq or psych8k_counselling_bench) under dir, in file
// order. A malformed line is an error naming the file and line.
func ReadEvalQuestions(name, dir string) ([]EvalQuestion, error) {
	switch name {
	case "mentalchat16k_evalq":
		return readMentalChatEvalQ(dir)
	case "psych8k_counselling_bench":
		return readPsych8kBench(dir)
	}
	return nil, fmt.Errorf("ReadEvalQuestions: unknown source %q (fix: one of mentalchat16k_evalq, psych8k_counselling_bench)", name)
}

// labNoLoad is the Load of sources that emit no training records (scorer
// and evaluation sets, read through their typed readers instead).
func labNoLoad(context.Context, string, Emit, Reject) error { return nil }

// labOpen opens a dataset file with a fix hint when it is missing.
func labOpen(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (fix: get the source with `pixel data fetch` or point data.root at the datasets)", err)
	}
	return f, nil
}

// labEachLine calls fn with every non-blank line of a JSONL file (trimmed)
// and its 1-based line number. Lines may be of any length.
func labEachLine(ctx context.Context, path string, fn func(line int, raw []byte) error) error {
	f, err := labOpen(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for n := 1; ; n++ {
		b, rerr := r.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return fmt.Errorf("read %s line %d: %w", path, n, rerr)
		}
		if n == 1 {
			b = bytes.TrimPrefix(b, labBOM)
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(n, b); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
	}
}

// labBOM is the UTF-8 byte-order mark some editors write first.
var labBOM = []byte{0xEF, 0xBB, 0xBF}

// labEachHeaderless calls fn for every row of a CSV file without a header
// row, with the line the row starts on. Rows that do not parse go to reject.
func labEachHeaderless(ctx context.Context, path string, fn func(line int, fields []string) error, reject Reject) error {
	f, err := labOpen(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.LazyQuotes, r.FieldsPerRecord = true, -1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if perr, ok := err.(*csv.ParseError); ok {
				if rerr := reject(Rejected{File: path, Line: perr.StartLine, Reason: "bad_csv", Detail: perr.Err.Error()}); rerr != nil {
					return rerr
				}
				continue
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		line, _ := r.FieldPos(0)
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

// labCoT builds a stage-2 chain-of-thought record derived from one source
// row: the source record is the row as a plain question and answer, the
// derived one asks for reasoning in tags and answers
// "<reasoning>\n...\n</reasoning>\n<reply>". reasoning and reply must come
// only from the dataset's own annotations.
func labCoT(s Source, id string, labels map[string]string, system, user, rawAnswer, reasoning, reply string) record.Conversation {
	src := s.Meta(id, "expertise", "therapist", labels, []record.Message{
		{Role: "user", Content: user}, {Role: "assistant", Content: rawAnswer},
	})
	return Derive(src, "cot", "expertise", "therapist", "derived:cot", labels, []record.Message{
		{Role: "system", Content: system},
		{Role: "user", Content: user},
		{Role: "assistant", Content: "<reasoning>\n" + reasoning + "\n</reasoning>\n" + reply},
	})
}

// labReject sends one rejected row.
func labReject(reject Reject, file string, line int, reason, format string, a ...any) error {
	return reject(Rejected{File: file, Line: line, Reason: reason, Detail: fmt.Sprintf(format, a...)})
}

// labValue shows a label cell in a reject's detail: quoted when short,
// else only its length, so a shifted row never leaks post text.
func labValue(v string) string {
	if len(v) <= 16 {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("(%d characters)", len(v))
}

// labSnake turns a column or label name into a short snake_case key.
func labSnake(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}
