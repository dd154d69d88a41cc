//go:build !(linux || openbsd || dragonfly || solaris || illumos || aix || darwin || ios || freebsd || netbsd)

package cache

import "os"

// Elsewhere (Windows, Plan 9, wasm) size and mtime are all a stat offers portably.
func changeAndInode(os.FileInfo) (int64, uint64) { return 0, 0 }
