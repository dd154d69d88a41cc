// Command open-dash bundles a Plotly Dash app for a serverless AWS deployment and previews the result.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/opendash/opendash/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
