package preview

import (
	"fmt"
	"strings"

	"github.com/opendash/opendash/bundler/secrets"
)

// setByPreview are variables the preview sets for the server function itself (workerEnv, instanceEnv), as
// Lambda and the container image would.
var setByPreview = map[string]bool{
	"PYTHONUNBUFFERED": true, "PYTHONDONTWRITEBYTECODE": true, "TMPDIR": true, "OPEN_DASH_PREVIEW": true,
}

// CheckEnvName refuses a variable Options.Env may not set: one the deployed function could not get from the
// component's `environment` or `secrets` either (a name Lambda refuses or sets itself, such as AWS_REGION or
// the credentials, or OpenDash's OPENDASH_...), and the few the preview sets. Variables from the shell the
// preview runs in still reach the app (AWS_PROFILE for its own AWS calls, say).
func CheckEnvName(name string) error {
	if setByPreview[name] {
		return fmt.Errorf("%s is set by the preview itself; drop it from the environment file", name)
	}
	if err := secrets.CheckName(name); err != nil {
		return fmt.Errorf("%w (the deployed function cannot get it from environment or secrets either; "+
			"a variable the preview needs locally can come from your shell)", err)
	}
	return nil
}

// checkEnv checks Options.Env: NAME=value entries with names CheckEnvName accepts.
func checkEnv(env []string) error {
	for _, kv := range env {
		name, _, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("an environment entry has no \"=\" (entries are NAME=value)")
		}
		if err := CheckEnvName(name); err != nil {
			return err
		}
	}
	return nil
}
