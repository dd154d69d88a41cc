package preview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// errClosed: the preview is shutting down.
var errClosed = errors.New("the preview is shutting down")

// stopGrace is how long an idle worker gets to exit on its own before it is killed.
const stopGrace = 2 * time.Second

// initError: the worker could not import the handler (Lambda's Runtime.ImportModuleError).
type initError struct {
	file string // the handler's module file, for the message
	err  error
}

func (e *initError) Error() string {
	var le *lambdaError
	if errors.As(e.err, &le) {
		return fmt.Sprintf("%s: importing the handler failed: %v; install the app's requirements into the Python the preview runs (--python or $VIRTUAL_ENV), or re-run `open-dash bundle`", e.file, le)
	}
	return fmt.Sprintf("%s: the server function did not start: %v", e.file, e.err)
}

func (e *initError) Unwrap() error { return e.err }

// worker plays one Lambda instance: requests are served one at a time, in arrival order, by a single
// long-lived Python process. A process that crashes or times out is discarded; the next request starts a new
// one (a cold start, as on Lambda).
type worker struct {
	cfg          processConfig
	file         string        // handler module file, for messages
	startTimeout time.Duration // bound on a cold start (importing the app)
	slot         chan struct{} // capacity 1: one request in flight

	mu     sync.Mutex // guards proc and closed; never held while waiting on Python
	proc   *process
	closed bool
}

func newWorker(cfg processConfig, file string, startTimeout time.Duration) *worker {
	return &worker{cfg: cfg, file: file, startTimeout: startTimeout, slot: make(chan struct{}, 1)}
}

// acquire takes the single request slot, or gives up when ctx ends first (the viewer went away).
func (w *worker) acquire(ctx context.Context) error {
	select {
	case w.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *worker) release() { <-w.slot }

// boot starts a process if none is running and waits until it has imported the handler. It returns the
// interpreter's version. The caller holds the slot.
func (w *worker) boot() (*process, string, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, "", errClosed
	}
	if w.proc != nil {
		p := w.proc
		w.mu.Unlock()
		return p, "", nil
	}
	p, err := startProcess(w.cfg)
	if err != nil {
		w.mu.Unlock()
		return nil, "", &initError{w.file, err}
	}
	w.proc = p
	w.mu.Unlock()

	version, err := p.waitReady(w.startTimeout)
	if err != nil {
		w.discard(p)
		if w.isClosed() {
			return nil, "", errClosed
		}
		if errors.Is(err, errTimeout) {
			err = fmt.Errorf("importing the handler took longer than %s (raise it with the start timeout option)", w.startTimeout)
		}
		return nil, "", &initError{w.file, err}
	}
	return p, version, nil
}

// start boots the worker for Start: the caller sees import errors before the preview says it is ready.
func (w *worker) start(ctx context.Context) (string, error) {
	if err := w.acquire(ctx); err != nil {
		return "", err
	}
	defer w.release()
	_, version, err := w.boot()
	return version, err
}

// invoke runs one event through the handler and returns what it returned (raw JSON). Errors: *initError,
// *crashError, errTimeout, *lambdaError (the handler raised), errClosed, or ctx's error while queued.
func (w *worker) invoke(ctx context.Context, requestID string, event []byte, timeout time.Duration) (json.RawMessage, error) {
	if err := w.acquire(ctx); err != nil {
		return nil, err
	}
	defer w.release()
	p, _, err := w.boot()
	if err != nil {
		return nil, err
	}
	request, err := json.Marshal(struct {
		RequestID  string          `json:"requestId"`
		DeadlineMs int64           `json:"deadlineMs"`
		Event      json.RawMessage `json:"event"`
	}{requestID, time.Now().Add(timeout).UnixMilli(), event})
	if err != nil {
		return nil, err
	}
	r, err := p.call(request, timeout)
	if err != nil {
		w.discard(p)
		if w.isClosed() {
			return nil, errClosed
		}
		return nil, err
	}
	if r.Error != nil {
		return nil, r.Error // the instance lives on, as on Lambda
	}
	return r.Result, nil
}

// discard kills p and forgets it, so the next request starts a fresh process.
func (w *worker) discard(p *process) {
	p.kill()
	w.mu.Lock()
	if w.proc == p {
		w.proc = nil
	}
	w.mu.Unlock()
}

func (w *worker) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// close stops the running process (an in-flight request then fails with errClosed) and refuses new work.
func (w *worker) close() {
	w.mu.Lock()
	w.closed = true
	p := w.proc
	w.proc = nil
	w.mu.Unlock()
	if p != nil {
		p.stop(stopGrace)
	}
}
