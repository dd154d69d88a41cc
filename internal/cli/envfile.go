package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/opendash/opendash/internal/dotenv"
	"github.com/opendash/opendash/preview"
)

// envFileUsage is --env-file of bundle and deploy: the variables of the app's import, never deployed.
const envFileUsage = "set the variables of this dotenv file (NAME=value lines) for the app while it is bundled, " +
	"for an app that reads os.environ at import; their values never reach the bundle (repeatable; a later file wins)"

// readEnvFiles reads the --env-file files into NAME=value entries (a later file wins) and names what it read,
// never a value, on log.
func readEnvFiles(paths []string, log io.Writer) ([]string, error) {
	var env []string
	for _, path := range paths {
		vars, err := dotenv.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--env-file: %w", err)
		}
		names := make([]string, len(vars))
		for i, v := range vars {
			if err := preview.CheckEnvName(v.Name); err != nil {
				return nil, fmt.Errorf("--env-file %s:%d: %w", path, v.Line, err)
			}
			names[i] = v.Name
			env = append(env, v.Name+"="+v.Value)
		}
		fmt.Fprintf(log, "env file %s: %d variable(s) for the server function: %s\n", path, len(vars), strings.Join(names, ", "))
	}
	return env, nil
}
