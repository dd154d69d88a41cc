package serverimage

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Bytecode: Lambda's /var/task is read-only, so Python cannot cache what it compiles there and would
// compile the app and every dependency again at each cold start. The bundling Python (the image's minor
// version, checkPython) compiles everything ahead, itself rather than pip (pip's compiling embeds times and
// its temporary paths): compile.py, with py_compile in unchecked-hash mode and the image paths as the
// code's file names, the same as `compileall --invalidation-mode unchecked-hash -d <image dir>`, file by file.

//go:embed compile.py
var compilePy []byte

// compileChunk is how many files one compiler process takes. It is fixed, not derived from the core count,
// so the same files are compiled in the same company on every machine.
const compileChunk = 1500

// compileJob is one source and the path it has in the image.
type compileJob struct {
	Source, ImagePath string
}

// compileResult is compile.py's answer.
type compileResult struct {
	Compiled int      `json:"compiled"`
	Failed   []string `json:"failed"`
}

// compile writes the bytecode of the app's and the dependencies' sources under b.tmp/pyc, by image path.
func (b *build) compile(ctx context.Context) error {
	var jobs []compileJob
	for _, f := range b.files {
		if !f.Dir && strings.HasSuffix(f.Rel, ".py") {
			jobs = append(jobs, compileJob{f.Path, path.Join(TaskRoot, f.Rel)})
		}
	}
	if b.site != "" {
		deps, err := readTree(b.site, nil)
		if err != nil {
			return err
		}
		site := SitePackages(b.minor)
		for _, f := range deps {
			if !f.Dir && strings.HasSuffix(f.Rel, ".py") {
				jobs = append(jobs, compileJob{f.Path, path.Join(site, f.Rel)})
			}
		}
	}
	b.pyc = filepath.Join(b.tmp, "pyc")
	res, err := compileAll(ctx, b.py.Path, b.opts.Env, b.pyc, jobs)
	if err != nil {
		return err
	}
	b.note = fmt.Sprintf("%d files", res.Compiled)
	if n := len(res.Failed); n > 0 {
		shown := res.Failed[:min(n, 3)]
		b.note += fmt.Sprintf("; %d do not compile and stay source only (%s)", n, strings.Join(shown, ", "))
	}
	return nil
}

// compileAll runs compile.py over jobs in fixed chunks, a few processes at a time.
func compileAll(ctx context.Context, py string, env []string, out string, jobs []compileJob) (compileResult, error) {
	var (
		total compileResult
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	sem := make(chan struct{}, max(1, min(runtime.GOMAXPROCS(0), 4)))
	for start := 0; start < len(jobs); start += compileChunk {
		chunk := jobs[start:min(start+compileChunk, len(jobs))]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := compileChunkRun(ctx, py, env, out, chunk)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			total.Compiled += res.Compiled
			total.Failed = append(total.Failed, res.Failed...)
		}()
	}
	wg.Wait()
	return total, first
}

func compileChunkRun(ctx context.Context, py string, env []string, out string, jobs []compileJob) (compileResult, error) {
	files := make([][2]string, len(jobs))
	for i, j := range jobs {
		files[i] = [2]string{j.Source, j.ImagePath}
	}
	in, err := json.Marshal(map[string]any{"out": out, "files": files})
	if err != nil {
		return compileResult{}, err
	}
	cmd := exec.CommandContext(ctx, py, "-c", string(compilePy))
	// A fixed hash seed: the order of set and frozenset constants in the bytecode follows string hashes.
	cmd.Env = append(append([]string(nil), env...), "PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return compileResult{}, ctx.Err()
		}
		return compileResult{}, fmt.Errorf("%s failed compiling bytecode (%v): %s", py, err, lastLines(stderr.String(), 15))
	}
	var res compileResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return compileResult{}, fmt.Errorf("%s: unexpected answer from the bytecode compiler: %q", py, stdout.String())
	}
	return res, nil
}

// exists reports whether a path exists (a scratch folder a step may not have made).
func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
