// Command open-dash bundles a Plotly Dash app for a serverless AWS deployment and previews the result.
// Started as pulumi-resource-opendash, it is the opendash Pulumi plugin: `open-dash deploy` hands itself to
// Pulumi's engine under that name, so the plugin that pushes the server image is always this very build.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/opendash/opendash/deploy"
	"github.com/opendash/opendash/internal/cli"
	"github.com/opendash/opendash/provider"
)

func main() {
	if deploy.StartedAsPlugin(os.Args[0]) {
		if err := provider.Run(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", deploy.PluginBinary, err)
			os.Exit(1)
		}
		return
	}
	if exe, err := os.Executable(); err == nil {
		cli.Executable = exe
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
