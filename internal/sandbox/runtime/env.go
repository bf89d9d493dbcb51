package runtime

// An execution environment's lifecycle: the bootstrap process, delivering
// an invocation, timeouts and the platform's error answers.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

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
	// initDone is closed at the runtime's first /next, the end of its init
	// (initTook after started); initLimit is how long a cold invoke waits
	// for it before its timeout starts.
	initDone  chan struct{}
	initOnce  sync.Once
	started   time.Time
	initTook  time.Duration
	initLimit time.Duration
	afterSend func(*Env)
	// used is set by the first Run (the pool hands an environment to one
	// invocation at a time).
	used bool
	// idleSince is when it last went idle (guarded by the pool's mu), for
	// evicting the least recently used.
	idleSince time.Time

	mu      sync.Mutex
	current *Invocation
	logBuf  strings.Builder
	initErr []byte
	exitErr error
}

// Start launches an environment: its Runtime API listener, then the
// bootstrap process with the environment Lambda sets.
func (p *Pool) Start(key Key, codeDir string, env []string) (*Env, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &Env{key: key, listener: l, next: make(chan *Invocation), dead: make(chan struct{}), ready: make(chan struct{}, 1),
		initDone: make(chan struct{}), started: time.Now(), initLimit: p.InitLimit, afterSend: p.afterSend}
	e.serveRuntimeAPI()

	cmd, stdout, stderr, err := startBootstrap(codeDir, append(env, "AWS_LAMBDA_RUNTIME_API="+l.Addr().String(), "LAMBDA_TASK_ROOT="+codeDir))
	if err != nil {
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

// busyWait bounds how long a start waits out "text file busy".
const busyWait = 5 * time.Second

// startBootstrap starts codeDir's bootstrap with env. A process forked by
// this one while a bootstrap was being written (unpack) holds that file
// open for writing until its own exec, and an exec of the bootstrap
// meanwhile fails with ETXTBSY ("text file busy", golang/go#22315): the
// start tries again, for at most busyWait, as Lambda has no such failure.
func startBootstrap(codeDir string, env []string) (cmd *exec.Cmd, stdout, stderr io.ReadCloser, err error) {
	deadline := time.Now().Add(busyWait)
	for backoff := 5 * time.Millisecond; ; backoff = min(2*backoff, 200*time.Millisecond) {
		cmd = exec.Command(filepath.Join(codeDir, "bootstrap"))
		cmd.Dir, cmd.Env = codeDir, env
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, nil, nil, err
		}
		if stderr, err = cmd.StderrPipe(); err != nil {
			return nil, nil, nil, err
		}
		if err = cmd.Start(); err == nil || !errors.Is(err, syscall.ETXTBSY) || time.Now().After(deadline) {
			return cmd, stdout, stderr, err
		}
		time.Sleep(backoff)
	}
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

// initEnded marks the end of the init phase: the runtime asked for its
// first event.
func (e *Env) initEnded() {
	e.initOnce.Do(func() {
		e.initTook = time.Since(e.started)
		close(e.initDone)
	})
}

// Run delivers inv and waits for its result, the deadline, or ctx. As on
// Lambda, a new environment's init (until its runtime first asks for an
// event) has a limit of its own, initLimit (10 s); inv's timeout counts
// from the delivery of the event. An init that outlasts its limit goes on
// within the function's timeout (Lambda retries the init then, "with the
// configured function timeout"; the sandbox keeps the same process).
func (e *Env) Run(ctx context.Context, inv *Invocation) Result {
	inv.done = make(chan Result, 1)
	cold := !e.used
	if cold {
		// A cold start: this invoke waits for the init, and reports it.
		e.used = true
		limit := time.NewTimer(e.initLimit)
		select {
		case <-e.initDone:
		case <-limit.C:
		case <-e.dead:
		case <-ctx.Done():
		}
		limit.Stop()
	}
	res := e.deliver(ctx, inv)
	if cold {
		select {
		case <-e.initDone:
			res.InitDuration = e.initTook
		default:
			res.InitDuration = time.Since(e.started)
		}
	}
	return res
}

// deliver hands inv to the runtime and waits for its answer until inv's
// timeout, counted from now.
func (e *Env) deliver(ctx context.Context, inv *Invocation) Result {
	start := time.Now()
	inv.Deadline = start.Add(inv.Timeout)
	timer := time.NewTimer(inv.Timeout)
	defer timer.Stop()
	select {
	case e.next <- inv:
		// The readiness that led here was used up by handleNext, which took
		// the event; the runtime's next return to /next is the one that
		// counts, and may already have happened by now.
		if e.afterSend != nil {
			e.afterSend(e)
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
