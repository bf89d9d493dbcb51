package statehistory_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"
)

// TestS3SourceRefusesAStuckListing: a server that answers "truncated"
// without moving the markers on makes Revisions fail with a clear error
// instead of paging forever (issue 14, case 6).
func TestS3SourceRefusesAStuckListing(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 50 {
			http.Error(w, "stop", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated><MaxKeys>1000</MaxKeys>` +
			`<Version><Key>app.tfstate</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest><LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>2</Size></Version></ListVersionsResult>`))
	}))
	t.Cleanup(srv.Close)
	c := s3At(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := statehistory.S3Source{Client: c, Bucket: "b", Key: "app.tfstate"}.Revisions(ctx)
	if err == nil || !strings.Contains(err.Error(), "does not advance") {
		t.Fatalf("Revisions = %v, want an error saying the listing does not advance", err)
	}
	if n := calls.Load(); n > 2 {
		t.Errorf("%d listing calls, want 2 at most", n)
	}
}
