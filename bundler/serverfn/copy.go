package serverfn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// Writing the app's copy: normalised modes, kept mtimes, and a digest of every byte written.

// copySourceFile copies one planned file with a normalised mode, keeping its modification time so Dash
// computes the same asset cache-busting query (?m=<mtime>) inside the image as it did at bundle time. It
// hashes what it copies, so the build id never reads the copy back.
func copySourceFile(f sourceFile, dir string, made map[string]bool) (FileDigest, os.FileInfo, error) {
	if err := makeParents(dir, f.Rel, made); err != nil {
		return FileDigest{}, nil, err
	}
	in, st, err := openSource(f)
	if err != nil {
		return FileDigest{}, nil, err
	}
	defer in.Close()
	mode := os.FileMode(0o644)
	if f.Exec {
		mode = 0o755
	}
	dst := filepath.Join(dir, filepath.FromSlash(f.Rel))
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return FileDigest{}, nil, fmt.Errorf("server function: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, mode) // the umask may have cleared bits
	}
	if err == nil {
		err = os.Chtimes(dst, st.ModTime(), st.ModTime())
	}
	if err != nil {
		return FileDigest{}, nil, fmt.Errorf("server function: copying %s: %w", f.Rel, err)
	}
	return FileDigest{Rel: f.Rel, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: mode, Size: n}, st, nil
}

// hashSourceFile digests a source file that is not copied as is (requirements.txt).
func hashSourceFile(f sourceFile) (string, os.FileInfo, error) {
	in, st, err := openSource(f)
	if err != nil {
		return "", nil, err
	}
	defer in.Close()
	h := sha256.New()
	if _, err := io.Copy(h, in); err != nil {
		return "", nil, fmt.Errorf("server function: reading %s: %w", f.Path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), st, nil
}

func openSource(f sourceFile) (*os.File, os.FileInfo, error) {
	in, err := os.Open(f.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("server function: cannot read %s: %w; fix its permissions or leave it out "+
			"with --exclude-dirs %s", f.Path, err, f.Rel)
	}
	st, err := in.Stat()
	if err != nil {
		in.Close()
		return nil, nil, fmt.Errorf("server function: %s: %w", f.Path, err)
	}
	return in, st, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func makeParents(dir, rel string, made map[string]bool) error {
	parent := path.Dir(rel)
	if made[parent] {
		return nil
	}
	if err := makeParents(dir, parent, made); err != nil {
		return err
	}
	p := filepath.Join(dir, filepath.FromSlash(parent))
	if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
		return fmt.Errorf("server function: %w", err)
	}
	made[parent] = true
	return os.Chmod(p, 0o755)
}

func writeFile(name string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(name, data, mode); err != nil {
		return fmt.Errorf("server function: %w", err)
	}
	return os.Chmod(name, mode)
}
