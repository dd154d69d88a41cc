package static

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Copier copies files into the static site while the app's Python is still running: extract.py names each
// file as soon as it knows it, and Start begins that copy at once. Each copy hashes what it writes, so
// nothing is read twice. Files can also be prefetched before their URL is known (extract.py names Dash's own
// component files right after importing dash, while the app's import still runs): Start then only renames
// the finished copy into place. Start and Prefetch never block (they are called from the goroutine reading
// Python's output).
type Copier struct {
	dir      string // the static site's root
	sem      chan struct{}
	reserved int // slots of sem held back while Python runs (see Unthrottle)
	once     sync.Once
	wg       sync.WaitGroup
	mu       sync.Mutex
	done     map[string]*Copy     // by key
	early    map[string]*prefetch // by source path
	dirs     []string             // folders created for prefetched copies
}

// Copy is one finished (or failed) copy.
type Copy struct {
	Key    string
	Source string
	Size   int64
	SHA256 string
	// SourceInfo is the source's stat taken on the open file, before reading it.
	SourceInfo os.FileInfo
	Err        error
}

type prefetch struct {
	path  string
	done  chan struct{}
	copy  Copy
	taken bool
}

// NewCopier copies into dir (the static site's root; keys are slash-separated paths below it). Until
// Unthrottle, copies leave a CPU to the app's Python: they run beside it, and it is the long pole.
func NewCopier(dir string) *Copier {
	procs := runtime.GOMAXPROCS(0)
	c := &Copier{dir: dir, sem: make(chan struct{}, procs*2), done: map[string]*Copy{}, early: map[string]*prefetch{}}
	c.reserved = procs*2 - max(1, procs-1)
	for range c.reserved {
		c.sem <- struct{}{}
	}
	return c
}

// Unthrottle lets copies use every CPU (Python has finished).
func (c *Copier) Unthrottle() {
	c.once.Do(func() {
		for range c.reserved {
			<-c.sem
		}
	})
}

// Prefetch copies src to a hidden file in near, the folder (slash-separated, below the site's root) where
// its key will most likely be, so that Start later renames it within the folder. Creating a folder and its
// first file costs far more than a rename on some file systems: this does both while Python runs.
func (c *Copier) Prefetch(src, near string) {
	c.mu.Lock()
	if _, ok := c.early[src]; ok {
		c.mu.Unlock()
		return
	}
	folder := filepath.Join(c.dir, filepath.FromSlash(path.Clean("/"+near)))
	p := &prefetch{path: filepath.Join(folder, ".prefetch-"+strconv.Itoa(len(c.early))), done: make(chan struct{})}
	c.early[src] = p
	c.dirs = append(c.dirs, folder)
	c.mu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(p.done)
		c.sem <- struct{}{}
		defer func() { <-c.sem }()
		p.copy.Size, p.copy.SHA256, p.copy.SourceInfo, p.copy.Err = copyFile(src, p.path)
	}()
}

// Start copies src to dir/key in the background; a key already started is not copied again. size and
// mtimeNs are the source's as the caller saw them (-1 when unknown): a prefetched copy is used only when
// its source still had them.
func (c *Copier) Start(key, src string, size, mtimeNs int64) {
	c.mu.Lock()
	if _, ok := c.done[key]; ok {
		c.mu.Unlock()
		return
	}
	cp := &Copy{Key: key, Source: src}
	c.done[key] = cp
	p := c.early[src]
	claimed := p != nil && !p.taken && size >= 0
	if claimed {
		p.taken = true
	}
	c.mu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		dst := filepath.Join(c.dir, filepath.FromSlash(key))
		if claimed && c.usePrefetched(p, dst, size, mtimeNs) {
			cp.Size, cp.SHA256, cp.SourceInfo = p.copy.Size, p.copy.SHA256, p.copy.SourceInfo
			return
		}
		c.sem <- struct{}{}
		defer func() { <-c.sem }()
		cp.Size, cp.SHA256, cp.SourceInfo, cp.Err = copyFile(src, dst)
	}()
}

// usePrefetched moves a finished prefetched copy to dst when its source had the expected size and mtime.
func (c *Copier) usePrefetched(p *prefetch, dst string, size, mtimeNs int64) bool {
	<-p.done
	info := p.copy.SourceInfo
	if p.copy.Err != nil || info.Size() != size || info.ModTime().UnixNano() != mtimeNs {
		return false
	}
	if os.Rename(p.path, dst) == nil {
		p.path = ""
		return true
	}
	if os.MkdirAll(filepath.Dir(dst), 0o755) == nil && os.Rename(p.path, dst) == nil {
		p.path = ""
		return true
	}
	return false
}

// Wait waits for every started copy and returns them by key, failed ones with their Err.
func (c *Copier) Wait() map[string]*Copy {
	c.Unthrottle()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]*Copy, len(c.done))
	for k, v := range c.done {
		out[k] = v
	}
	return out
}

// Discard waits for every copy, removes the prefetched copies no key claimed and then the folders made for
// them that stayed empty (a prediction of the site's layout that did not hold).
func (c *Copier) Discard() error {
	c.Unthrottle()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.early {
		if p.path != "" {
			if err := os.Remove(p.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(c.dirs))) // children before their parents
	for _, d := range c.dirs {
		for ; d != c.dir && strings.HasPrefix(d, c.dir); d = filepath.Dir(d) {
			if os.Remove(d) != nil { // not empty (or gone): it holds the site's files
				break
			}
		}
	}
	return nil
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// copyFile copies src to dst (creating parents) and returns the size and SHA-256 of what it wrote.
func copyFile(src, dst string) (int64, string, os.FileInfo, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, "", nil, fmt.Errorf("reading %s: %w", src, err)
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return 0, "", nil, fmt.Errorf("reading %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, "", nil, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, "", nil, err
	}
	h := sha256.New()
	buf := copyBuffers.Get().(*[]byte)
	// Hidden behind a plain Reader so that CopyBuffer uses our larger buffer, not os.File's WriteTo.
	n, err := io.CopyBuffer(io.MultiWriter(out, h), struct{ io.Reader }{in}, *buf)
	copyBuffers.Put(buf)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", nil, fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), info, nil
}
