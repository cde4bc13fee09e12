package sources

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Table is a CSV/TSV file read row by row with its header, reporting the
// physical line each row starts on (quoted fields may span lines).
type Table struct {
	Path   string
	header map[string]int
	r      *csv.Reader
	f      *os.File
}

// OpenTable opens a CSV (or TSV when sep is '\t') with a header row.
func OpenTable(path string, sep rune) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (fix: get the source with `pixel data fetch` or point data.root at the datasets)", err)
	}
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord, r.ReuseRecord = sep, true, -1, false
	head, err := r.Read()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s line 1: no header: %w", path, err)
	}
	t := &Table{Path: path, header: map[string]int{}, r: r, f: f}
	for i, h := range head {
		t.header[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	return t, nil
}

// Row is one record of a Table.
type Row struct {
	Line   int
	fields []string
	t      *Table
}

// Get returns a column by header name ("" when the row is short).
func (r Row) Get(col string) string {
	i, ok := r.t.header[col]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return r.fields[i]
}

// Has reports whether the header names a column.
func (t *Table) Has(col string) bool { _, ok := t.header[col]; return ok }

// Each calls fn for every row; a row that does not parse goes to reject.
func (t *Table) Each(fn func(Row) error, reject Reject) error {
	defer t.f.Close()
	for {
		line, _ := t.r.FieldPos(0)
		rec, err := t.r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if perr, ok := err.(*csv.ParseError); ok {
				if rerr := reject(Rejected{File: t.Path, Line: perr.StartLine, Reason: "bad_csv", Detail: perr.Err.Error()}); rerr != nil {
					return rerr
				}
				continue
			}
			return fmt.Errorf("%s: %w", t.Path, err)
		}
		start, _ := t.r.FieldPos(0)
		_ = line
		if err := fn(Row{Line: start, fields: rec, t: t}); err != nil {
			return err
		}
	}
}

// Path joins a source folder and a file, for messages.
func Path(dir, file string) string { return filepath.Join(dir, file) }

// lineCounter counts newlines as a decoder reads, so a decoder's byte offset
// can be turned into a line number for error messages. Offsets must be asked
// for in increasing order; newlines before the last one asked are forgotten,
// keeping memory bounded on large files.
type lineCounter struct {
	r      io.Reader
	read   int64   // bytes read so far
	nl     []int64 // offsets of newlines not yet passed
	before int     // newlines already passed
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.nl = append(l.nl, l.read+int64(i))
		}
	}
	l.read += int64(n)
	return n, err
}

// line is the 1-based line holding byte offset off.
func (l *lineCounter) line(off int64) int {
	i := 0
	for i < len(l.nl) && l.nl[i] < off {
		i++
	}
	l.before += i
	l.nl = l.nl[i:]
	return l.before + 1
}
