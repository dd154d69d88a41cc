package preview

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// workerScript runs the bundle's handler in a long-lived Python process (see the protocol in worker.py).
//
//go:embed worker.py
var workerScript string

// The worker's protocol pipes, as numbered inside the child (exec.Cmd.ExtraFiles start at 3).
const (
	eventsFD  = 3
	repliesFD = 4
)

// errTimeout: the handler did not answer in time; the process was killed.
var errTimeout = errors.New("timed out")

// crashError: the worker process ended (or closed its reply pipe) while it owed an answer.
type crashError struct{ status string }

func (e *crashError) Error() string { return "the worker process " + e.status }

// lambdaError is an error as Lambda reports it: the handler raised, or its module failed to import.
type lambdaError struct {
	Type       string   `json:"errorType"`
	Message    string   `json:"errorMessage"`
	StackTrace []string `json:"stackTrace"`
}

func (e *lambdaError) Error() string { return e.Type + ": " + e.Message }

// reply is one line the worker writes on its reply pipe.
type reply struct {
	Ready *struct {
		Python string `json:"python"`
	} `json:"ready"`
	InitError *lambdaError    `json:"initError"`
	Result    json.RawMessage `json:"result"`
	Error     *lambdaError    `json:"error"`
}

// processConfig says how to start a worker process.
type processConfig struct {
	python  string // interpreter
	script  string // the worker program's file (readonly.py then worker.py), so `ps` shows a name, not its text
	dir     string // the server function folder: cwd and first on sys.path, as /var/task is on Lambda
	handler string // "index.handler"
	env     []string
	log     *logger
}

// process is one running worker: one Lambda instance.
type process struct {
	cmd            *exec.Cmd
	events         *os.File // our end of the child's events pipe
	replies        *os.File // our end of the child's replies pipe
	lines          *bufio.Reader
	stdout, stderr *lineWriter
	exited         chan struct{} // closed once the process is reaped; waitErr is then set
	waitErr        error
	drained        chan struct{} // closed once its stdout and stderr are fully logged
}

func startProcess(c processConfig) (*process, error) {
	cmd := exec.Command(c.python, c.script, c.handler, fmt.Sprint(eventsFD), fmt.Sprint(repliesFD))
	cmd.Dir = c.dir
	cmd.Env = c.env
	if err := isolate(cmd); err != nil {
		return nil, err
	}
	// Four pipes: the protocol's two, and the app's stdout and stderr. Owning the output pipes (rather than
	// letting exec copy them) means Wait returns as soon as the worker exits, even if something it spawned
	// still holds them, so the process group can be killed right away.
	var parent, child []*os.File
	closeAll := func(files []*os.File) {
		for _, f := range files {
			f.Close()
		}
	}
	for i := 0; i < 4; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(parent)
			closeAll(child)
			return nil, err
		}
		if i == 0 { // events: the child reads
			parent, child = append(parent, w), append(child, r)
		} else {
			parent, child = append(parent, r), append(child, w)
		}
	}
	p := &process{
		cmd: cmd, events: parent[0], replies: parent[1], lines: bufio.NewReaderSize(parent[1], 64<<10),
		stdout: newLineWriter(c.log, "[server stdout] "), stderr: newLineWriter(c.log, "[server stderr] "),
		exited: make(chan struct{}), drained: make(chan struct{}),
	}
	cmd.ExtraFiles = child[:2]
	cmd.Stdout, cmd.Stderr = child[2], child[3]
	err := cmd.Start()
	closeAll(child) // the worker holds its own copies now
	if err != nil {
		closeAll(parent)
		return nil, fmt.Errorf("starting %s: %w; pass a working interpreter with --python", c.python, err)
	}
	var copying sync.WaitGroup
	for i, lw := range []*lineWriter{p.stdout, p.stderr} {
		copying.Add(1)
		go func(out *os.File, lw *lineWriter) {
			defer copying.Done()
			_, _ = io.Copy(lw, out) // ends when the worker and everything it started are gone
			lw.Flush()
			out.Close()
		}(parent[2+i], lw)
	}
	go func() {
		copying.Wait()
		close(p.drained)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitReady reads the worker's first message: the handler imported, or why not.
func (p *process) waitReady(timeout time.Duration) (python string, err error) {
	line, err := p.readLine(timeout)
	if err != nil {
		return "", err
	}
	var r reply
	if err := json.Unmarshal(line, &r); err != nil {
		return "", fmt.Errorf("unreadable message from the worker: %w", err)
	}
	switch {
	case r.InitError != nil:
		return "", r.InitError
	case r.Ready == nil:
		return "", fmt.Errorf("unexpected first message from the worker: %.200s", line)
	}
	return r.Ready.Python, nil
}

// call sends one request line and returns the worker's reply.
func (p *process) call(request []byte, timeout time.Duration) (reply, error) {
	if _, err := p.events.Write(append(request, '\n')); err != nil {
		return reply{}, p.exitError() // EPIPE: the worker is gone
	}
	line, err := p.readLine(timeout)
	if err != nil {
		return reply{}, err
	}
	var r reply
	if err := json.Unmarshal(line, &r); err != nil {
		return reply{}, fmt.Errorf("unreadable reply from the worker: %w", err)
	}
	r.Result = json.RawMessage(strings.TrimSpace(string(r.Result)))
	return r, nil
}

// readLine waits for one reply line; past timeout it kills the worker and returns errTimeout.
func (p *process) readLine(timeout time.Duration) ([]byte, error) {
	type result struct {
		line []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := p.lines.ReadBytes('\n')
		ch <- result{line, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, p.exitError()
		}
		return r.line, nil
	case <-p.exited:
		// Normally the read ends with the process; it does not when something the app forked still holds
		// the pipe. Take a reply already written, else report the exit now rather than at the timeout.
		select {
		case r := <-ch:
			if r.err == nil {
				return r.line, nil
			}
		case <-time.After(200 * time.Millisecond):
			p.kill()
			<-ch
		}
		return nil, p.exitError()
	case <-timer.C:
		p.kill()
		<-ch
		return nil, errTimeout
	}
}

// exitError describes why the worker stopped answering, once it has exited.
func (p *process) exitError() error {
	select {
	case <-p.exited:
	case <-time.After(2 * time.Second):
		p.kill() // it closed its reply pipe but lingers: it is of no further use
	}
	var exit *exec.ExitError
	switch {
	case errors.As(p.waitErr, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &crashError{"was killed by signal " + ws.Signal().String()}
		}
		return &crashError{fmt.Sprintf("exited with status %d", exit.ExitCode())}
	case p.waitErr != nil:
		return &crashError{"failed: " + p.waitErr.Error()}
	}
	return &crashError{"exited with status 0"}
}

// kill ends the worker and everything it started, and waits until it is reaped.
func (p *process) kill() {
	_ = killGroup(p.cmd)
	<-p.exited
	p.replies.Close() // unblocks a pending read even if a stray descendant still holds the pipe
	// Let its last words (a traceback) reach the log before anyone reports the failure.
	select {
	case <-p.drained:
	case <-time.After(time.Second):
	}
}

// stop asks an idle worker to exit (end of its events pipe), then kills whatever is left after grace.
func (p *process) stop(grace time.Duration) {
	p.events.Close()
	select {
	case <-p.exited:
	case <-time.After(grace):
	}
	// Also reaches anything the app started and left behind in the worker's process group.
	p.kill()
}
