package e2e

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/opendash/opendash/internal/plugintest"
	"github.com/opendash/opendash/internal/release"
	"github.com/opendash/opendash/version"
)

// deployStep is how TestDeployYourApp treats a command of README.md's "When you already use Pulumi": run it, or skip it
// because it needs an AWS account, or run a stand-in where it needs what the test has not (the network).
type deployStep struct {
	pattern *regexp.Regexp
	skip    string // why it is not run; "" runs it
	instead string // a stand-in command ($1... are the pattern's groups); the reason is the comment above it
}

// deploySection is the README's walk-through of a Pulumi program with DashSite.
const deploySection = "When you already use Pulumi"

var deploySteps = []deployStep{
	{pattern: regexp.MustCompile(`^aws `), skip: "calls AWS"},
	{pattern: regexp.MustCompile(`^pulumi (up|destroy|stack rm)\b`), skip: "deploys to AWS"},
	{pattern: regexp.MustCompile(`\$\(pulumi stack output`), skip: "checks a deployed stack"},
	// pulumi new downloads its templates from GitHub; what it writes for `yaml` is a name, a runtime, a stack.
	{pattern: regexp.MustCompile(`^pulumi new yaml --name (\S+) --stack (\S+)$`),
		instead: `printf 'name: %s\nruntime: yaml\ndescription: test\n' "$1" > Pulumi.yaml && pulumi stack init "$2"`},
	// --local is ~/.pulumi of the user's home in the password database, whatever $HOME says: the test's
	// state goes to its own folder.
	{pattern: regexp.MustCompile(`^pulumi login --local$`), instead: `pulumi login "file://$HOME"`},
	{pattern: regexp.MustCompile(`^(mkdir|cd) |^pulumi install$|^pulumi (config set|plugin install) `)},
}

// TestDeployYourApp runs the commands of README.md's "When you already use Pulumi" that need no AWS account, in order,
// as written: the project, its stack and configuration, Pulumi.yaml's site, and both ways to get the
// `opendash` plugin of the release the README names, served from 127.0.0.1 instead of GitHub (the plugin is
// this checkout's, stamped with that release, archived as `make release` does). Then it checks the plugin
// Pulumi installed reports that version and the schema's download URL, and adds the package from this
// checkout's source where Pulumi's Go language host is installed. The quick start's install, bundle and
// preview are TestQuickStart's; `pulumi up` and what follows need AWS.
func TestDeployYourApp(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the walk-through builds the plugin")
	}
	pulumi, err := exec.LookPath("pulumi")
	if err != nil {
		t.Skip("the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) " +
			"to run the README's deploy commands that need no AWS")
	}
	lines, err := readmeSections("../README.md", deploySection)
	if err != nil {
		t.Fatal(err)
	}
	install := regexp.MustCompile(`pulumi plugin install resource opendash (\d+\.\d+\.\d+) --server (\S+)`).
		FindStringSubmatch(strings.Join(lines, "\n"))
	if install == nil {
		t.Fatal(deploySection + " has no `pulumi plugin install resource opendash X.Y.Z --server URL`")
	}
	v := install[1]
	if want := strings.ReplaceAll(version.PluginDownloadURL, "${VERSION}", v); install[2] != want {
		t.Errorf("the README installs the plugin from %s; the schema's pluginDownloadURL makes %s", install[2], want)
	}

	// A release of this checkout as v<README's version>, served where the download URL points.
	assets := t.TempDir()
	releaseAsset(t, v, assets)
	var mu sync.Mutex
	var requests []string
	downloads := func() int { mu.Lock(); defer mu.Unlock(); return len(requests) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		http.StripPrefix("/opendash/opendash/releases/download/", http.FileServer(http.Dir(assets))).ServeHTTP(w, r)
	}))
	defer srv.Close()

	script, yamlSite := deployScript(t, lines)
	home := t.TempDir()
	work := filepath.Join(home, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range cleanEnv() {
		if !strings.HasPrefix(kv, "PULUMI_") { // the user's backend, home or overrides
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "PULUMI_HOME="+filepath.Join(home, ".pulumi"),
		"PULUMI_SKIP_UPDATE_CHECK=1", "PULUMI_CONFIG_PASSPHRASE=test-passphrase",
		// GitHub's release URL, redirected to the test's server (Pulumi's own override setting).
		"PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES=^https://github.com/opendash/opendash/releases/download/(.*)$="+
			srv.URL+"/opendash/opendash/releases/download/$1")
	cmd := exec.Command("bash", "-e", "-x", "-c", script)
	cmd.Dir, cmd.Env = work, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's commands failed: %v\n%s", err, out)
	}

	project := filepath.Join(work, "my-dashboard", "infra")
	data, err := os.ReadFile(filepath.Join(project, "Pulumi.yaml"))
	if err != nil || !strings.Contains(string(data), yamlSite) {
		t.Errorf("Pulumi.yaml lacks the README's site (%v):\n%s", err, data)
	}
	if downloads() != 1 {
		t.Errorf("pulumi install downloaded the plugin %d times", downloads())
	}
	// The README's other way, on a machine without the plugin.
	if out, err := pulumiIn(project, env, pulumi, "plugin", "rm", "resource", "opendash", "--yes"); err != nil {
		t.Fatalf("pulumi plugin rm: %v\n%s", err, out)
	}
	if out, err := pulumiIn(project, env, "bash", "-c", install[0]); err != nil || downloads() != 2 {
		t.Errorf("%s: %v (downloads %d)\n%s", install[0], err, downloads(), out)
	}
	out, err := pulumiIn(project, env, pulumi, "plugin", "ls", "--json")
	if err != nil || !strings.Contains(out, `"name": "opendash"`) || !strings.Contains(out, `"version": "`+v+`"`) {
		t.Fatalf("pulumi plugin ls (%v):\n%s", err, out)
	}
	// The plugin Pulumi installed is the release's: it tells the engine so, and names where to get it.
	installed := filepath.Join(home, ".pulumi", "plugins", "resource-opendash-v"+v, "pulumi-resource-opendash")
	if info := plugintest.Ask(t, installed); info.Version != v || info.SchemaVersion != v ||
		info.PluginDownloadURL != version.PluginDownloadURL {
		t.Errorf("the installed plugin says %+v, want version %s and pluginDownloadURL %s", info, v, version.PluginDownloadURL)
	}

	t.Run("package add of the checkout", func(t *testing.T) {
		if _, err := exec.LookPath("pulumi-language-go"); err != nil {
			if _, err := os.Stat(filepath.Join(filepath.Dir(realPath(pulumi)), "pulumi-language-go")); err != nil {
				t.Skip("Pulumi's Go language host (pulumi-language-go) is not installed beside pulumi or on PATH: " +
					"`pulumi package add` of the plugin's source folder builds the plugin with that host")
			}
		}
		src, err := filepath.Abs("../cmd/pulumi-resource-opendash")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := pulumiIn(project, env, pulumi, "package", "add", src); err != nil {
			t.Errorf("pulumi package add %s: %v\n%s", src, err, out)
		}
	})
}

// deployScript is the section's commands as one bash script (stand-ins where deploySteps says), with the
// first yaml block (the site) appended to Pulumi.yaml where the walk-through shows it; it fails on a
// command deploySteps does not know.
func deployScript(t *testing.T, lines []string) (string, string) {
	var b strings.Builder
	var site string
	for _, line := range lines {
		if strings.HasPrefix(line, "yaml:") {
			if site == "" {
				site = strings.TrimPrefix(line, "yaml:")
				b.WriteString("cat >> Pulumi.yaml <<'OPENDASH_SITE'\n" + site + "OPENDASH_SITE\n")
			}
			continue
		}
		command := strings.TrimSpace(regexp.MustCompile(`\s+#.*$`).ReplaceAllString(line, ""))
		if command == "" {
			continue
		}
		known := false
		for _, s := range deploySteps {
			m := s.pattern.FindStringSubmatch(command)
			if m == nil {
				continue
			}
			known = true
			switch {
			case s.skip != "":
				b.WriteString("# skipped, " + s.skip + ": " + command + "\n")
			case s.instead != "":
				b.WriteString("set -- " + strings.Join(m[1:], " ") + "\n" + s.instead + "\n")
			default:
				b.WriteString(command + "\n")
			}
			break
		}
		if !known {
			t.Fatalf("README's "+deploySection+" runs %q, which TestDeployYourApp does not know: add it to deploySteps "+
				"(run, stand-in or skipped with the reason)", command)
		}
	}
	if site == "" {
		t.Fatal(deploySection + " has no ```yaml block with the site")
	}
	return b.String(), site
}

// readmeSections returns the ```sh lines of README.md's "## <title>" section and all its sub-sections, in
// order, and each ```yaml block as one element prefixed "yaml:".
func readmeSections(readme, title string) ([]string, error) {
	f, err := os.Open(readme)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	in, fence, yamlBlock := false, "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case fence != "":
			if strings.HasPrefix(line, "```") {
				if fence == "yaml" {
					out = append(out, "yaml:"+yamlBlock)
				}
				fence, yamlBlock = "", ""
			} else if fence == "sh" {
				out = append(out, line)
			} else if fence == "yaml" {
				yamlBlock += line + "\n"
			}
		case strings.HasPrefix(line, "## "):
			if in {
				return out, sc.Err()
			}
			in = line == "## "+title
		case in && strings.HasPrefix(line, "```"):
			fence = strings.TrimSpace(strings.TrimPrefix(line, "```"))
			if fence == "" {
				fence = "text"
			}
		}
	}
	return out, sc.Err()
}

// releaseAsset builds this checkout's plugin stamped v<v> and archives it as `make release` does, in
// dir/v<v>/ (the path of a GitHub release's assets).
func releaseAsset(t *testing.T, v, dir string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pulumi-resource-opendash")
	build := exec.Command("go", "build", "-ldflags", "-X "+version.Module+"/version.Stamped=v"+v, "-o", bin,
		"../cmd/pulumi-resource-opendash")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the plugin: %v\n%s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(dir, "v"+v), 0o755); err != nil {
		t.Fatal(err)
	}
	asset := release.ArchiveName("pulumi-resource-opendash", v, runtime.GOOS, runtime.GOARCH)
	if err := release.WriteArchive(filepath.Join(dir, "v"+v, asset), bin); err != nil {
		t.Fatal(err)
	}
}

func pulumiIn(dir string, env []string, pulumi string, args ...string) (string, error) {
	cmd := exec.Command(pulumi, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// TestGoExampleWithTheCheckout builds examples/go, a module that requires a release, against this checkout
// with the switch its README documents (`go get ...@vX` cannot resolve here: nothing is published).
func TestGoExampleWithTheCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a Pulumi program")
	}
	readme, err := os.ReadFile("../examples/go/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## With this checkout")
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(section)
	if block == nil || !strings.Contains(block[1], "go mod edit -replace github.com/opendash/opendash=../..") {
		t.Fatalf("examples/go/README.md's \"With this checkout\" has no go mod edit -replace block")
	}
	repo := t.TempDir()
	copyRepo(t, "..", repo)
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	env := append(cleanEnv(), "GOMODCACHE="+goEnv("GOMODCACHE"), "GOCACHE="+goEnv("GOCACHE"),
		"GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	script := block[1] + "go build -o /dev/null .\n"
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir, cmd.Env = repo, env // the block starts with cd examples/go
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("examples/go with the checkout (%s): %v\n%s", script, err, out)
	}
	mod, err := os.ReadFile("../examples/go/go.mod")
	if err != nil || !regexp.MustCompile(`(?m)^require github.com/opendash/opendash v\d+\.\d+\.\d+$|^\tgithub.com/opendash/opendash v\d+\.\d+\.\d+$`).Match(mod) ||
		strings.Contains(string(mod), "replace") {
		t.Errorf("examples/go/go.mod must require a release of github.com/opendash/opendash and replace nothing:\n%s", mod)
	}
}
