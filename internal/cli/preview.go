package cli

import (
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/preview"
)

func init() { extraCommands = append(extraCommands, newPreview) }

// previewOptions are the flags of `open-dash preview`.
type previewOptions struct {
	dir    string
	host   string
	port   int
	python string
	// originAuth answers like the deployed component's originAuth (edge or oac).
	originAuth string
}

func (o *previewOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", ".open-dash", "the bundle to serve (the folder holding open-dash.output.json)")
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	f.IntVar(&o.port, "port", 8080, "port to listen on (0 picks a free one)")
	f.StringVar(&o.originAuth, "origin-auth", preview.OriginAuthEdge, "answer like the deployed originAuth: edge (Lambda@Edge signer, bodies up to 1 MB) or oac (CloudFront origin access control: bodies up to 6 MB, refused with 403 without a matching x-amz-content-sha256)")
	f.StringVar(&o.python, "python", "", "Python that runs the server function, with the app's requirements installed (default: $VIRTUAL_ENV/bin/python, else python3)")
}

func newPreview(stdout, stderr io.Writer) *cobra.Command {
	o := &previewOptions{}
	cmd := &cobra.Command{
		Use:   "preview [--dir .open-dash] [--port 8080]",
		Short: "Serve a bundle locally exactly as CloudFront routes it: static files from assets/, the rest through index.py",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.port < 0 || o.port > 65535 {
				return usageError{fmt.Errorf("--port %d is not a TCP port", o.port)}
			}
			if o.originAuth != preview.OriginAuthEdge && o.originAuth != preview.OriginAuthOAC {
				return usageError{fmt.Errorf("--origin-auth %q: use edge or oac, as the component's originAuth", o.originAuth)}
			}
			s, err := preview.Start(cmd.Context(), preview.Options{
				Dir:        o.dir,
				Addr:       net.JoinHostPort(o.host, strconv.Itoa(o.port)),
				Python:     o.python,
				Log:        stderr,
				OriginAuth: o.originAuth,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Previewing %s at %s (Ctrl-C stops)\n", o.dir, s.URL())
			return s.Wait()
		},
	}
	o.addFlags(cmd)
	return cmd
}
