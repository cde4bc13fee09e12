package sources

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Fetch downloads a source's files from its public origin (a GitHub
// repository at a fixed commit) into dir, each through a temporary file so
// an interrupted download never leaves a partial file. Files already present
// are kept. It needs network access, so no test runs it.
func Fetch(ctx context.Context, name, dir string) (int, error) {
	s, err := Get(name)
	if err != nil {
		return 0, err
	}
	repo, commit, ok := strings.Cut(strings.TrimPrefix(s.Origin, "github.com/"), "@")
	if !ok || !strings.HasPrefix(s.Origin, "github.com/") {
		return 0, fmt.Errorf("source %s: origin %q is not a GitHub repository at a commit; get it by hand into %s", name, s.Origin, dir)
	}
	client := &http.Client{Timeout: 10 * time.Minute}
	n := 0
	for _, f := range s.Files {
		if strings.ContainsAny(f, "*?[") {
			// A pattern (e.g. one file per participant) cannot be listed
			// over raw HTTP: the repository has to be cloned.
			return n, fmt.Errorf("source %s: %s is a set of files; clone https://%s at %s and copy them into %s", name, f, repo, commit, dir)
		}
		dst := filepath.Join(dir, f)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		url := fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s", repo, commit, f)
		if r, ok := s.Remote[f]; ok {
			url = fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s", repo, commit, r)
			// A remote may name another repository: github.com/owner/repo@commit/path.
			if rest, ok := strings.CutPrefix(r, "github.com/"); ok {
				other, path, _ := strings.Cut(rest, "@")
				c, p, _ := strings.Cut(path, "/")
				url = fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s", other, c, p)
			}
		}
		if err := download(ctx, client, url, dst); err != nil {
			return n, fmt.Errorf("source %s: %w", name, err)
		}
		n++
	}
	return n, nil
}

func download(ctx context.Context, client *http.Client, url, dst string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".part-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("get %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
