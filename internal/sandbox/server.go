// Package sandbox is rollout-sandbox: a local server that speaks the AWS APIs
// the provider uses (Lambda, CloudWatch, S3 with versioning, STS, SQS) with AWS's
// shapes and errors, persists what it stores, and records a journal of the
// calls it answered. It listens on loopback only unless told otherwise.
//
// Each service is its own package (lambda, runtime, cloudwatch, s3, sqs, with wal
// and wire shared); this package composes them: Server dispatches a request
// to its service after the guard, the body limits and the fault rules, and
// answers STS itself. sandboxtest starts one for a test.
package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/cloudwatch"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/esm"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/lambda"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/runtime"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/s3"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sns"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/sqs"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

// DefaultAccountID is the account the sandbox reports unless told otherwise.
const DefaultAccountID = "123456789012"

// Options configure a sandbox.
type Options struct {
	// DataDir persists everything under this folder; "" keeps it in memory.
	DataDir string
	// AccountID appears in ARNs and STS answers.
	AccountID string
	// Region is used for requests that carry no SigV4 scope.
	Region string
	// SettleDelay is how long a created or updated function stays Pending or
	// InProgress. Zero settles on the next request, as the waiters expect.
	SettleDelay time.Duration
	// Faults are injected from the start; FaultSeed makes them repeatable.
	Faults    []Fault
	FaultSeed int64
	// Clock replaces time.Now (tests).
	Clock func() time.Time
	// ProvisionedDelay is how long provisioned concurrency stays
	// IN_PROGRESS after a Put or a move of the alias's traffic; zero makes
	// it READY on the next read.
	ProvisionedDelay time.Duration
	// MaxConcurrency caps the invocations running at once (the account's
	// concurrency); beyond it Invoke throttles (429) as Lambda does.
	// Default 64.
	MaxConcurrency int
	// RuntimeReadyWait is how long an environment that answered may take
	// to ask for its next event before it is replaced (default 2s); tests
	// that count cold starts on a loaded machine raise it.
	RuntimeReadyWait time.Duration
	// JournalLimit is how many answered calls the journal holds (default
	// DefaultJournalLimit); older ones are dropped.
	JournalLimit int
	// MaxEnvironments caps the execution environments kept, busy or warm
	// and idle (rollout-sandbox serve --max-environments); beyond it the
	// least recently used idle one is stopped. Default 128, and never
	// below MaxConcurrency.
	MaxEnvironments int
	// RuntimeDir holds unpacked code; "" uses a temporary folder.
	RuntimeDir string
	// RoutingSeed seeds the weighted alias routing draws.
	RoutingSeed int64
	// AllowRemote answers requests addressed to any Host, not only to
	// loopback names (rollout-sandbox serve --allow-remote).
	AllowRemote bool
	// AllowUnsigned answers requests that carry no SigV4 signature, for
	// clients that cannot sign (rollout-sandbox serve --allow-unsigned).
	// The Host and Origin rules still hold; see guard.go.
	AllowUnsigned bool
	// MaxConnections caps the open connections (default 512): beyond it an
	// idle keep-alive connection is closed to make room, or the newcomer
	// is answered 503.
	MaxConnections int
	// BodyReadTimeout is how long a request body (or an answer) may make
	// no progress before the connection is cut (default 30s).
	BodyReadTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long (default 60s).
	IdleTimeout time.Duration
	// RecoverCorruptLog starts over a write-ahead log damaged in the middle
	// (rollout-sandbox serve --recover-corrupt-log): the records before the
	// damage load, the rest of the file is moved to <log>.corrupt-<offset>.
	// Without it such a log stops the start with an error naming the offset.
	RecoverCorruptLog bool
	// AlarmEvaluationInterval is how often the background evaluator looks
	// for alarms whose period has passed (default 1s; alarms are evaluated
	// on their own period, by the sandbox clock).
	AlarmEvaluationInterval time.Duration
}

// The execution environment pool's defaults: 40 live versions under the
// demo's load stay warm (one environment each) with room to spare; each
// idle environment is one sleeping process of a few MB.
const (
	defaultMaxConcurrency  = 64
	defaultMaxEnvironments = 128
)

// Server is one sandbox; it is an http.Handler.
type Server struct {
	accountID     string
	region        string
	allowRemote   bool
	allowUnsigned bool
	maxConns      int
	bodyTimeout   time.Duration
	idleTimeout   time.Duration
	settleDelay   time.Duration
	clock         func() time.Time

	lambda     *lambda.API
	s3         *s3.Service
	cloudwatch *cloudwatch.Service
	sns        *sns.Service
	sqs        *sqs.Service
	esm        *esm.Manager
	runtime    *runtime.Pool
	runtimeTmp string
	rngMu      sync.Mutex
	rng        *rand.Rand
	faults     *faultSet
	Journal    *Journal

	closeOnce sync.Once
	hookMu    sync.Mutex
	hook      func(Call)
	beforeOne func(Call)
}

// BeforeRequest installs a function run when a request's operation is
// known and before it is handled (Function and Qualifier are not filled in
// yet); tests use it to act as a concurrent writer just before a call.
// nil removes it.
func (s *Server) BeforeRequest(hook func(Call)) {
	s.hookMu.Lock()
	s.beforeOne = hook
	s.hookMu.Unlock()
}

func (s *Server) before(call Call) {
	s.hookMu.Lock()
	hook := s.beforeOne
	s.hookMu.Unlock()
	if hook != nil {
		hook(call)
	}
}

// OnAnswered installs a function run after each call is handled and before
// its answer reaches the client; tests use it to act as a concurrent writer
// at an exact point. nil removes it.
func (s *Server) OnAnswered(hook func(Call)) {
	s.hookMu.Lock()
	s.hook = hook
	s.hookMu.Unlock()
}

// New opens (or creates) the sandbox's data and returns the server.
func New(opts Options) (*Server, error) {
	s := &Server{
		accountID: opts.AccountID, region: opts.Region, settleDelay: opts.SettleDelay,
		clock: opts.Clock, faults: newFaultSet(opts.FaultSeed), Journal: NewJournal(opts.JournalLimit),
		allowRemote: opts.AllowRemote, allowUnsigned: opts.AllowUnsigned,
		maxConns: opts.MaxConnections, bodyTimeout: opts.BodyReadTimeout, idleTimeout: opts.IdleTimeout,
	}
	if s.maxConns <= 0 {
		s.maxConns = defaultMaxConnections
	}
	if s.bodyTimeout <= 0 {
		s.bodyTimeout = defaultBodyReadTimeout
	}
	if s.idleTimeout <= 0 {
		s.idleTimeout = defaultIdleTimeout
	}
	if s.accountID == "" {
		s.accountID = DefaultAccountID
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.faults.set(opts.Faults)
	s.cloudwatch = cloudwatch.New(s.now, s.region, s.accountID)
	s.sns = sns.New(s.now, s.region, s.accountID)
	s.sqs = sqs.New(s.now, s.region, s.accountID)
	s.sqs.SetMetrics(s.cloudwatch)
	s.rng = rand.New(rand.NewSource(opts.RoutingSeed))
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = defaultMaxConcurrency
	}
	if opts.MaxEnvironments <= 0 {
		opts.MaxEnvironments = defaultMaxEnvironments
	}
	runtimeDir := opts.RuntimeDir
	if runtimeDir == "" {
		d, err := os.MkdirTemp("", "rollout-sandbox-runtime-")
		if err != nil {
			return nil, err
		}
		runtimeDir, s.runtimeTmp = d, d
	}
	s.runtime = runtime.NewPool(runtimeDir, opts.MaxConcurrency, opts.MaxEnvironments)
	if opts.RuntimeReadyWait > 0 {
		s.runtime.ReadyWait = opts.RuntimeReadyWait
	}
	lambdaDir, s3Dir := "", ""
	if opts.DataDir != "" {
		lambdaDir, s3Dir = filepath.Join(opts.DataDir, "lambda"), filepath.Join(opts.DataDir, "s3")
	}
	if opts.DataDir != "" {
		if err := s.cloudwatch.Open(filepath.Join(opts.DataDir, "cloudwatch"), opts.RecoverCorruptLog); err != nil {
			return nil, fmt.Errorf("opening CloudWatch data: %w", err)
		}
		if err := s.sqs.Open(filepath.Join(opts.DataDir, "sqs"), opts.RecoverCorruptLog); err != nil {
			return nil, fmt.Errorf("opening SQS data: %w", err)
		}
	}
	if opts.DataDir != "" {
		if err := s.sns.Open(filepath.Join(opts.DataDir, "sns"), opts.RecoverCorruptLog); err != nil {
			return nil, fmt.Errorf("opening SNS data: %w", err)
		}
	}
	if opts.AlarmEvaluationInterval <= 0 {
		opts.AlarmEvaluationInterval = time.Second
	}
	var err error
	s.s3, err = s3.Open(s3Dir, s.now, opts.RecoverCorruptLog)
	if err != nil {
		return nil, fmt.Errorf("opening S3 data: %w", err)
	}
	s.lambda, err = lambda.Open(lambdaDir, opts.RecoverCorruptLog, lambda.Deps{AccountID: s.accountID, Now: s.now, SettleDelay: s.settleDelay,
		Objects: s.s3, Runtime: s.runtime, Rand: s.rand, Metrics: s.cloudwatch, ProvisionedDelay: opts.ProvisionedDelay})
	if err != nil {
		return nil, fmt.Errorf("opening Lambda data: %w", err)
	}
	esmDir := ""
	if opts.DataDir != "" {
		esmDir = filepath.Join(opts.DataDir, "esm")
	}
	s.esm, err = esm.Open(esmDir, opts.RecoverCorruptLog, esm.Deps{AccountID: s.accountID, Now: s.now, Functions: s.lambda, Queues: s.sqs})
	if err != nil {
		return nil, fmt.Errorf("opening event source mapping data: %w", err)
	}
	if err := s.esm.Start(); err != nil {
		return nil, fmt.Errorf("resuming event source mappings: %w", err)
	}
	s.cloudwatch.StartEvaluator(opts.AlarmEvaluationInterval)
	s.sqs.StartSampler(opts.AlarmEvaluationInterval) // on the same tick: the queues' minute samples
	return s, nil
}

func (s *Server) now() time.Time { return s.clock().UTC() }

// OnAlarmStateChange installs a function called when the background
// evaluation changes an alarm's state (tests). nil removes it.
func (s *Server) OnAlarmStateChange(hook func(name, state string)) {
	s.cloudwatch.OnAlarmStateChange(hook)
}

// EventSourcePollers is the number of event source mapping pollers (and
// transitions settling) running; zero once the server is closed.
func (s *Server) EventSourcePollers() int { return s.esm.Running() }

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(faults []Fault) { s.faults.set(faults) }

// Close releases the data files.
func (s *Server) Close() error {
	// The pollers first: they invoke functions and write to the queues.
	eerr := s.esm.Close()
	s.runtime.CloseAll()
	if s.runtimeTmp != "" {
		_ = os.RemoveAll(s.runtimeTmp)
	}
	err := s.s3.Close()
	if lerr := s.lambda.Close(); err == nil {
		err = lerr
	}
	if serr := s.sns.Close(); err == nil {
		err = serr
	}
	var merr error
	s.closeOnce.Do(func() {
		// SQS first: its sampler writes metrics into CloudWatch.
		merr = s.sqs.Close()
		if cerr := s.cloudwatch.Close(); merr == nil {
			merr = cerr
		}
	})
	if err == nil {
		err = merr
	}
	if err == nil {
		err = eerr
	}
	return err
}

// ServeHTTP dispatches by path (Lambda's versioned paths), then by the
// SigV4 service (sts), and sends the rest to S3.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.serveInternal(w, r)
		return
	}
	if why := s.checkRequest(r); why != "" {
		service := s.refuse(w, r, why)
		s.Journal.add(Call{Time: s.now(), Service: service, Status: http.StatusForbidden, Refused: string(why)})
		return
	}
	progress := s.guardBody(w, r)
	who := parseCaller(r, s.region)
	call := Call{Time: s.now(), AccessKey: who.AccessKey, Region: who.Region}
	rec := &statusRecorder{ResponseWriter: w, progress: progress}
	defer func() {
		call.Status = rec.status
		s.Journal.add(call)
		s.hookMu.Lock()
		hook := s.hook
		s.hookMu.Unlock()
		if hook != nil {
			hook(call)
		}
	}()

	if op, id, ok := esm.Match(r); ok {
		call.Service, call.Operation = "lambda", op
		if err := bufferBody(r, lambda.BodyLimit(op)); err != nil {
			lambda.WriteError(rec, lambda.BodyError(op, errors.Is(err, errBodyTooLarge)))
			return
		}
		s.before(call)
		if !s.inject(rec, &call, "") {
			note := s.esm.Serve(rec, r, who.Region, op, id)
			call.Function, call.Qualifier, call.Detail = note.Function, note.Qualifier, note.State
		}
		return
	}
	if route, ok := lambda.Match(r); ok {
		call.Service, call.Operation = "lambda", route.Operation
		if err := bufferBody(r, lambda.BodyLimit(route.Operation)); err != nil {
			lambda.WriteError(rec, lambda.BodyError(route.Operation, errors.Is(err, errBodyTooLarge)))
			return
		}
		s.before(call)
		if !s.inject(rec, &call, pathFunction(r.URL.EscapedPath())) {
			var note lambda.Note
			s.lambda.Serve(rec, r, who.Region, route, &note)
			call.Function, call.Qualifier, call.Detail = note.Function, note.Qualifier, note.Detail
		}
		return
	}
	if proto, op, ok := cloudwatch.Route(r, who.Service); ok && proto != cloudwatch.Query {
		call.Service, call.Operation = "cloudwatch", op
		if err := bufferCompressedBody(r, maxQueryBody); err != nil {
			cloudwatch.WriteError(rec, proto, cwBodyError(err))
			return
		}
		s.serveCloudWatch(rec, r, proto, op, &call)
		return
	}
	if op, ok := sqs.Route(r); ok {
		call.Service, call.Operation = "sqs", op
		if err := bufferCompressedBody(r, maxQueryBody); err != nil {
			e := cwBodyError(err)
			sqs.WriteError(rec, sqs.JSON, &sqs.Error{Status: e.Status, Shape: e.Code, Code: e.Code, Message: e.Message})
			return
		}
		s.serveSQS(rec, r, sqs.JSON, op, &call)
		return
	}
	if r.Method == http.MethodPost && (r.URL.Path == "/" || who.Service == "sqs") && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := bufferCompressedBody(r, maxQueryBody); err != nil {
			e := cwBodyError(err)
			writeQueryError(rec, e.Status, e.Code, e.Message)
			return
		}
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		r.Body = io.NopCloser(bytes.NewReader(body))
		switch form.Get("Version") {
		case "2011-06-15":
			r.PostForm = form
			call.Service, call.Operation = "sts", form.Get("Action")
			if !s.inject(rec, &call, "") {
				s.serveSTS(rec, r)
			}
			return
		case sns.Version:
			call.Service, call.Operation = "sns", form.Get("Action")
			s.sns.SetBaseURL("http://" + r.Host)
			if !s.inject(rec, &call, "") {
				s.sns.Serve(rec, form, who.Region)
			}
			return
		case "2010-08-01":
			call.Service = "cloudwatch"
			s.serveCloudWatch(rec, r, cloudwatch.Query, "", &call)
			return
		case sqs.QueryVersion:
			call.Service = "sqs"
			s.serveSQS(rec, r, sqs.Query, "", &call)
			return
		}
	}
	call.Service, call.Operation = "s3", s3.Operation(r)
	if !s.inject(rec, &call, "") {
		s.s3.ServeHTTP(rec, r)
	}
}

// serveCloudWatch hands a CloudWatch request to its service, with the
// fault rules applied once the operation is known.
func (s *Server) serveCloudWatch(w http.ResponseWriter, r *http.Request, proto cloudwatch.Protocol, op string, call *Call) {
	s.cloudwatch.Serve(w, r, proto, op, func(op string) *cloudwatch.Error {
		call.Operation = op
		return s.cloudWatchFault(call)
	})
}

// serveSQS hands an SQS request to its service, with the fault rules
// applied once the operation is known.
func (s *Server) serveSQS(w http.ResponseWriter, r *http.Request, proto sqs.Protocol, op string, call *Call) {
	s.sqs.Serve(w, r, proto, op, func(op string) *sqs.Error {
		call.Operation = op
		s.before(*call)
		delay, f := s.faults.pick(call.Service, call.Operation, "")
		if delay > 0 {
			time.Sleep(delay)
		}
		if f == nil {
			return nil
		}
		call.Fault = f.String()
		if f.Kind == FaultThrottle {
			return sqs.Throttling()
		}
		return sqs.InternalFault("An internal error occurred (injected by the sandbox).")
	})
}

// cloudWatchFault applies the fault rules to a CloudWatch request and
// returns the injected fault, if any, as a CloudWatch error.
func (s *Server) cloudWatchFault(call *Call) *cloudwatch.Error {
	delay, f := s.faults.pick(call.Service, call.Operation, "")
	if delay > 0 {
		time.Sleep(delay)
	}
	if f == nil {
		return nil
	}
	call.Fault = f.String()
	if f.Kind == FaultThrottle {
		return cloudwatch.Throttling()
	}
	return cloudwatch.InternalFault("An internal error occurred (injected by the sandbox).")
}

// inject applies the fault rules to a request; it reports whether it
// answered the request itself.
func (s *Server) inject(w http.ResponseWriter, call *Call, function string) bool {
	delay, f := s.faults.pick(call.Service, call.Operation, function)
	if delay > 0 {
		time.Sleep(delay)
	}
	if f == nil {
		return false
	}
	call.Fault = f.String()
	switch call.Service {
	case "lambda":
		if f.Kind == FaultThrottle {
			lambda.WriteError(w, &lambda.Error{Status: 429, Code: "TooManyRequestsException", Message: "Rate exceeded",
				Reason: "CallerRateLimitExceeded", RetryAfter: "1"})
		} else {
			lambda.WriteError(w, &lambda.Error{Status: 500, Code: "ServiceException", Message: "An internal error occurred (injected by the sandbox)."})
		}
	case "sns":
		if f.Kind == FaultThrottle {
			sns.WriteError(w, &sns.Error{Status: 400, Code: "Throttled", Message: "Rate exceeded"})
		} else {
			sns.WriteError(w, &sns.Error{Status: 500, Code: "InternalError", Message: "An internal error occurred (injected by the sandbox)."})
		}
	case "sts":
		if f.Kind == FaultThrottle {
			writeQueryError(w, 400, "Throttling", "Rate exceeded")
		} else {
			writeQueryError(w, 500, "InternalFailure", "An internal error occurred (injected by the sandbox).")
		}
	default:
		s3.WriteFault(w, f.Kind == FaultThrottle)
	}
	return true
}

type statusRecorder struct {
	http.ResponseWriter
	status   int
	progress progressWriter
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.progress.extend()
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ---- running it ----

// CheckListenAddr refuses an address that is not loopback unless allowRemote.
func CheckListenAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w (use host:port, for example 127.0.0.1:4599)", addr, err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address: the sandbox accepts any credentials, so it only listens on 127.0.0.1 or ::1 unless --allow-remote is given", addr)
	}
	return nil
}

// Serve runs the sandbox on l until ctx is cancelled, then shuts down
// gracefully (in-flight requests finish) and closes the data files.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{}
	l = s.Attach(hs, l)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		_ = s.Close()
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdownCtx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// ---- STS ----

func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request) {
	action := r.PostForm.Get("Action")
	if action != "GetCallerIdentity" {
		writeQueryError(w, 400, "InvalidAction", fmt.Sprintf("Could not find operation %s for version 2011-06-15", action))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::%[1]s:user/rollout-sandbox</Arn>
    <UserId>AIDAROLLOUTSANDBOX</UserId>
    <Account>%[1]s</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>%[2]s</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, s.accountID, w.Header().Get("x-amzn-RequestId"))
}

func writeQueryError(w http.ResponseWriter, status int, code, message string) {
	message = wire.XMLEscape(wire.Clip(message, wire.MaxErrorMessage))
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		typ, code, message, w.Header().Get("x-amzn-RequestId"))
}

// rand is the source of alias routing draws.
func (s *Server) rand() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}
