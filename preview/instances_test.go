package preview

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/manifest"
)

// TestInstances: --instances 3 spreads consecutive requests over three workers, each with its own
// temporary folder, as Lambda instances have their own /tmp.
func TestInstances(t *testing.T) {
	s, _ := startEcho(t, Options{Instances: 3})
	pids, tmps := map[int]bool{}, map[string]bool{}
	for i := 0; i < 6; i++ {
		_, body := do(t, "GET", s.URL()+"/tmp", nil, nil)
		var got struct {
			PID int    `json:"pid"`
			Tmp string `json:"tmp"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		pids[got.PID], tmps[got.Tmp] = true, true
		if !strings.HasPrefix(got.Tmp, s.tmp) {
			t.Errorf("instance temporary folder %s is not the preview's own", got.Tmp)
		}
	}
	if len(pids) != 3 || len(tmps) != 3 {
		t.Errorf("6 requests reached %d workers with %d temporary folders, want 3 and 3", len(pids), len(tmps))
	}
	// `ps` shows each instance as `python .../opendash_preview_worker.py HANDLER 3 4`, not the program's text.
	for pid := range pids {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Skipf("no /proc here: %v", err)
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(args) != 5 || filepath.Base(args[1]) != WorkerFile || strings.Contains(string(cmdline), "\n") {
			t.Errorf("worker %d runs as %q", pid, args)
		}
	}
}

// TestFunctionFolderIsReadOnly: a write into the server function's folder fails as on Lambda (EROFS), and
// the log names the file and the fix; the folder stays unchanged.
func TestFunctionFolderIsReadOnly(t *testing.T) {
	s, log := startEcho(t, Options{})
	for _, tc := range []struct{ file, want string }{
		{"cache.db", "cache.db inside the server function's folder"},
		{"../default/sub.txt", "sub.txt inside the server function's folder"},
	} {
		resp, body := do(t, "GET", s.URL()+"/write?file="+tc.file, nil, nil)
		if resp.StatusCode != 500 || !strings.Contains(string(body), "Read-only file system") {
			t.Errorf("write %s: %d %s, want 500 with EROFS", tc.file, resp.StatusCode, body)
		}
		// The worker's stderr reaches the log on its own, after the response: wait for the line.
		eventually(t, "the log to report "+tc.want+" with the fix", func() bool {
			return strings.Contains(log.String(), tc.want) && strings.Contains(log.String(), "tempfile.gettempdir()")
		})
	}
	entries, _ := os.ReadDir(filepath.Join(s.dir, "server-functions", "default"))
	if len(entries) != 1 {
		t.Errorf("the function folder holds %d entries, want only index.py", len(entries))
	}
	if _, body := do(t, "GET", s.URL()+"/tmp", nil, nil); !strings.Contains(string(body), s.tmp) {
		t.Errorf("tmp = %s", body)
	}
}

// TestBackgroundJobsRunInTheirOwnWorker: with background callbacks in the manifest, a job event posted to
// the local invoke endpoint runs in a worker of its own, after the request that started it has returned;
// Options.Env reaches it as it reaches the instances (the jobs function shares the server's settings).
func TestBackgroundJobsRunInTheirOwnWorker(t *testing.T) {
	py := needPython(t)
	src, err := os.ReadFile(filepath.Join("testdata", "echo_index.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir, m := writeBundle(t, src)
	m.App.BackgroundCallbacks = []manifest.BackgroundCallback{{Output: "out.children", Manager: "DiskcacheManager"}}
	data, _ := m.Marshal()
	writeFile(t, filepath.Join(dir, manifest.FileName), data)
	log := &syncBuffer{}
	s, err := Start(t.Context(), Options{Dir: dir, Addr: "127.0.0.1:0", Python: py, Log: log, Instances: 2,
		Env: []string{"GREETING=hello from the env file"}})
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, log)
	}
	t.Cleanup(func() { s.Close() })
	resp, body := do(t, "GET", s.URL()+"/start-job?job=j1", nil, nil)
	if resp.StatusCode != 200 || string(body) != "202" {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	_, inst := do(t, "GET", s.URL()+"/tmp", nil, nil)
	var done struct {
		PID      int    `json:"pid"`
		Tmp      string `json:"tmp"`
		Function string `json:"function"`
		Greeting string `json:"greeting"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(s.jobs.store, "j1"))
		if err == nil {
			if err := json.Unmarshal(data, &done); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job never ran:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(string(inst), `"greeting": "hello from the env file"`) || done.Greeting != "hello from the env file" {
		t.Errorf("Env reached neither the instance (%s) nor the job (%+v)", inst, done)
	}
	if done.Function != "open-dash-preview-jobs" || !strings.Contains(filepath.Base(done.Tmp), "jobs-") ||
		strings.Contains(string(inst), `"pid": `+strconv.Itoa(done.PID)+`,`) {
		t.Errorf("job ran as %+v; an instance answered %s", done, inst)
	}
	s.Close()
	if _, err := os.Stat(s.tmp); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind", s.tmp)
	}
}
