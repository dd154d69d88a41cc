// Package sdkgen generates OpenDash's TypeScript and Python SDKs from schema.json in-process, with Pulumi's
// own code generators (pkg/v3 codegen, the version the SDK is pinned to), so no Pulumi CLI or language host
// is needed. It lives in its own Go module so that codegen's dependencies stay out of the library's.
package sdkgen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// Tool is the generator's name, written into the generated files' headers.
const Tool = "opendash-sdkgen"

// Languages are the SDKs this tool generates, named as `pulumi package gen-sdk --language` names them.
var Languages = []string{"nodejs", "python"}

// Generate returns the files of one language's SDK (paths relative to the SDK's root) for schema.json's
// bytes. A non-empty version replaces the schema's (the plugin's version, as `make sdks` passes it).
func Generate(schemaJSON []byte, language, version string) (map[string][]byte, error) {
	loader := newStandInLoader()
	pkg, err := bind(schemaJSON, version, loader)
	if err != nil {
		return nil, err
	}
	switch language {
	case "nodejs":
		// localSDK=false: a package for a registry (built by its own `tsc`), as `pulumi package gen-sdk` writes.
		return nodejs.GeneratePackage(Tool, pkg, nil, nil, false, loader)
	case "python":
		files, err := python.GeneratePackage(Tool, pkg, nil, loader)
		if err != nil {
			return nil, err
		}
		// pyproject.toml names README.md beside it, but the generator writes the README inside the package
		// only (Pulumi's provider Makefiles copy one in before building): copy it, so `pip install` works as is.
		if _, ok := files["README.md"]; !ok {
			for p, b := range files {
				if strings.HasSuffix(p, "/README.md") && !strings.Contains(strings.TrimSuffix(p, "/README.md"), "/") {
					files["README.md"] = b
				}
			}
		}
		return files, nil
	default:
		return nil, fmt.Errorf("language %q: opendash-sdkgen generates %s", language, strings.Join(Languages, " and "))
	}
}

// bind parses and validates schema.json, resolving its aws references with the stand-in.
func bind(schemaJSON []byte, version string, loader schema.Loader) (*schema.Package, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(schemaJSON, &spec); err != nil {
		return nil, fmt.Errorf("schema.json is not a Pulumi package schema (%w); regenerate it with `make schema`", err)
	}
	if version != "" {
		if _, err := semver.ParseTolerant(version); err != nil {
			return nil, fmt.Errorf("version %q is not semver (%w); Pulumi plugin versions look like 1.2.3 or 0.1.0-dev", version, err)
		}
		spec.Version = strings.TrimPrefix(version, "v")
	}
	if missing := missingFromStandIn(schemaJSON); len(missing) > 0 {
		return nil, fmt.Errorf("schema.json refers to aws %s, which tools/sdkgen/awsstandin.json lacks: add each "+
			"token there (a description is enough)", strings.Join(missing, ", "))
	}
	// Dangling references are allowed as the Pulumi CLI allows them when generating SDKs.
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, fmt.Errorf("binding schema.json: %w", err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("schema.json does not bind: %s; regenerate it with `make schema`", diags.Error())
	}
	return pkg, nil
}

// Write replaces dir with exactly files: it writes a sibling staging folder, then swaps it in, so a failed
// run leaves the previous SDK whole and a rerun leaves no stale files.
func Write(dir string, files map[string][]byte) error {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".staging-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if !filepath.IsLocal(p) {
			return fmt.Errorf("generated path %q leaves the SDK folder", p)
		}
		full := filepath.Join(stage, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	old := stage + ".old"
	if err := os.Rename(dir, old); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("moving the previous %s aside: %w", dir, err)
	}
	if err := os.Rename(stage, dir); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	return os.RemoveAll(old)
}
