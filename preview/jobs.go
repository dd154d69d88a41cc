package preview

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/opendash/opendash/bundler/background"
)

// DefaultJobTimeout bounds one background job in the preview, as the jobs function's timeout does on AWS
// (the component's backgroundTimeout default).
const DefaultJobTimeout = 900 * time.Second

// jobs stands in for what background callbacks use on AWS: Lambda's asynchronous Invoke (a local endpoint
// the manager POSTs {"type": "opendash-job", ...} to; it answers 202 at once) and the jobs function (a worker
// of its own that runs each job to its end). The job store is a local folder standing in for the S3 bucket:
// the same manager, another store.
type jobs struct {
	ln      net.Listener
	srv     *http.Server
	fn      invoker
	timeout time.Duration
	log     *logger
	store   string
	running sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

// startJobs listens for job events on loopback; setFn gives it the worker once its environment is known.
func startJobs(tmp string, timeout time.Duration, log *logger) (*jobs, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for background jobs: %w", err)
	}
	j := &jobs{ln: ln, timeout: timeout, log: log, store: filepath.Join(tmp, "job-store")}
	if err := os.MkdirAll(j.store, 0o700); err != nil {
		ln.Close()
		return nil, err
	}
	j.ctx, j.cancel = context.WithCancel(context.Background())
	j.srv = &http.Server{Handler: j, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = j.srv.Serve(ln) }()
	return j, nil
}

// env is what every instance (and the jobs worker) needs to run background callbacks locally.
func (j *jobs) env() []string {
	return []string{
		background.EnvDir + "=" + j.store,
		background.EnvInvokeURL + "=http://" + j.ln.Addr().String() + "/invoke",
		background.EnvTimeout + "=" + strconv.Itoa(int(j.timeout/time.Second)),
	}
}

// ServeHTTP takes one asynchronous invocation: queued, answered 202, run in the jobs worker.
func (j *jobs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/invoke" {
		http.NotFound(w, r)
		return
	}
	event, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := newRequestID()
	j.running.Add(1)
	go func() {
		defer j.running.Done()
		started := time.Now()
		_, err := j.fn.invoke(j.ctx, id, event, j.timeout)
		took := time.Since(started).Round(10 * time.Millisecond)
		switch {
		case errors.Is(err, errTimeout):
			j.log.Printf("error: background job (async invoke %s) ran past the jobs function's %s timeout; the worker was stopped", id, j.timeout)
		case err != nil && j.ctx.Err() == nil:
			j.log.Printf("error: background job (async invoke %s) failed after %s: %v", id, took, err)
		case err == nil:
			j.log.Printf("background job (async invoke %s) ended after %s", id, took)
		}
	}()
	w.WriteHeader(http.StatusAccepted)
}

func (j *jobs) close() {
	j.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = j.srv.Shutdown(ctx)
	if j.fn != nil {
		j.fn.close()
	}
	j.running.Wait()
}
