//go:build !unix

package preview

import (
	"errors"
	"os/exec"
)

// isolate refuses: the worker protocol passes pipes as extra file descriptors, which exec supports on Unix only.
func isolate(*exec.Cmd) error {
	return errors.New("open-dash preview runs the server function on Linux and macOS only; on Windows use WSL")
}

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}
