package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"
)

// SchemaFile is where the generated schema is kept, relative to the repository root.
const SchemaFile = "schema.json"

// Schema returns the schema the plugin serves, as indented JSON ending in a newline: the form of
// schema.json at the repository root. It runs GetSchema in-process, so no Pulumi CLI is needed, and the
// same Go types give the same bytes (maps are written in key order).
func Schema(ctx context.Context) ([]byte, error) {
	prov, err := New()
	if err != nil {
		return nil, err
	}
	spec, err := p.GetSchema(ctx, Name, Version(), prov)
	if err != nil {
		return nil, fmt.Errorf("generating the %s schema from the Go types: %w", Name, err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // keep ">=6.83.4,<7.0.0" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(spec); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
