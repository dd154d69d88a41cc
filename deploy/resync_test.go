package deploy

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestSyncURNs: the sync is the Invocation named <site>-sync, not another Invocation, nor one pending deletion.
func TestSyncURNs(t *testing.T) {
	const sync = "urn:pulumi:dev::opendash-board::opendash:index:DashSite$aws:lambda/invocation:Invocation::board-sync"
	for _, c := range []struct {
		name, deployment string
		want             []string
	}{
		{"no state", ``, nil},
		{"empty stack", `{"manifest": {}, "resources": []}`, nil},
		{"the sync", `{"resources": [
			{"urn": "urn:pulumi:dev::opendash-board::pulumi:pulumi:Stack::opendash-board-dev", "type": "pulumi:pulumi:Stack"},
			{"urn": "` + sync + `", "type": "aws:lambda/invocation:Invocation"}]}`, []string{sync}},
		{"another invocation", `{"resources": [
			{"urn": "urn:pulumi:dev::p::aws:lambda/invocation:Invocation::board-warm", "type": "aws:lambda/invocation:Invocation"}]}`, nil},
		{"a replaced sync pending deletion", `{"resources": [
			{"urn": "` + sync + `", "type": "aws:lambda/invocation:Invocation", "delete": true},
			{"urn": "` + sync + `", "type": "aws:lambda/invocation:Invocation"}]}`, []string{sync}},
	} {
		got, err := syncURNs(json.RawMessage(c.deployment))
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := syncURNs(json.RawMessage(`{"resources": 3}`)); err == nil {
		t.Error("a state that is not a deployment: no error")
	}
}
