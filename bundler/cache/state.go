package cache

import (
	"os"
)

// State is what one stat says about a file or folder: enough to notice a write (size, mtime, and the change
// time, which nothing but the kernel sets), a replacement (inode) or a permission change.
type State struct {
	Size     int64  `json:"size"`
	ModNs    int64  `json:"mtime"`
	ChangeNs int64  `json:"ctime,omitempty"` // 0 where the platform has none
	Inode    uint64 `json:"ino,omitempty"`
	Mode     uint32 `json:"mode"`
}

// StateOf reads a State from a stat result.
func StateOf(fi os.FileInfo) State {
	s := State{Size: fi.Size(), ModNs: fi.ModTime().UnixNano(), Mode: uint32(fi.Mode())}
	if fi.IsDir() {
		s.Size = 0 // a folder's size says nothing portable
	}
	s.ChangeNs, s.Inode = changeAndInode(fi)
	return s
}

// changed is the newest of the change and modification times: after it, nothing touched the file.
func (s State) changed() int64 {
	return max(s.ChangeNs, s.ModNs)
}
