// Package s3 is the sandbox's S3 with versioning (service.go: Service, the
// operation names, error answers), kept durable by store.go and blob.go;
// multipart uploads in multipart.go.
package s3

import (
	"fmt"
	"net/http"
	"time"

	"github.com/johannesboyne/gofakes3"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// Service is the sandbox's S3 with versioning: gofakes3 speaks the REST-XML
// protocol over a durable objectStore (store.go, blob.go).
type Service struct {
	store *objectStore
	http  http.Handler
}

// Open loads the buckets persisted under dir ("" keeps them in memory);
// clock is the sandbox clock, and recoverLog starts over a log damaged in
// the middle instead of refusing it.
func Open(dir string, clock func() time.Time, recoverLog bool) (*Service, error) {
	store, err := openStore(dir, clock, recoverLog)
	if err != nil {
		return nil, err
	}
	h := gofakes3.New(store,
		gofakes3.WithTimeSource(wallTime{clock}),
		gofakes3.WithLogger(gofakes3.DiscardLog()),
		gofakes3.WithTimeSkewLimit(0),
	).Server()
	return &Service{store: store, http: h}, nil
}

// ServeHTTP answers one S3 request. versionId=null names the null version;
// gofakes3 would take it for no version id (and act on the current
// version), so it reaches the store as nullVersionParam.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveMultipart(w, r) {
		return
	}
	if q := r.URL.Query(); q.Get("versionId") == "null" {
		q.Set("versionId", nullVersionParam)
		r.URL.RawQuery = q.Encode()
	}
	s.http.ServeHTTP(w, r)
}

// ReadObject reads a whole object (a version when given): Lambda's
// S3Bucket/S3Key/S3ObjectVersion code.
func (s *Service) ReadObject(bucket, key, version string) ([]byte, string, error) {
	return s.store.ReadObject(bucket, key, version)
}

// Close closes the data files.
func (s *Service) Close() error { return s.store.close() }

type wallTime struct{ clock func() time.Time }

func (w wallTime) Now() time.Time                  { return w.clock() }
func (w wallTime) Since(t time.Time) time.Duration { return w.clock().Sub(t) }

// Operation names an S3 request for the journal and fault rules.
func Operation(r *http.Request) string {
	if op := multipartOperation(r); op != "" {
		return op
	}
	segs := wire.SplitPath(r.URL.EscapedPath())
	q := r.URL.Query()
	switch {
	case len(segs) == 0:
		return "ListBuckets"
	case len(segs) == 1:
		switch {
		case q.Has("versioning") && r.Method == http.MethodPut:
			return "PutBucketVersioning"
		case q.Has("versioning"):
			return "GetBucketVersioning"
		case q.Has("versions"):
			return "ListObjectVersions"
		case q.Has("delete"):
			return "DeleteObjects"
		}
		return map[string]string{"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket", "GET": "ListObjects"}[r.Method]
	}
	return map[string]string{"PUT": "PutObject", "DELETE": "DeleteObject", "HEAD": "HeadObject", "GET": "GetObject", "POST": "PostObject"}[r.Method]
}

// WriteError answers in S3's REST-XML error shape.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`,
		code, wire.XMLEscape(message), w.Header().Get("x-amzn-RequestId"))
}

// WriteFault answers an injected fault: SlowDown for a throttle, else
// InternalError.
func WriteFault(w http.ResponseWriter, throttle bool) {
	w.Header().Set("Content-Type", "application/xml")
	if throttle {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		return
	}
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`)
}
