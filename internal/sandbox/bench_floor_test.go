package sandbox_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wal"
)

// runtimeFloor is the least a sandbox built like this one can do per
// invoke: the Invoke request handed straight to a long-polling function
// process over the Lambda Runtime API (GET next, POST response) and the
// answer passed back, with no routing, no store, no metrics and no
// journal. The same function binary and the same SDK client as the
// sandbox, so the sandbox's ratio to it is its own logic's cost, and this
// floor's ratio to the plain handler is the architecture's: two processes
// and three loopback HTTP exchanges.
type runtimeFloor struct {
	URL   string
	queue chan *floorCall
	mu    sync.Mutex
	open  map[string]*floorCall
	seq   atomic.Int64
}

type floorCall struct {
	id      string
	payload []byte
	done    chan []byte
}

// startRuntimeFloor starts procs copies of the test function's bootstrap
// (from zipBytes) against its own Runtime API, and an Invoke endpoint.
func startRuntimeFloor(b *testing.B, zipBytes []byte, procs int) *runtimeFloor {
	b.Helper()
	f := &runtimeFloor{queue: make(chan *floorCall), open: map[string]*floorCall{}}
	dir := b.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		b.Fatal(err)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(bin, body, 0o755); err != nil {
		b.Fatal(err)
	}
	runtimeAPI := http.NewServeMux()
	runtimeAPI.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case c := <-f.queue:
			f.mu.Lock()
			f.open[c.id] = c
			f.mu.Unlock()
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", c.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:hot:live")
			_, _ = w.Write(c.payload)
		case <-r.Context().Done():
		}
	})
	runtimeAPI.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/{kind}", func(w http.ResponseWriter, r *http.Request) {
		out, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		c := f.open[r.PathValue("id")]
		delete(f.open, r.PathValue("id"))
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		if c != nil {
			c.done <- out
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	rtSrv := &http.Server{Handler: runtimeAPI, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = rtSrv.Serve(l) }()
	b.Cleanup(func() { _ = rtSrv.Close() })
	for i := 0; i < procs; i++ {
		cmd := exec.Command(bin)
		cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + l.Addr().String(), "AWS_LAMBDA_FUNCTION_VERSION=1", "_HANDLER=bootstrap"}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	invoke := http.NewServeMux()
	invoke.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		payload, _ := io.ReadAll(r.Body)
		c := &floorCall{id: fmt.Sprintf("floor-%d", f.seq.Add(1)), payload: payload, done: make(chan []byte, 1)}
		select {
		case f.queue <- c:
		case <-r.Context().Done():
			return
		}
		out := <-c.done
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", "1")
		_, _ = w.Write(out)
	})
	il, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	invSrv := &http.Server{Handler: invoke, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = invSrv.Serve(il) }()
	b.Cleanup(func() { _ = invSrv.Close() })
	f.URL = "http://" + il.Addr().String()
	if !strings.HasPrefix(f.URL, "http://127.0.0.1:") {
		b.Fatalf("floor listens on %s, want loopback", f.URL)
	}
	return f
}

// startDurableFloor is the least a durable answer costs on this disk with
// this client: a loopback handler that, for every write (any method but
// GET), puts the request body into blocks its file already holds (zeros
// written ahead, so no size change) and syncs it with the call the
// sandbox's log uses before answering {}, and answers a read at once. No
// routing, no model, no JSON beyond that: the sandbox's ratio to it is the
// cost of its own logic, and this floor's ratio to moto says whether a
// given multiple of moto is possible here at all.
func startDurableFloor(b *testing.B) string {
	b.Helper()
	f, err := os.Create(filepath.Join(b.TempDir(), "floor.log"))
	if err != nil {
		b.Fatal(err)
	}
	const size = 256 << 20
	if _, err := f.WriteAt(make([]byte, size), 0); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var off int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.Method != http.MethodGet {
			mu.Lock()
			if off+int64(len(body)) > size {
				off = 0
			}
			_, err = f.WriteAt(body, off)
			off += int64(len(body))
			if err == nil {
				err = wal.SyncData(f)
			}
			mu.Unlock()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	}))
	b.Cleanup(func() {
		srv.Close()
		_ = f.Close()
	})
	return srv.URL
}
