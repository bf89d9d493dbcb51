package sandbox

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/cloudwatch"
)

// One slow or hostile client must never stall the others: no store lock
// is taken while a body is read (Lambda bodies are read in full before an
// operation runs), every read and write of a body has a deadline that
// moves with progress (a large upload at any steady pace passes, a stalled
// one is cut off), headers must arrive within ReadHeaderTimeout, idle
// keep-alive connections are closed after IdleTimeout, and at most
// MaxConnections are open at once: beyond it an idle connection is closed
// to make room, or the newcomer is answered 503.

const (
	defaultMaxConnections    = 512
	defaultBodyReadTimeout   = 30 * time.Second
	defaultIdleTimeout       = 60 * time.Second
	defaultReadHeaderTimeout = 10 * time.Second

	// maxQueryBody bounds STS and CloudWatch requests (PutMetricData
	// accepts 1 MB; the query protocol a little more).
	maxQueryBody = 2 << 20
)

// Attach sets hs up to serve s (handler, timeouts, header limit) and
// returns l wrapped in the connection cap; serve hs on the returned
// listener. Serve and sandboxtest.Start use it.
func (s *Server) Attach(hs *http.Server, l net.Listener) net.Listener {
	hs.Handler = s
	hs.ReadHeaderTimeout = defaultReadHeaderTimeout
	hs.IdleTimeout = s.idleTimeout
	hs.MaxHeaderBytes = 64 << 10
	lim := &connLimiter{Listener: l, max: s.maxConns, conns: map[net.Conn]http.ConnState{}}
	prev := hs.ConnState
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		lim.track(c, st)
		if prev != nil {
			prev(c, st)
		}
	}
	return lim
}

// connLimiter caps open connections.
type connLimiter struct {
	net.Listener
	max int

	mu    sync.Mutex
	conns map[net.Conn]http.ConnState
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if len(l.conns) >= l.max {
			var victim net.Conn
			for vc, st := range l.conns {
				if st == http.StateIdle {
					victim = vc
					break
				}
			}
			if victim == nil {
				l.mu.Unlock()
				go refuseConn(c)
				continue
			}
			delete(l.conns, victim)
			_ = victim.Close()
		}
		l.conns[c] = http.StateNew
		l.mu.Unlock()
		return c, nil
	}
}

func (l *connLimiter) track(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	default:
		if _, ok := l.conns[c]; ok {
			l.conns[c] = st
		}
	}
}

func refuseConn(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(time.Second))
	msg := "rollout-sandbox: too many open connections; retry shortly\n"
	_, _ = fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
	_ = c.Close()
}

// progressBody gives each read of a request body BodyReadTimeout to make
// progress, and lifts the deadline once the body is read, so a long
// operation after it (Invoke) is not cut off.
type progressBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	done    bool
}

func (b *progressBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	_ = b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	// On any other error the deadline stays (expired): the server's own
	// drain of the rest of the body then gives up at once.
	return n, err
}

// progressWriter does the same for the answer: a client that stops reading
// it is cut off after BodyReadTimeout without progress.
type progressWriter struct {
	rc      *http.ResponseController
	timeout time.Duration
}

func (p progressWriter) extend() {
	if p.rc != nil {
		_ = p.rc.SetWriteDeadline(time.Now().Add(p.timeout))
	}
}

// guardBody installs the progress deadlines on r's body.
func (s *Server) guardBody(w http.ResponseWriter, r *http.Request) progressWriter {
	rc := http.NewResponseController(w)
	if r.Body != nil && r.Body != http.NoBody {
		_ = rc.SetReadDeadline(time.Now().Add(s.bodyTimeout))
		r.Body = &progressBody{ReadCloser: r.Body, rc: rc, timeout: s.bodyTimeout}
	}
	return progressWriter{rc: rc, timeout: s.bodyTimeout}
}

var errBodyTooLarge = errors.New("request body too large")

// bufferBody reads r's whole body (at most limit bytes) into memory
// before any operation runs, so no lock is ever held while a client sends.
func bufferBody(r *http.Request, limit int64) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > limit {
		return errBodyTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return err
	}
	if int64(len(b)) > limit {
		return errBodyTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

// bufferCompressedBody is bufferBody for the services whose clients
// compress requests (CloudWatch's PutMetricData: aws-sdk-go-v2 gzips every
// one, botocore the large ones): a gzip body is inflated, with the limit
// applied to the inflated bytes.
func bufferCompressedBody(r *http.Request, limit int64) error {
	if err := bufferBody(r, limit); err != nil {
		return err
	}
	if !strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		return errBadEncoding
	}
	b, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return errBadEncoding
	}
	if int64(len(b)) > limit {
		return errBodyTooLarge
	}
	r.Header.Del("Content-Encoding")
	r.ContentLength = int64(len(b))
	r.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

var errBadEncoding = errors.New("the body is not valid gzip")

// cwBodyError is the CloudWatch (and STS) answer for a body that could not
// be read.
func cwBodyError(err error) *cloudwatch.Error {
	if errors.Is(err, errBodyTooLarge) {
		return &cloudwatch.Error{Status: http.StatusRequestEntityTooLarge, Shape: "RequestEntityTooLargeException", Code: "RequestEntityTooLarge",
			Message: fmt.Sprintf("Request size exceeded: the request body must be smaller than %d bytes", maxQueryBody)}
	}
	if errors.Is(err, errBadEncoding) {
		return &cloudwatch.Error{Status: http.StatusBadRequest, Shape: "InvalidParameterValueException", Code: "InvalidParameterValue",
			Message: "Could not read the request body: it says Content-Encoding: gzip but is not valid gzip"}
	}
	return &cloudwatch.Error{Status: http.StatusBadRequest, Shape: "InvalidParameterValueException", Code: "InvalidParameterValue",
		Message: "Could not read the request body: the client stopped sending it"}
}
