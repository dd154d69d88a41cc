package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Pulumi config secrets ({ secret = "name" } in open-dash.toml) live where Pulumi keeps a stack's
// configuration, the stack file Pulumi.<stack>.yaml, here beside open-dash.toml: only their ciphertext,
// encrypted by the stack's secrets provider (the state KMS key), so it can be committed with the app.
// The bundle leaves it out of the server function.

// stackConfigFile is the stack file of s's stack ("" when it does not exist yet).
func (s *settings) stackConfigFile() string {
	p := filepath.Join(s.file.Dir, "Pulumi."+s.stack+".yaml")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

var secretName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// SetSecret stores value as the stack's Pulumi config secret name (creating the state store after asking,
// and the stack, when missing) and returns the file it went to.
func SetSecret(ctx context.Context, o Options, name, value string) (string, error) {
	if !secretName.MatchString(name) {
		return "", fmt.Errorf("secret name %q: use letters, digits, '.', '_' and '-' (the name open-dash.toml's "+
			"{ secret = \"...\" } gives)", name)
	}
	o = o.withDefaults()
	s, err := resolve(ctx, o)
	if err != nil {
		return "", err
	}
	cli, err := FindPulumi()
	if err != nil {
		return "", err
	}
	store, err := ensureState(ctx, s.awsCfg, s.backend, s.secrets, o.Log, o.confirm)
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.file.Dir, "Pulumi."+s.stack+".yaml")
	dir, err := os.MkdirTemp("", "open-dash-stack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	err = inProject(dir, func(dir string) error {
		// A stack that does not exist yet is created (empty), so that its secrets provider exists.
		w, err := openStack(ctx, s, cli, store, dir, func(*pulumi.Context) error { return nil }, nil)
		if err != nil {
			return err
		}
		return w.ws.SetConfigWithOptions(ctx, s.stack, name, auto.ConfigValue{Value: value, Secret: true},
			&auto.ConfigOptions{ConfigFile: path})
	})
	if err != nil {
		return "", fmt.Errorf("setting the secret %s of stack %s: %w", name, s.stack, err)
	}
	return path, nil
}
