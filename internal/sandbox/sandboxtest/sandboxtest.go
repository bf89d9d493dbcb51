// Package sandboxtest starts a rollout-sandbox for a test: an in-process
// server on a random loopback port that lives as long as the test.
package sandboxtest

import (
	"net/http/httptest"
	"testing"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox"
)

// Instance is a sandbox started for a test.
type Instance struct {
	URL     string
	Server  *sandbox.Server
	Journal *sandbox.Journal
}

// Endpoints returns the provider endpoints block for this sandbox.
func (i *Instance) Endpoints() map[string]string {
	return map[string]string{"lambda": i.URL, "cloudwatch": i.URL, "s3": i.URL, "sts": i.URL, "sns": i.URL}
}

// Start runs a sandbox on a random loopback port for the duration of t.
// With no DataDir it keeps everything in memory.
func Start(t testing.TB, opts sandbox.Options) *Instance {
	t.Helper()
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatalf("starting sandbox: %v", err)
	}
	ts := httptest.NewUnstartedServer(srv) // 127.0.0.1, random port
	ts.Listener = srv.Attach(ts.Config, ts.Listener)
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return &Instance{URL: ts.URL, Server: srv, Journal: srv.Journal}
}
