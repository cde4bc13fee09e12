package scorers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"pixel/internal/record"
	"pixel/internal/sources"
)

// sourceDir is a public dataset's folder under the data root, with a clear
// error when it is missing.
func sourceDir(root, name string) (string, error) {
	dir := filepath.Join(root, name)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("scorer data: %s not found (fix: run `pixel data fetch %s`, or set data.root / $PIXEL_DATA_ROOT to the folder holding the datasets)", dir, name)
	}
	return dir, nil
}

// eachRecord runs a source's adapter and calls fn for every imported (not
// derived) record. Rows the adapter rejects are counted, never quoted.
func eachRecord(ctx context.Context, root, name string, fn func(record.Conversation)) (rejected int, err error) {
	src, err := sources.Get(name)
	if err != nil {
		return 0, err
	}
	dir, err := sourceDir(root, name)
	if err != nil {
		return 0, err
	}
	err = src.Load(ctx, dir, func(c record.Conversation) error {
		if len(c.Provenance) == 1 {
			fn(c)
		}
		return nil
	}, func(sources.Rejected) error { rejected++; return nil })
	return rejected, err
}

// eachPost reads a labelled-post source (cams, irf, dreaddit, sad).
func eachPost(root, name string, fn func(sources.LabelledPost)) (rejected int, err error) {
	dir, err := sourceDir(root, name)
	if err != nil {
		return 0, err
	}
	err = sources.ReadLabelledPosts(name, dir, func(p sources.LabelledPost) error { fn(p); return nil },
		func(sources.Rejected) error { rejected++; return nil })
	return rejected, err
}
