package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/opendash/opendash/deploy"
)

func init() { extraCommands = append(extraCommands, newSecret) }

func newSecret(stdout, stderr io.Writer) *cobra.Command {
	o := &stackOptions{}
	set := &cobra.Command{
		Use:   "set NAME [--source DIR] [--stack NAME]   (the value comes from standard input)",
		Short: "Encrypt a value with the stack's secrets provider into Pulumi.<stack>.yaml beside open-dash.toml",
		Long: `set reads the value from standard input (typed without echo on a terminal, or piped:
printf %s "$PASSWORD" | open-dash secret set alicePassword --stack prod) and stores it as the stack's Pulumi
config secret NAME, encrypted with the stack's secrets provider (the state KMS key), in Pulumi.<stack>.yaml
beside open-dash.toml. That file holds only ciphertext and can be committed; the bundle leaves it out of the
server function. The value never appears on the command line or in open-dash.toml.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("secret set takes the secret's name, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.prepare(cmd.InOrStdin(), stderr)
			value, err := readSecret(cmd.InOrStdin(), stderr, args[0])
			if err != nil {
				return err
			}
			path, err := deploy.SetSecret(cmd.Context(), o.Options, args[0], value)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "stored %s (encrypted) in %s; reference it as { secret = %q }\n", args[0], path, args[0])
			return nil
		},
	}
	o.addFlags(set)
	return commandGroup("secret set NAME", "Store a Pulumi config secret of the stack, for { secret = \"NAME\" } in open-dash.toml", set)
}

// readSecret reads a value without echo on a terminal, else all of stdin without its final newline.
func readSecret(stdin io.Reader, stderr io.Writer, name string) (string, error) {
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(stderr, "Value of %s (not shown): ", name)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		return string(b), nonEmpty(string(b))
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return "", err
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	return v, nonEmpty(v)
}

func nonEmpty(v string) error {
	if v == "" {
		return usageError{errors.New("the secret's value is empty; type it, or pipe it in: printf %s \"$VALUE\" | open-dash secret set NAME")}
	}
	return nil
}
