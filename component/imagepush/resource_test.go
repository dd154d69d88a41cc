package imagepush

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
)

// TestLineWriter: lines written from many goroutines at once arrive whole, one emit each.
func TestLineWriter(t *testing.T) {
	var mu sync.Mutex
	var got []string
	w := &lineWriter{emit: func(s string) { mu.Lock(); got = append(got, s); mu.Unlock() }}
	var wg sync.WaitGroup
	var want []string
	for i := range 50 {
		line := fmt.Sprintf("layer %02d uploaded", i)
		want = append(want, line)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Fprintf(w, "%s", line[:5])
			fmt.Fprintf(w, "%s\n", line[5:])
		}()
	}
	wg.Wait()
	sort.Strings(got)
	// Halves from different goroutines may interleave, but no line is lost or split in two emits.
	if len(got) != len(want) {
		t.Fatalf("%d lines emitted, want %d: %q", len(got), len(want), got)
	}
	w2 := &lineWriter{emit: func(s string) { got = append(got[:0], s) }}
	fmt.Fprint(w2, "  partial")
	fmt.Fprint(w2, " line  \n\n")
	if !reflect.DeepEqual(got, []string{"partial line"}) {
		t.Errorf("got %q, want the line trimmed and the blank one dropped", got)
	}
}

func TestTag(t *testing.T) {
	for digest, want := range map[string]string{
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": "opendash-0123456789abcdef",
		"sha256:abc": "opendash-abc",
	} {
		if got := Tag(digest); got != want {
			t.Errorf("Tag(%s) = %s, want %s", digest, got, want)
		}
	}
}
