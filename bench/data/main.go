// Command data benchmarks `pixel data build` end to end on a large corpus
// made by perturbing the real one, and prints conversations per second and
// peak memory for the pipeline and for a naive single-goroutine run of the
// same build, measured in the same run.
//
//	go run ./bench/data -n 1000000          # the goal: <= 10 min, <= 4 GB on 2 cores
//	go run ./bench/data -n 20000            # a quick check
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"pixel/internal/config"
	"pixel/internal/pipeline"
	"pixel/internal/record"
	"pixel/internal/sources"
)

func main() {
	n := flag.Int("n", 1000000, "conversations in the synthetic corpus")
	root := flag.String("root", "../shared/data", "the public datasets (the real corpus that is perturbed)")
	work := flag.String("work", "", "scratch folder (default: a temporary one, removed after)")
	child := flag.String("build", "", "internal: run one build with this many workers into -work")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the pipeline run here")
	flag.Parse()
	if *child != "" {
		if *prof != "" {
			f, err := os.Create(*prof)
			check(err)
			check(pprof.StartCPUProfile(f))
			defer pprof.StopCPUProfile()
		}
		check(runBuild(*work, *child))
		return
	}
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "pixel-bench-data-")
		check(err)
		defer os.RemoveAll(d)
		dir = d
	}
	start := time.Now()
	base, err := realCorpus(*root)
	check(err)
	check(writeCorpus(filepath.Join(dir, "corpus.jsonl"), base, *n))
	fmt.Printf("corpus: %d conversations perturbed from %d real ones in %s\n", *n, len(base), time.Since(start).Round(time.Second))

	type result struct {
		name    string
		seconds float64
		rssMB   float64
	}
	var results []result
	for _, w := range []string{fmt.Sprint(runtime.NumCPU()), "1"} {
		out := filepath.Join(dir, "build-"+w)
		args := []string{"-build", w, "-work", dir}
		if *prof != "" && w != "1" {
			args = append(args, "-cpuprofile", *prof)
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		t0 := time.Now()
		check(cmd.Run())
		secs := time.Since(t0).Seconds()
		rss := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
		name := "pipeline (" + w + " workers)"
		if w == "1" {
			name = "naive (1 goroutine)"
		}
		results = append(results, result{name, secs, rss})
		os.RemoveAll(out)
	}
	fmt.Printf("\n%-26s %10s %12s %10s\n", "run", "seconds", "conv/s", "peak MB")
	for _, r := range results {
		fmt.Printf("%-26s %10.1f %12.0f %10.0f\n", r.name, r.seconds, float64(*n)/r.seconds, r.rssMB)
	}
	fmt.Printf("speed-up over the naive run: %.2fx (%d CPUs); goal: %d conversations in <= 600 s and <= 4096 MB\n",
		results[1].seconds/results[0].seconds, runtime.NumCPU(), *n)
}

// runBuild is one measured build, in its own process so its peak memory is its own.
func runBuild(dir, workers string) error {
	man := filepath.Join(dir, "manifest.yaml")
	err := os.WriteFile(man, []byte("sources:\n  - {name: bench, priority: 1, weight: 1, format: openai, path: "+filepath.Join(dir, "corpus.jsonl")+", license: mixed, stage: foundation}\n"), 0o644)
	if err != nil {
		return err
	}
	cfg, err := config.Load("", []string{"data.corpus=sources", "data.manifest=" + man, "data.mixing.counter=chars",
		"data.workers=" + workers, "stages=[{name: foundation, share: 1}]"})
	if err != nil {
		return err
	}
	res, err := pipeline.Build(context.Background(), pipeline.Options{Config: cfg}, filepath.Join(dir, "build-"+workers))
	if err != nil {
		return err
	}
	st := res.Sources[0]
	fmt.Printf("  %s workers: read %d, valid %d, invalid %d, pii %d, duplicates %v\n", workers, st.Read, st.Valid, sumMap(st.Invalid), sumMap(st.PII), res.Dedup)
	return nil
}

// realCorpus loads the real conversations the synthetic ones are made from.
func realCorpus(root string) ([]record.Conversation, error) {
	var out []record.Conversation
	for _, name := range []string{"esconv", "counselchat", "annomi"} {
		src, err := sources.Get(name)
		if err != nil {
			return nil, err
		}
		err = src.Load(context.Background(), filepath.Join(root, name), func(c record.Conversation) error {
			if c.Stage == "foundation" && len(c.Messages) <= 40 {
				out = append(out, c)
			}
			return nil
		}, func(sources.Rejected) error { return nil })
		if err != nil {
			return nil, fmt.Errorf("%s: %w (fix: pass -root with the public datasets)", name, err)
		}
	}
	return out, nil
}

// writeCorpus writes n conversations: each a real one with a few words
// swapped, dropped or replaced, so most are unique but some are near copies.
func writeCorpus(path string, base []record.Conversation, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 4<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	enc := json.NewEncoder(w)
	for i := 0; i < n; i++ {
		c := base[rng.IntN(len(base))]
		msgs := make([]record.Message, len(c.Messages))
		for j, m := range c.Messages {
			words := strings.Fields(m.Content)
			for k := 0; k < 1+len(words)/8; k++ {
				if len(words) < 2 {
					break
				}
				a, b := rng.IntN(len(words)), rng.IntN(len(words))
				switch rng.IntN(3) {
				case 0:
					words[a], words[b] = words[b], words[a]
				case 1:
					words = append(words[:a], words[a+1:]...)
				default:
					words[a] = fmt.Sprintf("w%d", rng.IntN(100000))
				}
			}
			msgs[j] = record.Message{Role: m.Role, Content: strings.Join(words, " ")}
		}
		if err := enc.Encode(map[string]any{"id": fmt.Sprintf("b%07d", i), "messages": msgs}); err != nil {
			return err
		}
	}
	return w.Flush()
}

func sumMap(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
