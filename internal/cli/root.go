// Package cli is the open-dash command line: flags bound into option structs, then one library call.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/bundler"
)

// Run executes the CLI with args and returns the process exit code; tests call it in-process.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil { // Ctrl-C (or SIGTERM) while it ran: what failed is only the interruption
		err = errInterrupted
	} else if strings.HasPrefix(err.Error(), "unknown command ") {
		err = usageError{err} // cobra's own words for a mistyped command
	}
	fmt.Fprintf(stderr, "open-dash: %v\n", err)
	if wantsJSON(cmd) {
		printJSONError(stdout, err)
	}
	var usage usageError
	switch {
	case errors.Is(err, errInterrupted):
		return ExitInterrupted
	case errors.As(err, &usage):
		return 2
	}
	return 1
}

// ExitInterrupted is the exit code after Ctrl-C, as shells report a process ended by SIGINT (128 + 2).
const ExitInterrupted = 130

// errInterrupted replaces the error of a command cut short by a signal ("context canceled" says nothing).
var errInterrupted = errors.New("interrupted")

// noArgs refuses positional arguments with the flag the user most likely meant: `open-dash bundle myapp`
// is `--source myapp`.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := ""
	if cmd.Flags().Lookup("source") != nil {
		hint = fmt.Sprintf("; did you mean `open-dash %s --source %s`?", cmd.Name(), args[0])
	}
	return usageError{fmt.Errorf("%s takes no arguments, got %q%s", cmd.CommandPath(), strings.Join(args, " "), hint)}
}

// usageError marks a mistake in the command line itself (exit code 2, like flag parsing errors).
type usageError struct{ error }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "open-dash",
		Short: "Bundle a Plotly Dash app for a fast, private, serverless AWS deployment",
		Long: `open-dash turns a Dash app (a folder whose app.py defines create_app() or a module-level app, or the
module --app names) into .open-dash/:
a static site for S3 and CloudFront, a container Lambda that runs the app, a warmer and a manifest.
Deploy it with the OpenDash Pulumi component, or try it locally with 'open-dash preview'.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newBundle(stdout, stderr), newVersion(stdout))
	for _, extra := range extraCommands {
		root.AddCommand(extra(stdout, stderr))
	}
	return root
}

// commandGroup is a command that only holds subcommands (image build, init github-actions, secret set).
func commandGroup(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs}
	cmd.AddCommand(subs...)
	return cmd
}

// extraCommands lets other files of this package register commands without touching newRoot.
var extraCommands []func(stdout, stderr io.Writer) *cobra.Command

func newVersion(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the open-dash version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(stdout, "open-dash %s\n", bundler.Version)
		},
	}
}
