// Package testfn builds the sandbox's test function (./bootstrap) into a
// deployment package, the way a user builds a provided.al2023 Go function.
package testfn

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

var (
	once     sync.Once
	zipData  []byte
	buildErr error
)

// Zip returns the deployment package (a zip holding bootstrap, mode 0755),
// building it once per process with the Go toolchain running the tests.
func Zip() ([]byte, error) {
	once.Do(func() { zipData, buildErr = build() })
	return zipData, buildErr
}

func build() ([]byte, error) {
	dir, err := os.MkdirTemp("", "rollout-testfn-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "github.com/rollout-tf/terraform-provider-rollout/internal/testfn/bootstrap")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the test function: %v\n%s", err, b)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(bin); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
