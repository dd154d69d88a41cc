package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/serverfn"
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/serverimage"
)

func init() { extraCommands = append(extraCommands, newImage) }

// imageBuildOptions are the flags of `open-dash image build`.
type imageBuildOptions struct {
	dir, source   string
	arch          string
	baseImage     string
	python        string
	push, tag     string
	username      string
	passwordStdin bool
	noCache       bool
	json          bool
}

func (o *imageBuildOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", ".open-dash", "the bundle (the folder holding open-dash.output.json)")
	f.StringVar(&o.source, "source", "", "build the bundle of this app folder, found where open-dash bundle --source put it")
	f.StringVar(&o.arch, "arch", "", "Lambda architecture to build for: x86_64 or arm64 (default: the bundle's)")
	f.StringVar(&o.baseImage, "base-image", "", "base image reference (default public.ecr.aws/lambda/python:<the bundle's Python>): a mirror, or a pinned ...@sha256:DIGEST")
	f.StringVar(&o.python, "python", "", "the Python that bundled the app: runs pip and compiles the bytecode (default: $VIRTUAL_ENV/bin/python, else python3)")
	f.StringVar(&o.push, "push", "", "push to this repository, REGISTRY/NAME (localhost and 127.0.0.1 registries are spoken to over plain HTTP)")
	f.StringVar(&o.tag, "tag", "", "tag of the push (default opendash-<bundle build id>-<arch>)")
	f.StringVar(&o.username, "username", "", "registry user name for --push, with --password-stdin (ECR: AWS)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the registry password for --push from standard input (ECR: aws ecr get-login-password | ...)")
	f.BoolVar(&o.noCache, "no-cache", false, "install the requirements afresh instead of reusing the dependencies layer of an earlier build with the same requirements (picks up new releases of unpinned dependencies)")
	f.BoolVar(&o.json, "json", false, "print the digest, reference, architecture, base and layers as JSON on stdout")
}

// validate rejects a wrong command line before anything runs.
func (o *imageBuildOptions) validate() error {
	switch o.arch {
	case "", serverfn.ArchX86, serverfn.ArchARM64:
	default:
		return fmt.Errorf("--arch %q is not one Lambda runs: use %s or %s", o.arch, serverfn.ArchX86, serverfn.ArchARM64)
	}
	if o.push == "" && (o.tag != "" || o.username != "" || o.passwordStdin) {
		return errors.New("--tag, --username and --password-stdin go with --push REPOSITORY")
	}
	if o.push != "" {
		if _, err := name.NewRepository(o.push); err != nil {
			return fmt.Errorf("--push %q is not a repository (REGISTRY/NAME, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/site): %v", o.push, err)
		}
	}
	if o.username != "" && !o.passwordStdin {
		return errors.New("--username goes with --password-stdin (the password is never a flag: it would stay in your shell history)")
	}
	return nil
}

func newImage(stdout, stderr io.Writer) *cobra.Command {
	return commandGroup("image", "Build the server function's Lambda container image without Docker, and push it",
		newImageBuild(stdout, stderr))
}

func newImageBuild(stdout, stderr io.Writer) *cobra.Command {
	o := &imageBuildOptions{}
	cmd := &cobra.Command{
		Use:   "build [--source APP_FOLDER | --dir .open-dash] [--arch x86_64|arm64] [--base-image REF] [--push REPOSITORY] [--json]",
		Short: "Build the bundle's server image in-process (no Docker daemon), for x86_64 or arm64, and optionally push it",
		Long: `image build makes the server function's container image from a bundle: AWS's Lambda Python base for the
bundle's Python, the requirements installed by pip for the target platform (wheels only, so an arm64 image
builds on an x86 machine and the reverse, with no emulation), the app and its assets, with bytecode compiled
ahead. The same bundle, base and wheels always give the same digest. pip's own settings apply
(PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, its cache). The dependencies layer is
kept and reused while requirements.txt, the target, the Python, pip and the PIP_* settings are the same
(--no-cache installs afresh).

It prints the digest and each layer; with --push, the registry gets only the layers it lacks, and the
reference printed (REPOSITORY@sha256:...) is what a Lambda function takes. Credentials come from
--username/--password-stdin, else Docker's or Podman's login files and credential helpers.
The result is recorded in <bundle>/.deploy/server-image.json, with the base digest to repeat the build.`,
		Example: `  open-dash image build --source ./my-app
  open-dash image build --arch arm64 --json
  aws ecr get-login-password | open-dash image build --push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/site \
      --username AWS --password-stdin`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{jsonErrorsAnnotation: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return usageError{err}
			}
			dir, err := pickBundle(cmd, o.dir, o.source)
			if err != nil {
				return err
			}
			m, err := manifest.Read(dir)
			if err != nil {
				return err
			}
			return o.run(cmd, dir, m, stdout, stderr)
		},
	}
	o.addFlags(cmd)
	return cmd
}

func (o *imageBuildOptions) run(cmd *cobra.Command, dir string, m *manifest.Manifest, stdout, stderr io.Writer) error {
	log := stderr
	if o.json {
		log = io.Discard
	}
	arch := o.arch
	if arch == "" {
		arch = m.Origins.Server.Architecture
	}
	if arch != m.Origins.Server.Architecture {
		fmt.Fprintf(log, "note: the bundle was made for %s; this image is for %s (deploy it with architecture %s)\n",
			m.Origins.Server.Architecture, arch, arch)
	}
	var auth authn.Authenticator
	if o.passwordStdin { // read before the build: a pipe's writer (aws ecr get-login-password) may not wait
		data, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return fmt.Errorf("--password-stdin: %w", err)
		}
		password := strings.TrimRight(string(data), "\r\n")
		if password == "" {
			return usageError{errors.New("--password-stdin: standard input is empty")}
		}
		auth = authn.FromConfig(authn.AuthConfig{Username: o.username, Password: password})
	}
	fmt.Fprintf(log, "Building the server image of %s for %s\n", dir, arch)
	img, err := serverimage.Build(cmd.Context(), serverimage.BuildOptions{
		Dir:           filepath.Join(dir, filepath.FromSlash(m.Origins.Server.Dir)),
		Architecture:  arch,
		PythonVersion: m.Origins.Server.PythonVersion,
		BaseImage:     o.baseImage,
		Python:        o.python,
		Handler:       m.Origins.Server.Handler,
		Log:           log,
		NoCache:       o.noCache,
	})
	if err != nil {
		return err
	}
	var pushed *serverimage.Pushed
	if o.push != "" {
		if auth == nil {
			repo, _ := name.NewRepository(o.push)
			if auth, err = authn.DefaultKeychain.Resolve(repo); err != nil {
				return fmt.Errorf("credentials for %s: %w", repo.RegistryStr(), err)
			}
		}
		tag := o.tag
		if tag == "" {
			tag = "opendash-" + m.BuildID + "-" + arch
		}
		fmt.Fprintf(log, "Pushing to %s:%s\n", o.push, tag)
		if pushed, err = serverimage.Push(cmd.Context(), img, serverimage.PushOptions{
			Repository: o.push, Tag: tag, Auth: auth, Log: log}); err != nil {
			return err
		}
	}
	report, err := serverimage.NewReport(img, pushed)
	if err != nil {
		return err
	}
	record, err := serverimage.WriteRecord(dir, report)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			OK bool `json:"ok"`
			serverimage.Report
		}{true, report})
	}
	printImageReport(stderr, report, pushed != nil)
	fmt.Fprintf(stderr, "Recorded in %s\n", record)
	if report.Reference != "" {
		fmt.Fprintln(stdout, report.Reference)
	} else {
		fmt.Fprintln(stdout, report.Digest)
	}
	return nil
}

// printImageReport writes one line per added layer and one for the base's layers.
func printImageReport(w io.Writer, r serverimage.Report, pushed bool) {
	status := func(l serverimage.ReportLayer) string {
		switch {
		case !pushed:
			return ""
		case l.Pushed:
			return "pushed"
		}
		return "already there"
	}
	var baseLayers, basePushed int
	var baseSize int64
	for _, l := range r.Layers {
		if l.Role == serverimage.LayerBase {
			baseLayers++
			baseSize += l.Size
			if l.Pushed {
				basePushed++
			}
		}
	}
	baseStatus := ""
	if pushed {
		baseStatus = fmt.Sprintf("%d pushed, %d already there", basePushed, baseLayers-basePushed)
	}
	fmt.Fprintf(w, "Image %s (%s)\n", r.Digest, r.Architecture)
	fmt.Fprintf(w, "  %-13s %-26s %10s  %s\n", "base", fmt.Sprintf("%d layers", baseLayers), bundler.HumanBytes(baseSize), baseStatus)
	for _, l := range r.Layers {
		if l.Role != serverimage.LayerBase {
			fmt.Fprintf(w, "  %-13s %-26s %10s  %s\n", l.Role, l.Digest[:min(len(l.Digest), 26)], bundler.HumanBytes(l.Size), status(l))
		}
	}
	fmt.Fprintf(w, "Base %s (repeat this build exactly with --base-image %s)\n", r.BaseImage, r.Base)
	if pushed {
		fmt.Fprintf(w, "Pushed %s (%s sent), tagged %s\n", r.Reference, bundler.HumanBytes(r.BytesPushed), r.Tag)
	}
}
