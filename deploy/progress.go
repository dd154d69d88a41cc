package deploy

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// slowTypes are resources whose create or update takes minutes; while one runs a counter says so, so a
// silent terminal is never mistaken for a hang.
var slowTypes = map[string]string{
	"aws:cloudfront/distribution:Distribution": "CloudFront distribution (usually 3 to 10 minutes)",
	"awsx:ecr:Image":             "server image build and push",
	"opendash:index:ServerImage": "server image push",
	"aws:acm/certificateValidation:CertificateValidation":                  "certificate validation",
	"aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": "provisioned instances starting",
}

// progress turns the engine's event stream into one line per finished resource, and a counter for the slow
// ones (rewritten in place on a terminal, a line every 30 s otherwise).
type progress struct {
	w        io.Writer
	terminal bool
	tick     time.Duration // how often a slow step reports
	quiet    bool          // a plan: diagnostics only, no line per resource

	mu      sync.Mutex
	started map[string]time.Time // urn -> start of its step
	slow    map[string]string    // urn -> what the counter says
	status  map[string]string    // urn -> the slow step's latest status line (the image push's layers)
	diags   []string             // errors the engine reported, for the failure message
	stop    chan struct{}
	stopped sync.Once
	done    chan struct{}
}

func newProgress(w io.Writer, terminal bool) *progress {
	p := &progress{w: w, terminal: terminal, tick: time.Second, started: map[string]time.Time{},
		slow: map[string]string{}, status: map[string]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	if !terminal {
		p.tick = 30 * time.Second
	}
	return p
}

// follow runs op, showing the events it streams on ch. quiet shows a plan's: only what the engine and the
// component report.
func (p *progress) follow(quiet bool, op func(ch chan<- events.EngineEvent) error) error {
	p.quiet = quiet
	ch := make(chan events.EngineEvent)
	read := make(chan struct{})
	go p.counter()
	go func() {
		for e := range ch {
			p.event(e)
		}
		close(read)
	}()
	err := op(ch)
	select {
	case <-read:
	case <-time.After(5 * time.Second):
		// The CLI failed before it streamed events (a held lock, say): nothing closes ch. The reader stays
		// blocked on it, harmless in a command that is about to exit.
	}
	p.stopped.Do(func() { close(p.stop) })
	<-p.done
	return err
}

func (p *progress) event(e events.EngineEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	switch {
	case p.quiet && e.DiagnosticEvent == nil:
		return
	case e.ResourcePreEvent != nil:
		m := e.ResourcePreEvent.Metadata
		if m.Op == apitype.OpSame || m.Op == apitype.OpRead {
			return
		}
		p.started[m.URN] = now
		if what, ok := slowTypes[m.Type]; ok {
			p.slow[m.URN] = fmt.Sprintf("%s %s: %s", verb(m.Op, false), name(m.URN), what)
		}
	case e.ResOutputsEvent != nil:
		m := e.ResOutputsEvent.Metadata
		if m.Op == apitype.OpSame || m.Op == apitype.OpRead || m.Type == "pulumi:pulumi:Stack" {
			return
		}
		p.line(fmt.Sprintf("  %s %s %s%s", symbol(m.Op), verb(m.Op, true), describe(m), p.took(m.URN, now)))
	case e.ResOpFailedEvent != nil:
		m := e.ResOpFailedEvent.Metadata
		p.line(fmt.Sprintf("  ! failed to %s %s%s", verb(m.Op, false), describe(m), p.took(m.URN, now)))
	case e.DiagnosticEvent != nil:
		d := e.DiagnosticEvent
		msg := strings.TrimSpace(d.Message)
		if d.Ephemeral && p.slow[d.URN] != "" && msg != "" {
			// A slow step's own status (ServerImage's build steps and layer pushes): the counter shows it.
			p.status[d.URN] = msg
			return
		}
		if msg == "" || d.Ephemeral {
			return
		}
		switch d.Severity {
		case "error":
			p.diags = append(p.diags, msg)
			p.line("  error: " + indent(msg))
		case "warning":
			p.line("  warning: " + indent(msg))
		case "info", "info#err":
			if d.URN != "" { // the component's own lines (bundling); the engine's chatter has no resource
				p.line("  " + indent(msg))
			}
		}
	}
}

func (p *progress) took(urn string, now time.Time) string {
	start, ok := p.started[urn]
	delete(p.started, urn)
	delete(p.slow, urn)
	delete(p.status, urn)
	if !ok || now.Sub(start) < time.Second {
		return ""
	}
	return fmt.Sprintf(" (%s)", now.Sub(start).Round(time.Second))
}

// line prints one line, clearing a counter drawn on the terminal first.
func (p *progress) line(s string) {
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintln(p.w, s)
}

// counter shows how long the slow steps under way have taken.
func (p *progress) counter() {
	defer close(p.done)
	t := time.NewTicker(p.tick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			if p.terminal {
				fmt.Fprint(p.w, "\r\033[K")
			}
			return
		case now := <-t.C:
			p.mu.Lock()
			if line := p.counterLine(now); line != "" {
				if p.terminal {
					fmt.Fprintf(p.w, "\r\033[K  … %s", line)
				} else {
					fmt.Fprintf(p.w, "  … still %s\n", line)
				}
			}
			p.mu.Unlock()
		}
	}
}

// counterLine is what the counter says at now: each slow step under way, how long it has taken, and its
// latest status. Called with mu held.
func (p *progress) counterLine(now time.Time) string {
	var parts []string
	for urn, what := range p.slow {
		part := fmt.Sprintf("%s %s", what, now.Sub(p.started[urn]).Round(time.Second))
		if s := p.status[urn]; s != "" {
			part += ": " + s
		}
		parts = append(parts, part)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

// describe is a resource's type and name, e.g. "aws:lambda/function:Function site-server".
func describe(m apitype.StepEventMetadata) string {
	return fmt.Sprintf("%s %s", m.Type, name(m.URN))
}

// name is the last part of a URN: the resource's name.
func name(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func symbol(op apitype.OpType) string {
	switch op {
	case apitype.OpCreate:
		return "+"
	case apitype.OpDelete, apitype.OpDeleteReplaced:
		return "-"
	case apitype.OpReplace, apitype.OpCreateReplacement:
		return "±"
	}
	return "~"
}

func verb(op apitype.OpType, past bool) string {
	words := map[apitype.OpType][2]string{
		apitype.OpCreate:            {"create", "created"},
		apitype.OpUpdate:            {"update", "updated"},
		apitype.OpDelete:            {"delete", "deleted"},
		apitype.OpReplace:           {"replace", "replaced"},
		apitype.OpCreateReplacement: {"create the replacement of", "created the replacement of"},
		apitype.OpDeleteReplaced:    {"delete the replaced", "deleted the replaced"},
		apitype.OpRefresh:           {"refresh", "refreshed"},
	}
	w, ok := words[op]
	if !ok {
		return string(op)
	}
	if past {
		return w[1]
	}
	return w[0]
}

// Plan counts what an update would do (or did), as `pulumi preview` counts it.
type Plan struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
	Same    int `json:"same"`
}

func planOf(changes map[string]int) Plan {
	return Plan{
		Create:  changes[string(apitype.OpCreate)],
		Update:  changes[string(apitype.OpUpdate)],
		Replace: changes[string(apitype.OpReplace)],
		Delete:  changes[string(apitype.OpDelete)],
		Same:    changes[string(apitype.OpSame)],
	}
}

// Changes is how many resources the plan changes.
func (p Plan) Changes() int { return p.Create + p.Update + p.Replace + p.Delete }

func (p Plan) String() string {
	return fmt.Sprintf("%d to create, %d to update, %d to replace, %d to delete (%d unchanged)",
		p.Create, p.Update, p.Replace, p.Delete, p.Same)
}
