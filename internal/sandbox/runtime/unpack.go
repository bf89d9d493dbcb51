package runtime

// Unpacking a code zip once per blob, within Lambda's unzipped-size limit.

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxUnzippedBytes is Lambda's limit on a package's unzipped size.
const MaxUnzippedBytes = 262144000

// Unpack extracts a code zip once per blob and returns its folder.
func (p *Pool) Unpack(blob string, zipBytes []byte) (string, error) {
	p.unpackMu.Lock()
	defer p.unpackMu.Unlock()
	dir := filepath.Join(p.dir, blob)
	if _, err := os.Stat(filepath.Join(dir, ".unpacked")); err == nil {
		return dir, nil
	}
	_ = os.RemoveAll(dir)
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return "", err
	}
	budget := &unzipBudget{left: MaxUnzippedBytes}
	for _, f := range zr.File {
		target := filepath.Join(dir, f.Name)
		if !strings.HasPrefix(target, dir+string(os.PathSeparator)) {
			return "", fmt.Errorf("zip entry %q escapes the package", f.Name)
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		mode := f.Mode().Perm()
		if mode == 0 {
			mode = 0o644
		}
		if f.Name == "bootstrap" {
			mode |= 0o111 // Lambda runs bootstrap whatever the zip's mode bits
		}
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
		if err != nil {
			_ = rc.Close()
			return "", err
		}
		err = budget.copy(out, rc)
		_ = rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
	}
	return dir, os.WriteFile(filepath.Join(dir, ".unpacked"), nil, 0o644)
}

// unzipBudget bounds the bytes an extraction writes in all, counted as
// they are written (zip extraction at invoke).
type unzipBudget struct{ left int64 }

func (b *unzipBudget) copy(dst io.Writer, src io.Reader) error {
	n, err := io.Copy(dst, io.LimitReader(src, b.left+1))
	b.left -= n
	if b.left < 0 {
		return fmt.Errorf("the package inflates to more than %d bytes", MaxUnzippedBytes)
	}
	return err
}
