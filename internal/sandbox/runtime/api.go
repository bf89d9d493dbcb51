package runtime

// The Runtime API an environment's process talks to: next, response,
// error and init error, on a loopback listener of its own.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// serveRuntimeAPI serves the environment's Runtime API on its listener.
func (e *Env) serveRuntimeAPI() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", e.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", e.handleResult(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", e.handleResult(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", e.handleInitError)
	e.server = &http.Server{Handler: runtimeGuard(e.listener.Addr().String(), mux), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.server.Serve(e.listener) }()
}

func (e *Env) handleNext(w http.ResponseWriter, r *http.Request) {
	e.initEnded()
	select {
	case e.ready <- struct{}{}:
	default:
	}
	select {
	case inv := <-e.next:
		// The readiness this request signalled led to inv: used up. Only
		// this request's can be pending here (the runtime comes back to
		// /next only once it has read inv), so the next one is not lost,
		// however late the invoke's goroutine runs.
		select {
		case <-e.ready:
		default:
		}
		e.mu.Lock()
		e.current = inv
		e.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.ID)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.Deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.InvokedARN)
		h.Set("Lambda-Runtime-Trace-Id", fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), strings.ReplaceAll(uuid.NewString(), "-", "")[:24], strings.ReplaceAll(uuid.NewString(), "-", "")[:16]))
		if inv.ClientContext != "" {
			h.Set("Lambda-Runtime-Client-Context", inv.ClientContext)
		}
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.Payload)
	case <-r.Context().Done():
	case <-e.dead:
	}
}

// runtimeGuard keeps the Runtime API for the function's own process: it
// listens on loopback only, on a port of its own, and answers only requests
// addressed to that exact address that no web page sent (the runtime client
// never sends Origin or Sec-Fetch-* headers; a browser always does on a
// cross-site POST, and DNS rebinding shows in the Host).
func runtimeGuard(addr string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != addr || r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" || !wire.IsLoopbackPeer(r) {
			runtimeError(w, http.StatusForbidden, "AccessDenied", "the Runtime API answers only the function's own runtime")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func runtimeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": errType, "errorMessage": msg})
}

func (e *Env) handleResult(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 7<<20))
		if err != nil {
			runtimeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
			return
		}
		e.mu.Lock()
		cur := e.current
		if cur == nil || cur.ID != r.PathValue("id") {
			e.mu.Unlock()
			runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
			return
		}
		e.current = nil
		logs := e.logBuf.String()
		e.logBuf.Reset()
		e.mu.Unlock()
		res := Result{Payload: body, FunctionError: isError, Logs: logs}
		// A response whose streaming failed carries the error in trailers.
		if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" && !isError {
			res.FunctionError = true
			if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body")); err == nil && len(b) > 0 {
				res.Payload = b
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "{\"status\":\"OK\"}\n")
		cur.done <- res
	}
}

func (e *Env) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	e.mu.Lock()
	e.initErr = body
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "{\"status\":\"OK\"}\n")
}
