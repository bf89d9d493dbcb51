package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDownloadCodeStalled: a code location that stalls (before its
// headers, or in the middle of the body) ends the download with an error
// that names the bound, within the bound, instead of holding the apply.
func TestDownloadCodeStalled(t *testing.T) {
	t.Parallel()
	const limit = 300 * time.Millisecond
	tests := map[string]func(w http.ResponseWriter, release <-chan struct{}){
		"before the headers": func(_ http.ResponseWriter, release <-chan struct{}) { <-release },
		"in the body": func(w http.ResponseWriter, release <-chan struct{}) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte("PK"))
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			<-release
		},
	}
	for name, stall := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { stall(w, release) }))
			defer srv.Close()
			defer close(release)
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				_, err := downloadCodeWithin(context.Background(), &http.Client{Timeout: limit}, srv.URL, limit)
				done <- err
			}()
			select {
			case err := <-done:
				took := time.Since(start)
				if err == nil || !strings.Contains(err.Error(), "did not finish within 300ms") {
					t.Errorf("err = %v; want the bound named", err)
				}
				if took > limit+time.Second {
					t.Errorf("the download ended after %s; bound %s", took, limit)
				}
			case <-time.After(limit + 5*time.Second):
				t.Fatalf("the download of a stalled code location was still running after %s (bound %s)", limit+5*time.Second, limit)
			}
		})
	}
}
