//go:build unix

package preview

import (
	"errors"
	"os/exec"
	"syscall"
)

// isolate puts the worker in its own process group: the terminal's Ctrl-C reaches only the preview (which then
// stops the worker itself), and killing the group also ends whatever the app spawned.
func isolate(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return nil
}

// killGroup sends SIGKILL to the worker's whole process group; a group already gone is not an error.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
