package preview

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// logger writes whole lines to the preview's log; requests and the worker's output share it concurrently.
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logger) Printf(format string, args ...any) {
	l.write(fmt.Sprintf(format, args...))
}

func (l *logger) write(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, line+"\n")
}

// maxLine bounds how much of an unterminated line is buffered before it is logged anyway.
const maxLine = 64 << 10

// lineWriter copies the app's stdout or stderr into the log, one prefixed line at a time.
type lineWriter struct {
	log    *logger
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func newLineWriter(log *logger, prefix string) *lineWriter {
	return &lineWriter{log: log, prefix: prefix}
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.buf = append(lw.buf, p...)
	for {
		i := bytes.IndexByte(lw.buf, '\n')
		if i < 0 {
			if len(lw.buf) >= maxLine {
				lw.emit(lw.buf)
				lw.buf = lw.buf[:0]
			}
			return len(p), nil
		}
		lw.emit(lw.buf[:i])
		lw.buf = lw.buf[i+1:]
	}
}

// Flush logs a last line that had no newline.
func (lw *lineWriter) Flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.buf) > 0 {
		lw.emit(lw.buf)
		lw.buf = nil
	}
}

func (lw *lineWriter) emit(line []byte) {
	lw.log.write(lw.prefix + string(bytes.TrimSuffix(line, []byte("\r"))))
}
