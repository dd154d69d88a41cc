// Command opendash-sdkgen writes OpenDash's TypeScript and Python SDKs from schema.json without the Pulumi
// CLI: `go run ./cmd/opendash-sdkgen -schema ../../schema.json -out ../../bin/sdk` in tools/sdkgen
// (what `make sdks` runs when pulumi is not on PATH). Each language goes to <out>/<language>.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/opendash/opendash/tools/sdkgen"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "opendash-sdkgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("opendash-sdkgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	schemaPath := fs.String("schema", "schema.json", "the provider's schema.json")
	out := fs.String("out", filepath.Join("bin", "sdk"), "output folder; each language goes to <out>/<language>")
	langs := fs.String("language", strings.Join(sdkgen.Languages, ","), "comma-separated languages: nodejs, python")
	version := fs.String("version", "", "package version (default: the schema's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*schemaPath)
	if err != nil {
		return fmt.Errorf("%w; generate it with `make schema` at the repository root", err)
	}
	for _, lang := range strings.Split(*langs, ",") {
		files, err := sdkgen.Generate(raw, lang, *version)
		if err != nil {
			return fmt.Errorf("%s SDK from %s: %w", lang, *schemaPath, err)
		}
		dir := filepath.Join(*out, lang)
		if err := sdkgen.Write(dir, files); err != nil {
			return fmt.Errorf("%s SDK: %w", lang, err)
		}
		fmt.Fprintf(stderr, "opendash-sdkgen: %s SDK: %d files in %s\n", lang, len(files), dir)
	}
	return nil
}
