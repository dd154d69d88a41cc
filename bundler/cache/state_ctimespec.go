//go:build darwin || ios || freebsd || netbsd

package cache

import (
	"os"
	"syscall"
)

func changeAndInode(fi os.FileInfo) (int64, uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctimespec.Nano(), uint64(st.Ino)
	}
	return 0, 0
}
