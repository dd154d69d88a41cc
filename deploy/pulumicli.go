package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// The Pulumi CLI is Automation API's engine. OpenDash builds against the Automation API of Pulumi's Go SDK
// v3.274.1, and Pulumi asks for a CLI at least as new as the SDK; a new major version may change the
// protocol.
var (
	MinPulumi = semver.MustParse("3.274.1")
	maxPulumi = semver.MustParse("4.0.0") // exclusive
)

// installPulumi is how to get a CLI that fits, printed whenever none does. OpenDash never downloads it.
var installPulumi = fmt.Sprintf("install the Pulumi CLI v%s or a newer 3.x: `curl -fsSL https://get.pulumi.com | sh -s -- "+
	"--version %s` (puts it in ~/.pulumi/bin), or `brew install pulumi/tap/pulumi`, or see "+
	"https://www.pulumi.com/docs/iac/download-install/; OpenDash downloads nothing by itself", MinPulumi, MinPulumi)

// PulumiCLI is the Pulumi CLI a deploy runs.
type PulumiCLI struct {
	Path    string
	Version semver.Version
	command auto.PulumiCommand
}

// FindPulumi looks for `pulumi` on PATH, then in ~/.pulumi/bin (where Pulumi's installer puts it), and checks
// its version.
func FindPulumi() (*PulumiCLI, error) {
	root := "" // auto runs `pulumi` from PATH, the one found here
	path, err := exec.LookPath("pulumi")
	if err != nil {
		home, _ := os.UserHomeDir()
		installed := filepath.Join(home, ".pulumi", "bin", "pulumi")
		if _, statErr := os.Stat(installed); home == "" || statErr != nil {
			return nil, fmt.Errorf("open-dash deploy, destroy, status and secret set run Pulumi's engine, the Pulumi "+
				"CLI: found no `pulumi` on PATH or in ~/.pulumi/bin\n  hint: %s", installPulumi)
		}
		path, root = installed, filepath.Join(home, ".pulumi")
	}
	out, err := exec.Command(path, "version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s version failed (%v); reinstall it\n  hint: %s", path, err, installPulumi)
	}
	text := strings.TrimSpace(string(out))
	v, err := semver.ParseTolerant(text)
	if err != nil {
		return nil, fmt.Errorf("%s version printed %q, not a version\n  hint: %s", path, text, installPulumi)
	}
	if v.LT(MinPulumi) || v.GTE(maxPulumi) {
		return nil, fmt.Errorf("%s is Pulumi v%s; open-dash deploy needs v%s or a newer 3.x\n  hint: %s",
			path, v, MinPulumi, installPulumi)
	}
	// The version is checked above, with OpenDash's own range.
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		return nil, fmt.Errorf("cannot run %s through Pulumi's Automation API: %v\n  hint: %s", path, err, installPulumi)
	}
	return &PulumiCLI{Path: path, Version: v, command: cmd}, nil
}

// version is what `pulumi version` printed, for messages.
func (p *PulumiCLI) String() string { return fmt.Sprintf("%s (v%s)", p.Path, p.Version) }
