// Command pulumi-resource-opendash is the `opendash` Pulumi provider plugin: it serves the DashSite
// component (package component) to YAML, TypeScript, Python and every other Pulumi language. The Pulumi
// engine starts it; it is not meant to be run by hand. Everything it does lives in package provider.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/opendash/opendash/provider"
)

func main() {
	if err := provider.Run(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-opendash: %v\n", err)
		os.Exit(1)
	}
}
