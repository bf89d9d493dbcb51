package lambda

import (
	"archive/zip"
	"io"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/runtime"
)

// checkUnzipped inflates every entry of a package, counting the bytes it
// really produces rather than the sizes the entries declare (which a
// hostile zip sets to anything, and which wrap around when added), and
// refuses a package that reaches Lambda's unzipped limit.
func checkUnzipped(zr *zip.Reader) *Error {
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return errInvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, runtime.MaxUnzippedBytes-total))
		_ = rc.Close()
		total += n
		if total >= runtime.MaxUnzippedBytes {
			return errInvalidParameter("Unzipped size must be smaller than %d bytes", runtime.MaxUnzippedBytes)
		}
		if err != nil {
			return errInvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
		}
	}
	return nil
}
