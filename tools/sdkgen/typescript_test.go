package sdkgen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// npmPackages are what tsc needs to check examples/typescript against the generated SDK, pinned exactly so
// the cached install is reused. @pulumi/aws matches the Go pin (pulumi-aws/sdk/v6 v6.83.4). The npm registry
// has no @pulumi/pulumi 3.274.x to match the Go pin (sdk/v3 v3.274.1): it goes from 3.270.0 to 3.276.0, and
// 3.276.0 is what the SDK's "^3.269.0" installs for a user today. typescript and @types/node follow the
// example's package.json (^5, ^20).
var npmPackages = map[string]string{
	"@pulumi/pulumi": "3.276.0",
	"@pulumi/aws":    "6.83.4",
	"typescript":     "5.9.3",
	"@types/node":    "20.19.43",
}

// requireEnv makes a missing npm or registry a failure instead of a skip (.ci/run sets it).
const requireEnv = "OPENDASH_REQUIRE_SDK_CHECK"

// TestTypeScriptExample generates the TypeScript SDK from schema.json and type-checks examples/typescript
// against it with tsc and the real @pulumi/pulumi and @pulumi/aws, as a user's program would compile. The
// second case renames an input and drops an output, as a change to DashSiteArgs could, and tsc must refuse
// the example: the check catches what breaks a TypeScript user.
func TestTypeScriptExample(t *testing.T) {
	nodeModules := installNodeModules(t)
	raw := readSchema(t)
	cases := []struct {
		name   string
		schema []byte
		want   []string // substrings of tsc's errors; none means tsc must pass
	}{
		{name: "schema.json", schema: raw},
		{
			name:   "source renamed and bucket removed",
			schema: mutateSchema(t, raw, "source", "sourceDir", "bucket"),
			want:   []string{"'source' does not exist in type 'DashSiteArgs'", "Property 'bucket' does not exist on type 'DashSite'"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			project := exampleProject(t, nodeModules, tc.schema)
			out, err := tsc(t, nodeModules, "-p", filepath.Join(project, "tsconfig.json"))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("examples/typescript does not type-check against the SDK generated from schema.json "+
						"(a DashSiteArgs or DashSite change broke it: update examples/typescript, or keep the old name):\n%s", out)
				}
				return
			}
			if err == nil {
				t.Fatalf("tsc accepted the example against a schema without input source and output bucket: the check proves nothing")
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("tsc's errors lack %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestTypeScriptSDKBuilds compiles the generated SDK with its own tsconfig.json, as `npm run build` does
// before publishing it.
func TestTypeScriptSDKBuilds(t *testing.T) {
	nodeModules := installNodeModules(t)
	project := exampleProject(t, nodeModules, readSchema(t))
	if out, err := tsc(t, nodeModules, "-p", filepath.Join(project, "sdk", "tsconfig.json"), "--noEmit"); err != nil {
		t.Fatalf("the generated TypeScript SDK does not compile with its own tsconfig.json:\n%s", out)
	}
}

// exampleProject lays out examples/typescript beside a generated SDK in a temporary folder: the example's
// files and tsconfig.json (plus noEmit, and a path mapping for @opendash/pulumi, which `pulumi install`
// would link), the SDK in sdk/, and node_modules linked to the cached install.
func exampleProject(t *testing.T, nodeModules string, schemaJSON []byte) string {
	t.Helper()
	files, err := Generate(schemaJSON, "nodejs", "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "sdk"), files); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(nodeModules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	example := filepath.Join("..", "..", "examples", "typescript")
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	readJSON(t, filepath.Join(example, "package.json"), &pkg)
	for dep := range pkg.Dependencies {
		if _, ok := npmPackages[dep]; !ok {
			t.Fatalf("examples/typescript/package.json depends on %s, which this test does not install: add it to npmPackages", dep)
		}
	}
	var config map[string]any
	readJSON(t, filepath.Join(example, "tsconfig.json"), &config)
	opts, _ := config["compilerOptions"].(map[string]any)
	if opts == nil {
		t.Fatal("examples/typescript/tsconfig.json has no compilerOptions")
	}
	opts["noEmit"] = true
	opts["paths"] = map[string]any{"@opendash/pulumi": []string{"./sdk/index.ts"}}
	names, _ := config["files"].([]any)
	if len(names) == 0 {
		t.Fatal("examples/typescript/tsconfig.json lists no files")
	}
	for _, n := range names {
		src, err := os.ReadFile(filepath.Join(example, n.(string)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n.(string)), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _ := json.MarshalIndent(config, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "tsconfig.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tsc(t *testing.T, nodeModules string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "node", append([]string{filepath.Join(nodeModules, "typescript", "bin", "tsc"), "--pretty", "false"}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// installNodeModules returns a node_modules folder holding npmPackages, installed once per set of versions
// under $OPENDASH_NPM_CACHE (default: the user cache folder) and reused by later runs. Without node, npm or
// the registry it skips, or fails when $OPENDASH_REQUIRE_SDK_CHECK is set.
func installNodeModules(t *testing.T) string {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv(requireEnv) != "" {
			t.Fatalf(format+" ($"+requireEnv+" is set, so this fails instead of skipping)", args...)
		}
		t.Skipf(format+"; the TypeScript SDK check needs Node.js, npm and the npm registry (set $"+requireEnv+"=1 to make this a failure)", args...)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable("%s is not on PATH", tool)
		}
	}
	var specs []string
	for name, version := range npmPackages {
		specs = append(specs, name+"@"+version)
	}
	sort.Strings(specs)
	sum := sha256.Sum256([]byte(strings.Join(specs, "\n")))
	root := os.Getenv("OPENDASH_NPM_CACHE")
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		root = filepath.Join(cache, "opendash", "sdk-typecheck")
	}
	final := filepath.Join(root, hex.EncodeToString(sum[:8]))
	nodeModules := filepath.Join(final, "node_modules")
	if _, err := os.Stat(filepath.Join(nodeModules, "typescript", "bin", "tsc")); err == nil {
		return nodeModules
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	stage, err := os.MkdirTemp(root, ".install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(stage)
	manifest, _ := json.Marshal(map[string]any{"private": true, "dependencies": npmPackages})
	if err := os.WriteFile(filepath.Join(stage, "package.json"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	// Only type declarations are needed: no install scripts, no audit.
	cmd := exec.CommandContext(t.Context(), "npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = stage
	t.Logf("npm install %s into %s (once; later runs reuse it)", strings.Join(specs, " "), final)
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable("npm install %s failed (%v): %s", strings.Join(specs, " "), err, lastLines(string(out), 8))
	}
	// Another run may have installed the same set meanwhile: either copy is good.
	if err := os.Rename(stage, final); err != nil && !errors.Is(err, os.ErrExist) {
		if _, statErr := os.Stat(nodeModules); statErr != nil {
			t.Fatalf("caching node_modules: %v", err)
		}
	}
	return nodeModules
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
