package statehistory

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"google.golang.org/api/option"
)

// within runs f and fails the test when it has not returned after d: a
// source that hangs on hostile input fails instead of hanging the suite.
func within[T any](t *testing.T, d time.Duration, f func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(d):
		t.Fatalf("still running after %s", d)
	}
	var zero T
	return zero, nil
}

// TestSourcesReadRegularFilesOnly: a FIFO, a link to /dev/zero and a file
// larger than the cap in a snapshot folder or among a state's backups are
// listed as unreadable with a clear reason; nothing hangs or reads without
// bound.
func TestSourcesReadRegularFilesOnly(t *testing.T) {
	t.Parallel()
	hostile := func(t *testing.T, dir, prefix string) {
		t.Helper()
		if err := syscall.Mkfifo(filepath.Join(dir, prefix+"fifo.backup"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/dev/zero", filepath.Join(dir, prefix+"zero.backup")); err != nil {
			t.Fatal(err)
		}
		// A sparse file one byte over the cap: refused by its size, unread.
		big, err := os.Create(filepath.Join(dir, prefix+"big.backup"))
		if err != nil {
			t.Fatal(err)
		}
		if err := big.Truncate(maxStateBytes + 1); err != nil {
			t.Fatal(err)
		}
		_ = big.Close()
	}
	want := map[string]string{
		"fifo.backup": "not a regular file (a named pipe): refusing to read it",
		"zero.backup": "not a regular file (a device): refusing to read it",
		"big.backup":  "larger than 512 MB: refusing to read it",
	}
	check := func(t *testing.T, revs []Revision, prefix string) {
		t.Helper()
		got := map[string]string{}
		for _, r := range revs {
			if name, ok := strings.CutPrefix(r.ID, prefix); ok && r.Error != "" {
				got[name] = r.Error
			}
		}
		for name, msg := range want {
			if !strings.Contains(got[name], msg) {
				t.Errorf("%s: error %q, want it to say %q", name, got[name], msg)
			}
		}
	}
	t.Run("snapshot folder", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeAt(t, dir, "01.tfstate", stateJSON(t, "lin-a", 1, "1", "v1", "1", "", "x", nil), base)
		hostile(t, dir, "")
		revs, err := within(t, 10*time.Second, func() ([]Revision, error) { return DirSource{Dir: dir}.Revisions(context.Background()) })
		if err != nil {
			t.Fatal(err)
		}
		check(t, revs, "")
	})
	t.Run("local backups", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeAt(t, dir, "terraform.tfstate", stateJSON(t, "lin-a", 1, "1", "v1", "1", "", "x", nil), base)
		hostile(t, dir, "terraform.tfstate.")
		revs, err := within(t, 10*time.Second, func() ([]Revision, error) {
			return LocalSource{Path: filepath.Join(dir, "terraform.tfstate")}.Revisions(context.Background())
		})
		if err != nil {
			t.Fatal(err)
		}
		check(t, revs, "terraform.tfstate.")
	})
	t.Run("the state file itself", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		p := filepath.Join(dir, "terraform.tfstate")
		if err := os.Symlink("/dev/zero", p); err != nil {
			t.Fatal(err)
		}
		revs, err := within(t, 10*time.Second, func() ([]Revision, error) { return LocalSource{Path: p}.Revisions(context.Background()) })
		if err != nil {
			t.Fatal(err)
		}
		if len(revs) != 1 || !strings.Contains(revs[0].Error, "not a regular file (a device)") {
			t.Errorf("revisions %+v, want one unreadable: not a regular file", revs)
		}
	})
}

// TestSourcesStopWhenCancelled: every source returns soon after its
// context is cancelled (what SIGINT and SIGTERM do to rolloutctl), even
// while a read is blocked (stdin that never ends, an S3, HCP Terraform or
// GCS endpoint that never answers).
func TestSourcesStopWhenCancelled(t *testing.T) {
	t.Parallel()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	s3c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *s3.Options) { o.BaseEndpoint = aws.String(hang.URL); o.UsePathStyle = true })
	stdin, w := io.Pipe()
	t.Cleanup(func() { _ = w.Close() })
	dir := history(t)
	// HCP Terraform / TFE answers the client's ping (go-tfe asks it when
	// the client is built), then never answers the state versions.
	tfeHang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/ping" {
			w.Header().Set("TFP-API-Version", "2.6")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		<-r.Context().Done()
	}))
	t.Cleanup(tfeHang.Close)
	tfec, err := NewTFEClient(context.Background(), tfeHang.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	gcsc, err := storage.NewClient(context.Background(), option.WithEndpoint(hang.URL+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gcsc.Close() })
	tests := map[string]Source{
		"stdin that never ends":  ReaderSource{R: stdin, Name: "stdin"},
		"S3 that never answers":  S3Source{Client: s3c, Bucket: "b", Key: "k"},
		"TFE that never answers": TFESource{Client: tfec, Address: tfeHang.URL, Token: "tok", Organization: "acme", Workspace: "orders"},
		"GCS that never answers": GCSSource{Client: gcsc, Bucket: "b", Object: "k"},
		"snapshot folder":        DirSource{Dir: dir},
		"local file":             LocalSource{Path: filepath.Join(dir, "01.tfstate")},
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			if name == "snapshot folder" || name == "local file" {
				cancel() // nothing blocks there: cancelled before it starts
			}
			start := time.Now()
			_, err := within(t, 5*time.Second, func() ([]Revision, error) { return src.Revisions(ctx) })
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("returned %s after the start, want under a second", d)
			}
		})
	}
}
