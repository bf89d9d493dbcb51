// Package runtime runs Lambda function code as Lambda runs provided.al2023
// and provided.al2 functions: one bootstrap process per execution
// environment, driven through the Lambda Runtime API on its own loopback
// listener, in a pool that reuses warm environments and caps concurrency.
package runtime

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// The execution side of the sandbox: a bootstrap executable per
// environment, driven through the Lambda Runtime API on its own loopback
// listener, as Lambda runs provided.al2023 / provided.al2 functions.

// MaxUnzippedBytes is Lambda's limit on a package's unzipped size.
const MaxUnzippedBytes = 262144000

// runnable are the runtimes the sandbox can execute.
var runnable = map[string]bool{"provided.al2023": true, "provided.al2": true, "provided": true}

// Runnable reports whether the sandbox can execute functions of runtime.
func Runnable(runtime string) bool { return runnable[runtime] }

// Invocation is one request delivered to an environment.
type Invocation struct {
	ID            string
	Payload       []byte
	Deadline      time.Time
	InvokedARN    string
	ClientContext string
	done          chan Result // made by Run
}

// Result is what the runtime (or the platform) answered.
type Result struct {
	Payload       []byte
	FunctionError bool
	Logs          string
	Duration      time.Duration
}

// Key identifies environments that can serve a version: same function,
// version and code.
type Key struct{ Function, Version, Code string }

// Env is one execution environment: a process and its Runtime API.
type Env struct {
	key      Key
	cmd      *exec.Cmd
	listener net.Listener
	server   *http.Server
	next     chan *Invocation
	dead     chan struct{}
	// ready is signalled each time the runtime comes back to /next: only
	// then is the environment reusable (a panicking handler posts its error
	// and then exits, and must not be handed the next invoke).
	ready chan struct{}
	// idleSince is when it last went idle (guarded by the pool's mu), for
	// evicting the least recently used.
	idleSince time.Time

	mu      sync.Mutex
	current *Invocation
	logBuf  strings.Builder
	initErr []byte
	exitErr error
}

// Pool owns every environment. Two limits apply, as on Lambda: limit is
// the concurrency, the invocations running at once (beyond it Acquire
// throttles); keep is how many environments, busy or idle, may exist at
// once (beyond it the least recently used idle one is stopped to make
// room, never a busy one).
type Pool struct {
	dir   string // unpacked code per blob
	limit int
	keep  int

	mu    sync.Mutex
	idle  map[Key][]*Env
	total int // environments that exist or are being started
	busy  int // environments running an invocation or starting
	all   map[*Env]bool

	unpackMu sync.Mutex
}

// NewPool returns a pool that runs at most limit invocations at once and
// keeps at most keep environments (at least limit).
func NewPool(dir string, limit, keep int) *Pool {
	if keep < limit {
		keep = limit
	}
	return &Pool{dir: dir, limit: limit, keep: keep, idle: map[Key][]*Env{}, all: map[*Env]bool{}}
}

var ErrThrottled = errors.New("concurrency limit reached")

// Acquire returns an idle warm environment for key, or reserves a slot for
// a cold start (env nil, cold true), or ErrThrottled.
func (p *Pool) Acquire(key Key) (*Env, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for list := p.idle[key]; len(list) > 0; list = p.idle[key] {
		env := list[len(list)-1]
		p.idle[key] = list[:len(list)-1]
		select {
		case <-env.dead:
			p.forgetLocked(env)
			continue
		default:
			p.busy++
			return env, nil
		}
	}
	if p.busy >= p.limit {
		return nil, ErrThrottled
	}
	if p.total >= p.keep {
		p.evictLocked()
	}
	p.total++
	p.busy++
	return nil, nil
}

// evictLocked stops the idle environment that has waited longest, of any
// version.
func (p *Pool) evictLocked() {
	var victimKey Key
	var victim *Env
	for k, list := range p.idle {
		if len(list) > 0 && (victim == nil || list[0].idleSince.Before(victim.idleSince)) {
			victimKey, victim = k, list[0]
		}
	}
	if victim == nil {
		return
	}
	p.idle[victimKey] = p.idle[victimKey][1:]
	if len(p.idle[victimKey]) == 0 {
		delete(p.idle, victimKey)
	}
	p.forgetLocked(victim)
	go victim.stop()
}

func (p *Pool) forgetLocked(env *Env) {
	if p.all[env] {
		delete(p.all, env)
		p.total--
	}
}

// Release puts an environment back once its runtime is waiting for the
// next event again, or forgets it when its process ended.
func (p *Pool) Release(env *Env) {
	select {
	case <-env.ready:
		p.mu.Lock()
		p.busy--
		env.idleSince = time.Now()
		p.idle[env.key] = append(p.idle[env.key], env)
		p.mu.Unlock()
	case <-env.dead:
		p.mu.Lock()
		p.busy--
		p.forgetLocked(env)
		p.mu.Unlock()
	case <-time.After(2 * time.Second):
		p.mu.Lock()
		p.busy--
		p.forgetLocked(env)
		p.mu.Unlock()
		go env.stop()
	}
}

// Unreserve gives back a slot whose cold start failed.
func (p *Pool) Unreserve() {
	p.mu.Lock()
	p.total--
	p.busy--
	p.mu.Unlock()
}

func (p *Pool) CloseAll() {
	p.mu.Lock()
	envs := make([]*Env, 0, len(p.all))
	for e := range p.all {
		envs = append(envs, e)
	}
	p.all, p.idle, p.total, p.busy = map[*Env]bool{}, map[Key][]*Env{}, 0, 0
	p.mu.Unlock()
	for _, e := range envs {
		e.stop()
	}
}

// Unpack extracts a code zip once per blob and returns its folder.
func (p *Pool) Unpack(blob string, zipBytes []byte) (string, error) {
	p.unpackMu.Lock()
	defer p.unpackMu.Unlock()
	dir := filepath.Join(p.dir, blob)
	if _, err := os.Stat(filepath.Join(dir, ".unpacked")); err == nil {
		return dir, nil
	}
	_ = os.RemoveAll(dir)
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return "", err
	}
	budget := &unzipBudget{left: MaxUnzippedBytes}
	for _, f := range zr.File {
		target := filepath.Join(dir, f.Name)
		if !strings.HasPrefix(target, dir+string(os.PathSeparator)) {
			return "", fmt.Errorf("zip entry %q escapes the package", f.Name)
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		mode := f.Mode().Perm()
		if mode == 0 {
			mode = 0o644
		}
		if f.Name == "bootstrap" {
			mode |= 0o111 // Lambda runs bootstrap whatever the zip's mode bits
		}
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
		if err != nil {
			_ = rc.Close()
			return "", err
		}
		err = budget.copy(out, rc)
		_ = rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
	}
	return dir, os.WriteFile(filepath.Join(dir, ".unpacked"), nil, 0o644)
}

// Start launches an environment: its Runtime API listener, then the
// bootstrap process with the environment Lambda sets.
func (p *Pool) Start(key Key, codeDir string, env []string) (*Env, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &Env{key: key, listener: l, next: make(chan *Invocation), dead: make(chan struct{}), ready: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", e.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", e.handleResult(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", e.handleResult(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", e.handleInitError)
	e.server = &http.Server{Handler: runtimeGuard(l.Addr().String(), mux), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.server.Serve(l) }()

	cmd := exec.Command(filepath.Join(codeDir, "bootstrap"))
	cmd.Dir = codeDir
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+l.Addr().String(), "LAMBDA_TASK_ROOT="+codeDir)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		_ = e.server.Close()
		return nil, err
	}
	e.cmd = cmd
	var pipes sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		pipes.Add(1)
		go func(r io.Reader) {
			defer pipes.Done()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				e.mu.Lock()
				e.logBuf.WriteString(sc.Text())
				e.logBuf.WriteByte('\n')
				e.mu.Unlock()
			}
		}(r)
	}
	go func() {
		pipes.Wait()
		err := cmd.Wait()
		e.mu.Lock()
		e.exitErr = err
		if e.exitErr == nil {
			e.exitErr = errCleanExit
		}
		cur := e.current
		e.current = nil
		e.mu.Unlock()
		close(e.dead)
		_ = e.server.Close()
		if cur != nil {
			cur.done <- e.platformError("Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: %s", cur.ID, exitReason(err)))
		}
	}()
	p.mu.Lock()
	p.all[e] = true
	p.mu.Unlock()
	return e, nil
}

// errCleanExit marks a runtime process that exited with status 0.
var errCleanExit = errors.New("exit status 0")

// exitReason is how Lambda reports a runtime process that ended before it
// answered: "Runtime exited without providing a reason" for a clean exit
// (localstack's AWS recordings test_lambda_runtime_exit and
// test_lambda_handler_exit, sys.exit(0), 2025-11-24), otherwise "Runtime
// exited with error: exit status N" (test_lambda_runtime_exit_segfault
// and friends).
func exitReason(err error) string {
	if err == nil || errors.Is(err, errCleanExit) {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + err.Error()
}

// platformError builds the payload Lambda returns for a platform failure,
// or the function's init error when it reported one.
func (e *Env) platformError(errType, msg string) Result {
	e.mu.Lock()
	initErr := e.initErr
	logs := e.logBuf.String()
	e.logBuf.Reset()
	e.mu.Unlock()
	if initErr != nil {
		return Result{Payload: initErr, FunctionError: true, Logs: logs}
	}
	b, _ := json.Marshal(map[string]string{"errorType": errType, "errorMessage": msg})
	return Result{Payload: b, FunctionError: true, Logs: logs}
}

func (e *Env) stop() {
	if e.cmd != nil && e.cmd.Process != nil {
		_ = e.cmd.Process.Kill()
	}
	_ = e.server.Close()
	<-e.dead
}

func (e *Env) handleNext(w http.ResponseWriter, r *http.Request) {
	select {
	case e.ready <- struct{}{}:
	default:
	}
	select {
	case inv := <-e.next:
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

// Run delivers inv and waits for its result, the deadline, or ctx.
func (e *Env) Run(ctx context.Context, inv *Invocation) Result {
	inv.done = make(chan Result, 1)
	start := time.Now()
	timer := time.NewTimer(time.Until(inv.Deadline))
	defer timer.Stop()
	select {
	case e.next <- inv:
		// The readiness that led here is used up; the next one counts.
		select {
		case <-e.ready:
		default:
		}
	case <-e.dead:
		return e.platformError("Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: %s", inv.ID, exitReason(e.exitErr)))
	case <-timer.C:
		e.stop()
		return e.timedOut(inv, start)
	case <-ctx.Done():
		return Result{Payload: []byte(`{"errorType":"Sandbox.Canceled","errorMessage":"the caller went away"}`), FunctionError: true}
	}
	select {
	case res := <-inv.done:
		res.Duration = time.Since(start)
		return res
	case <-timer.C:
		e.stop()
		return e.timedOut(inv, start)
	}
}

func (e *Env) timedOut(inv *Invocation, start time.Time) Result {
	// The process is gone; a result it posted in the last instant is dropped.
	select {
	case res := <-inv.done:
		if !strings.Contains(string(res.Payload), "Runtime.ExitError") {
			res.Duration = time.Since(start)
			return res
		}
	default:
	}
	secs := inv.Deadline.Sub(start).Seconds()
	b, _ := json.Marshal(map[string]string{"errorType": "Sandbox.Timedout",
		"errorMessage": fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.ID, secs)})
	e.mu.Lock()
	logs := e.logBuf.String()
	e.logBuf.Reset()
	e.mu.Unlock()
	return Result{Payload: b, FunctionError: true, Logs: logs, Duration: time.Since(start)}
}

// unzipBudget bounds the bytes an extraction writes in all, counted as
// they are written (zip extraction at invoke).
type unzipBudget struct{ left int64 }

func (b *unzipBudget) copy(dst io.Writer, src io.Reader) error {
	n, err := io.Copy(dst, io.LimitReader(src, b.left+1))
	b.left -= n
	if b.left < 0 {
		return fmt.Errorf("the package inflates to more than %d bytes", MaxUnzippedBytes)
	}
	return err
}
