package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// syncType is the type of the DashSite's sync: the Invocation of its sync function.
const syncType = "aws:lambda/invocation:Invocation"

// resyncTargets are the URNs of the site's sync to replace in this deploy: those of the stack's state when its
// last update failed, none otherwise. The component replaces the sync on every change of the site, so a failed
// sync (never recorded) runs again on the next deploy. But Pulumi compares with the last sync that succeeded:
// a deploy that goes back to that site (a revert after the failure) sees no change and runs no sync, and the
// files the failed run put in place would stay. Replacing the sync then costs one run that skips what is in
// place (docs/performance.md, "Deploy performance").
func (w *stackWorkspace) resyncTargets(ctx context.Context) ([]string, error) {
	hist, err := w.stack.History(ctx, 1, 1, opthistory.ShowSecrets(false))
	if err != nil || len(hist) == 0 || hist[0].Kind != "update" || hist[0].Result != "failed" {
		return nil, nil // no history (a new stack) or a last update that did not fail
	}
	d, err := w.stack.Export(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the state of stack %s after its failed update: %w", w.stack.Name(), err)
	}
	return syncURNs(d.Deployment)
}

// syncURNs are the URNs of the sync Invocations (named <site>-sync) in an exported deployment.
func syncURNs(deployment json.RawMessage) ([]string, error) {
	if len(deployment) == 0 {
		return nil, nil
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(deployment, &d); err != nil {
		return nil, fmt.Errorf("reading the stack's state: %w", err)
	}
	var urns []string
	for _, r := range d.Resources {
		if string(r.Type) == syncType && strings.HasSuffix(string(r.URN), "-sync") && !r.Delete {
			urns = append(urns, string(r.URN))
		}
	}
	return urns, nil
}
