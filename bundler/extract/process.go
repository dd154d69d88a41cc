package extract

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opendash/opendash/bundler/bodyhash"
	"github.com/opendash/opendash/bundler/entry"
	"github.com/opendash/opendash/bundler/output"
	"github.com/opendash/opendash/manifest"
)

// Process is a running extract.py. Its events arrive while it runs: the requirement check first (when
// asked for), files worth prefetching (Options.OnPrefetch), each file to copy (Options.OnCopy), then the
// report.
type Process struct {
	python string
	cmd    *exec.Cmd
	stderr bytes.Buffer

	reqOnce sync.Once
	reqDone chan struct{} // closed when the requirements event arrived or the process ended
	req     *Requirements

	done   chan struct{} // closed when the process ended and every event was read
	report []byte
	runErr error
	ctx    context.Context

	app        entry.Spec
	timeout    time.Duration
	loaded     chan struct{} // closed by the "loaded" event: the backstop stands down
	loadedOnce sync.Once
	timedOut   atomic.Bool // the backstop killed the process
}

// Start runs extract.py in o.Python without waiting for it.
func Start(ctx context.Context, o Options) (*Process, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	app := o.App
	if app.Module == "" {
		app.Module = entry.DefaultModule
	}
	job, err := json.Marshal(map[string]any{
		"publicUrl": o.PublicURL, "sourceMaps": o.SourceMaps, "versions": nonNil(o.Versions), "check": o.Check,
		"specs":             nonNil(o.Specs),
		"app":               map[string]any{"module": app.Module, "attribute": app.Attribute, "call": app.Call},
		"timeout":           o.Timeout.Seconds(),
		"bodyHashScript":    bodyhash.Path(),
		"workdirEntries":    o.WorkdirEntries,
		"originPlaceholder": manifest.OriginPlaceholder,
	})
	if err != nil {
		return nil, err
	}
	p := &Process{python: o.Python, reqDone: make(chan struct{}), done: make(chan struct{}), ctx: ctx,
		loaded: make(chan struct{}), timeout: o.Timeout, app: app}
	args := []string{"-B", "-c", script}
	if file, err := scriptFile(o.ScriptDir); err == nil {
		args = []string{"-B", "-c", bootstrap, file}
	}
	args = append(args, o.SourceDir, o.OutDir, string(job))
	p.cmd = exec.CommandContext(ctx, o.Python, args...)
	p.cmd.Dir = o.SourceDir
	// -B and this keep Python from writing __pycache__ into the user's source folder.
	// A temporary folder of the bundle's own: the app's working folder and its temporary files go there,
	// and it is removed when Python ends.
	tmp, err := os.MkdirTemp("", "open-dash-bundle-")
	if err != nil {
		return nil, err
	}
	p.cmd.Env = append(append(os.Environ(), o.Env...), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1", "TMPDIR="+tmp)
	p.cmd.Stderr = &p.stderr
	events, err := p.cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("cannot start the app's Python %s: %w; pass an interpreter that runs to --python", o.Python, err)
	}
	go p.backstop()
	go func() {
		defer close(p.done)
		defer p.reqOnce.Do(func() { close(p.reqDone) })
		sc := bufio.NewScanner(events)
		sc.Buffer(make([]byte, 64<<10), 256<<20) // the report is one line
		for sc.Scan() {
			p.handle(sc.Bytes(), o)
		}
		p.runErr = p.cmd.Wait() // after the last read: Wait closes the pipe
		os.RemoveAll(tmp)
	}()
	return p, nil
}

func (p *Process) handle(line []byte, o Options) {
	var head struct {
		Event  string `json:"event"`
		Source string `json:"source"`
		Near   string `json:"near"`
	}
	if json.Unmarshal(line, &head) != nil {
		return // not ours (nothing else writes to this channel, but never trust a stray line)
	}
	switch head.Event {
	case "prefetch":
		if o.OnPrefetch != nil {
			o.OnPrefetch(head.Source, head.Near)
		}
	case "copy":
		var c Copied
		if json.Unmarshal(line, &c) == nil && o.OnCopy != nil {
			o.OnCopy(c)
		}
	case "requirements":
		var r Requirements
		if json.Unmarshal(line, &r) == nil {
			p.req = &r
		}
		p.reqOnce.Do(func() { close(p.reqDone) })
	case "loaded":
		p.loadedOnce.Do(func() { close(p.loaded) })
	case "report":
		p.report = append([]byte(nil), line...)
	}
}

// backstopGrace is how much longer than the timeout Go waits for Python's own watchdog (which reports the
// stack) before it kills the process itself.
var backstopGrace = 30 * time.Second

// backstop kills Python when the app is not loaded well after the timeout: Python's watchdog thread could
// not run (C code holding the GIL) or the process is wedged otherwise.
func (p *Process) backstop() {
	t := time.NewTimer(p.timeout + backstopGrace)
	defer t.Stop()
	select {
	case <-p.loaded:
	case <-p.done:
	case <-t.C:
		p.timedOut.Store(true)
		p.cmd.Process.Kill()
	}
}

// Requirements waits for the answer of the requirement check (Options.Check). Python stops after a
// negative answer; after a positive one it goes on with the app.
func (p *Process) Requirements() (*Requirements, error) {
	<-p.reqDone
	if p.req != nil {
		return p.req, nil
	}
	<-p.done
	return nil, p.stopped()
}

// Wait waits for the process to end and returns its report. An *AppError describes problems in the app.
func (p *Process) Wait() (*Report, error) {
	<-p.done
	if p.report == nil {
		return nil, p.stopped()
	}
	return decode(p.report)
}

// Kill stops the process (if still running) and waits until it is gone.
func (p *Process) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

func (p *Process) stopped() error {
	if p.ctx.Err() != nil {
		return p.ctx.Err()
	}
	if p.timedOut.Load() {
		return &AppError{Kind: "timeout", Message: fmt.Sprintf("importing %s and calling its entry point took "+
			"longer than %s, and Python did not report what it was running (its watchdog never ran: C code "+
			"holding the GIL?); it was stopped", p.app.Module, p.timeout+backstopGrace),
			Traceback: tail(p.stderr.String(), 40)}
	}
	return fmt.Errorf("the app's Python (%s) stopped before reporting (%v):\n%s", p.python, p.runErr, tail(p.stderr.String(), 40))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// bootstrap imports the script file with bytecode caching on (for this one module: -B keeps it off for the
// app, whose folder must not get a __pycache__), then runs it with the arguments that follow.
const bootstrap = `import sys, importlib.util as u
sys.dont_write_bytecode = False
spec = u.spec_from_file_location("opendash_extract", sys.argv.pop(1))
module = u.module_from_spec(spec)
spec.loader.exec_module(module)
sys.dont_write_bytecode = True
module.main()
`

// scriptFile writes the script under dir, named by its digest, unless it is already there.
func scriptFile(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("no script folder")
	}
	sum := sha256.Sum256([]byte(script))
	file := filepath.Join(dir, hex.EncodeToString(sum[:8]), "opendash_extract.py")
	if _, err := os.Stat(file); err == nil {
		return file, nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return "", err
	}
	if err := output.WriteFile(file, []byte(script)); err != nil {
		return "", err
	}
	return file, nil
}
