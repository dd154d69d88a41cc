package provider

import (
	"context"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// withOutputNames corrects the names of the outputs Construct returns. The Go SDK (v3.274.1) builds a
// component's Construct result from its struct with the whole `pulumi` tag as the name, so the output
// tagged `pulumi:"warmerFunctionName,optional"` reached other languages as "warmerFunctionName,optional"
// and site.warmerFunctionName was always undefined. The ",optional" must stay on the tag: infer reads it to
// leave the output out of the schema's required list.
func withOutputNames(prov p.Provider) p.Provider {
	construct := prov.Construct
	prov.Construct = func(ctx context.Context, req p.ConstructRequest) (p.ConstructResponse, error) {
		resp, err := construct(ctx, req)
		if err != nil {
			return resp, err
		}
		resp.State = outputNames(resp.State)
		return resp, nil
	}
	return prov
}

// outputNames renames every "name,option..." key of state to "name"; a key already named "name" wins.
func outputNames(state property.Map) property.Map {
	out := make(map[string]property.Value, state.Len())
	for k, v := range state.AllStable {
		name, _, _ := strings.Cut(k, ",")
		if _, taken := out[name]; taken && name != k {
			continue
		}
		out[name] = v
	}
	return property.NewMap(out)
}
