package preview

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/opendash/opendash/bundler/writeevents"
)

// readonlyScript runs before worker.py: with OPENDASH_READONLY_ROOT set it makes the server function's folder
// read-only for the app, as /var/task is on Lambda (writes fail with EROFS and are reported with the fix). The
// write events it refuses are the ones the bundle guards the source folder against (bundler/writeevents).
var readonlyScript = writeevents.Py + "\n" + readonlyPy

//go:embed readonly.py
var readonlyPy string

// WorkerFile is the name of the worker program (readonly.py and worker.py) in the preview's temporary folder:
// what `ps` shows for each instance, `python .../opendash_preview_worker.py opendash_handler.handler 3 4`.
const WorkerFile = "opendash_preview_worker.py"

// pool plays a function's instances, one worker each. An invocation goes to the instance idle the longest,
// so consecutive requests land on different instances, as Lambda spreads them; with every instance busy it
// waits for one (Lambda would start another: --instances is the ceiling here).
type pool struct {
	workers []*worker
	idle    chan *worker
}

var _ invoker = (*pool)(nil)

func newPool(workers []*worker) *pool {
	p := &pool{workers: workers, idle: make(chan *worker, len(workers))}
	for _, w := range workers {
		p.idle <- w
	}
	return p
}

func (p *pool) invoke(ctx context.Context, requestID string, event []byte, timeout time.Duration) (json.RawMessage, error) {
	select {
	case w := <-p.idle:
		defer func() { p.idle <- w }()
		return w.invoke(ctx, requestID, event, timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start boots every instance at once (each imports the app) and returns the interpreter's version.
func (p *pool) start(ctx context.Context) (string, error) {
	versions := make([]string, len(p.workers))
	errs := make([]error, len(p.workers))
	var wg sync.WaitGroup
	for i, w := range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			versions[i], errs[i] = w.start(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", err
		}
	}
	return versions[0], nil
}

func (p *pool) close() {
	for _, w := range p.workers {
		w.close()
	}
}

// instanceEnv is one instance's environment: the worker's, a temporary folder of its own (Lambda's /tmp is
// per instance; Python's tempfile follows TMPDIR, a literal "/tmp" path in the app stays shared here), the
// read-only function folder, and extra (the job settings).
func instanceEnv(serverDir, tmp, name string, extra []string) ([]string, error) {
	dir := filepath.Join(tmp, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the temporary folder of instance %s: %w", name, err)
	}
	env := append(workerEnv(serverDir), "TMPDIR="+dir, "OPENDASH_READONLY_ROOT="+serverDir)
	return append(env, extra...), nil
}

// startInstances makes the request workers (o.Instances of them) and, when the bundle has background
// callbacks, the job endpoint and its worker. Nothing starts Python yet.
func (s *Server) startInstances(py, serverDir, handlerFile string, startTimeout time.Duration, o Options) (*pool, error) {
	tmp, err := os.MkdirTemp("", "open-dash-preview-")
	if err != nil {
		return nil, err
	}
	s.tmp = tmp
	script := filepath.Join(tmp, WorkerFile)
	if err := os.WriteFile(script, []byte(readonlyScript+"\n"+workerScript), 0o644); err != nil {
		s.closeInstances()
		return nil, err
	}
	cfg := processConfig{python: py, script: script, dir: serverDir, handler: s.m.Origins.Server.Handler, log: s.log}
	extra := append([]string{identityEnv(o)}, o.Env...)
	if len(s.m.App.BackgroundCallbacks) > 0 {
		timeout := o.JobTimeout
		if timeout <= 0 {
			timeout = DefaultJobTimeout
		}
		if s.jobs, err = startJobs(tmp, timeout, s.log); err != nil {
			s.closeInstances()
			return nil, err
		}
		extra = append(extra, s.jobs.env()...)
		// The jobs function's instances: as many as serve requests, each started by its first job.
		jobWorkers := make([]*worker, max(o.Instances, 1))
		for i := range jobWorkers {
			c := cfg
			name := fmt.Sprintf("jobs-%d", i)
			if c.env, err = instanceEnv(serverDir, tmp, name, append(extra, "AWS_LAMBDA_FUNCTION_NAME=open-dash-preview-jobs")); err != nil {
				s.closeInstances()
				return nil, err
			}
			jobWorkers[i] = newWorker(c, handlerFile, startTimeout)
		}
		s.jobs.fn = newPool(jobWorkers)
		s.log.Printf("background callbacks: jobs run in workers of their own (the jobs function), their state in %s (standing in for S3)", s.jobs.store)
	}
	workers := make([]*worker, max(o.Instances, 1))
	for i := range workers {
		c := cfg
		if c.env, err = instanceEnv(serverDir, tmp, fmt.Sprintf("instance-%d", i), extra); err != nil {
			s.closeInstances()
			return nil, err
		}
		workers[i] = newWorker(c, handlerFile, startTimeout)
	}
	return newPool(workers), nil
}

// closeInstances stops the workers and the job endpoint and removes the temporary folders.
func (s *Server) closeInstances() {
	if s.fn != nil {
		s.fn.close()
	}
	if s.jobs != nil {
		s.jobs.close()
	}
	if s.tmp != "" {
		_ = os.RemoveAll(s.tmp)
	}
}
