package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
)

// Status is what `open-dash status` reports about a stack.
type Status struct {
	Stack      string `json:"stack"`
	Name       string `json:"name"`
	Region     string `json:"region"`
	Backend    string `json:"backend"`
	Deployed   bool   `json:"deployed"`
	URL        string `json:"url,omitempty"`
	LastUpdate string `json:"lastUpdate,omitempty"` // RFC 3339
	LastResult string `json:"lastResult,omitempty"` // succeeded, failed, in-progress
	Resources  int    `json:"resources"`
	// Drift counts resources whose live state differs from the state (a refresh preview); nil when not checked.
	Drift *Plan `json:"drift,omitempty"`
}

// existingStack opens a stack that must exist, in a project folder of its own (nothing is deployed, so no
// bundle is needed), and runs fn there.
func existingStack(ctx context.Context, o Options, fn func(s *settings, w *stackWorkspace) error) error {
	o = o.withDefaults()
	s, err := resolve(ctx, o)
	if err != nil {
		return err
	}
	cli, err := FindPulumi()
	if err != nil {
		return err
	}
	store, err := ensureState(ctx, s.awsCfg, s.backend, s.secrets, o.Log, func(string) (bool, error) {
		return false, fmt.Errorf("%w: the account has no OpenDash state store in %s", errNothingDeployed, s.region)
	})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "open-dash-stack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return inProject(dir, func(dir string) error {
		// A stack built natively holds a ServerImage: its refresh and delete go through the opendash plugin.
		plugin, pluginErr := providePlugin(o.Plugin, dir)
		w, err := openStack(ctx, s, cli, store, dir, nil, plugin)
		if err != nil {
			return err
		}
		err = fn(s, w)
		if err != nil && pluginErr != nil && strings.Contains(err.Error(), "opendash") {
			return fmt.Errorf("%w\n%v", err, pluginErr)
		}
		return err
	})
}

// Destroy deletes every resource of the stack, after asking (unless o.Yes). The state bucket and key stay.
func Destroy(ctx context.Context, o Options) (*Plan, error) {
	o = o.withDefaults()
	var done *Plan
	err := existingStack(ctx, o, func(s *settings, w *stackWorkspace) error {
		info, err := w.stack.Info(ctx)
		if err != nil {
			return err
		}
		n := 0
		if info.ResourceCount != nil {
			n = *info.ResourceCount
		}
		if n == 0 {
			fmt.Fprintf(o.Log, "Stack %s of %s has no resources: nothing to destroy\n", s.stack, s.name)
			done = &Plan{}
			return nil
		}
		ok, err := o.ask(fmt.Sprintf("Destroy %s (stack %s, %d resources in %s)?", s.name, s.stack, n, s.region))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("nothing was destroyed (not confirmed)\n  hint: pass --yes to destroy without asking")
		}
		p := newProgress(o.Log, o.Terminal)
		start := time.Now()
		var r auto.DestroyResult
		err = p.follow(false, func(ch chan<- events.EngineEvent) (err error) {
			opts := []optdestroy.Option{optdestroy.EventStreams(ch)}
			if w.configFile != "" {
				opts = append(opts, optdestroy.ConfigFile(w.configFile))
			}
			r, err = w.stack.Destroy(ctx, opts...)
			return err
		})
		if err != nil {
			return operationError("destroying", err, p, w.store)
		}
		var applied Plan
		if r.Summary.ResourceChanges != nil {
			applied = planOf(*r.Summary.ResourceChanges)
		}
		done = &applied
		fmt.Fprintf(o.Log, "Destroyed %s (stack %s) in %s: %d resources deleted. The state store (%s) is kept; "+
			"Lambda@Edge functions are kept too unless deleteEdgeFunction is set (AWS deletes their replicas "+
			"hours later; see the README)\n", s.name, s.stack, time.Since(start).Round(time.Second), applied.Delete,
			redactURL(w.store.Backend))
		return nil
	})
	return done, err
}

// GetStatus reports the stack's URL, last update, resource count and, with drift, what changed outside
// Pulumi (a refresh preview: it reads every resource, so it takes a while).
func GetStatus(ctx context.Context, o Options, drift bool) (*Status, error) {
	o = o.withDefaults()
	st := &Status{}
	err := existingStack(ctx, o, func(s *settings, w *stackWorkspace) error {
		st.Stack, st.Name, st.Region, st.Backend = s.stack, s.name, s.region, redactURL(w.store.Backend)
		info, err := w.stack.Info(ctx)
		if err != nil {
			return err
		}
		if info.ResourceCount != nil {
			st.Resources = *info.ResourceCount
		}
		st.Deployed = st.Resources > 0
		if out, err := w.outputs(ctx); err == nil {
			st.URL = out.URL
		}
		hist, err := w.stack.History(ctx, 1, 1, opthistory.ShowSecrets(false))
		if err == nil && len(hist) > 0 {
			st.LastUpdate, st.LastResult = hist[0].StartTime, hist[0].Result
			if hist[0].EndTime != nil {
				st.LastUpdate = *hist[0].EndTime
			}
		}
		if drift && st.Deployed {
			r, err := w.stack.PreviewRefresh(ctx)
			if err != nil {
				return fmt.Errorf("checking drift: %w", operationError("refreshing", err, newProgress(o.Log, false), w.store))
			}
			changes := map[string]int{}
			for op, n := range r.ChangeSummary {
				changes[string(op)] = n
			}
			plan := planOf(changes)
			st.Drift = &plan
		}
		return nil
	})
	if errors.Is(err, errNothingDeployed) {
		return st, nil
	}
	return st, err
}
