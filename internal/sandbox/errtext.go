package sandbox

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Error texts never repeat megabytes of input nor name Go types: values
// echoed in messages are clipped, whole messages are bounded, and decoding
// problems are described in the client's terms (where, what kind).

// jsonProblem describes why a JSON body could not be decoded.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte offset %d", syn.Offset)
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "the top level"
		}
		return fmt.Sprintf("unexpected JSON %s at '%s' (byte offset %d)", typ.Value, clip(where, 200), typ.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON document ends before it is complete"
	}
	return "malformed JSON"
}

// checkUnzipped inflates every entry of a package, counting the bytes it
// really produces rather than the sizes the entries declare (which a
// hostile zip sets to anything, and which wrap around when added), and
// refuses a package that reaches Lambda's unzipped limit.
func checkUnzipped(zr *zip.Reader) *apiError {
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return errInvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, maxUnzippedBytes-total))
		_ = rc.Close()
		total += n
		if total >= maxUnzippedBytes {
			return errInvalidParameter("Unzipped size must be smaller than %d bytes", maxUnzippedBytes)
		}
		if err != nil {
			return errInvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
		}
	}
	return nil
}

// unzipBudget bounds the bytes an extraction writes in all, counted as
// they are written (zip extraction at invoke).
type unzipBudget struct{ left int64 }

func (b *unzipBudget) copy(dst io.Writer, src io.Reader) error {
	n, err := io.Copy(dst, io.LimitReader(src, b.left+1))
	b.left -= n
	if b.left < 0 {
		return fmt.Errorf("the package inflates to more than %d bytes", maxUnzippedBytes)
	}
	return err
}
