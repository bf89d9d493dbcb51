package lambda

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/cloudwatch"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/runtime"
)

const MaxSyncPayload = 6 * 1024 * 1024

// invokeTarget is what an Invoke resolved to, copied out of the store.
type invokeTarget struct {
	function, region string
	executed         string // version number or $LATEST
	resource         string // the Resource dimension: fn, fn:alias or fn:version
	viaAlias         bool
	invokedARN       string
	cfg              versionRecord
	reserved         *int // the function's reserved concurrency
}

// invocation is the metrics record of one invocation of t.
func (t invokeTarget) invocation(at time.Time, durationMS float64, failed, throttled bool) cloudwatch.Invocation {
	return cloudwatch.Invocation{Function: t.function, Resource: t.resource, ExecutedVersion: t.executed, ViaAlias: t.viaAlias,
		At: at, DurationMS: durationMS, Failed: failed, Throttled: throttled}
}

func (api *API) invoke(c *call) *Error {
	invType := c.r.Header.Get("X-Amz-Invocation-Type")
	switch invType {
	case "":
		invType = "RequestResponse"
	case "RequestResponse", "Event", "DryRun":
	default:
		return errValidation(fmt.Sprintf("Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", invType))
	}
	payload, err := io.ReadAll(io.LimitReader(c.r.Body, MaxSyncPayload+1))
	if err != nil {
		return &Error{Status: 400, Code: "InvalidRequestContentException", Message: "Could not read request body: " + err.Error()}
	}
	if len(payload) > MaxSyncPayload {
		return &Error{Status: 413, Code: "RequestTooLargeException", Message: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxSyncPayload)}
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	t, aerr := api.resolveInvoke(c, c.route.Function, c.r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		return aerr
	}
	dir, aerr := api.prepare(t)
	if aerr != nil {
		return aerr
	}
	c.note.Qualifier = t.executed
	if invType == "DryRun" {
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if invType == "Event" {
		clientContext := c.r.Header.Get("X-Amz-Client-Context")
		go func() {
			// An asynchronous invocation's outcome shows in its metrics only.
			_, _ = api.execute(context.Background(), t, dir, payload, clientContext)
		}()
		c.w.WriteHeader(http.StatusAccepted)
		return nil
	}
	res, aerr := api.execute(c.r.Context(), t, dir, payload, c.r.Header.Get("X-Amz-Client-Context"))
	if aerr != nil {
		return aerr
	}
	h := c.w.Header()
	h.Set("X-Amz-Executed-Version", t.executed)
	if res.FunctionError {
		h.Set("X-Amz-Function-Error", "Unhandled")
	}
	if c.r.Header.Get("X-Amz-Log-Type") == "Tail" {
		logs := res.Logs
		if len(logs) > 4096 {
			logs = logs[len(logs)-4096:]
		}
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(logs)))
	}
	h.Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(res.Payload)
	return nil
}

// prepare unpacks the code t runs and checks that the sandbox can run it;
// it returns the folder the code is in.
func (api *API) prepare(t invokeTarget) (string, *Error) {
	if t.cfg.PackageType == "Image" || !runtime.Runnable(t.cfg.Runtime) {
		what := "a container image"
		if t.cfg.PackageType != "Image" {
			what = "runtime " + t.cfg.Runtime
		}
		return "", &Error{Status: 502, Code: "InvalidRuntimeException", Message: fmt.Sprintf(
			"The sandbox runs zip functions whose package has a bootstrap executable at its root (runtimes provided.al2023 and provided.al2); %s:%s uses %s.",
			t.function, t.executed, what)}
	}
	code, err := api.store.code(t.cfg.CodeBlob)
	if err != nil {
		return "", errService(err)
	}
	dir, err := api.runtime.Unpack(t.cfg.CodeBlob, code)
	if err != nil {
		return "", &Error{Status: 502, Code: "InvalidZipFileException", Message: "Lambda was unable to unzip the deployment package: " + err.Error()}
	}
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		return "", &Error{Status: 502, Code: "InvalidRuntimeException", Message: fmt.Sprintf(
			"The deployment package of %s:%s has no bootstrap executable at its root; the sandbox runs provided.al2023 and provided.al2 functions through bootstrap.", t.function, t.executed)}
	}
	return dir, nil
}

// resolveInvoke picks the version that runs for the FunctionName raw and
// ?Qualifier= qq: the qualifier, or for an alias its primary or, with the
// alias's weight, its extra version.
func (api *API) resolveInvoke(c *call, raw, qq string) (invokeTarget, *Error) {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, q, err := api.lookup(c, raw, qq)
	if err != nil {
		return invokeTarget{}, err
	}
	t := invokeTarget{function: f.Name, region: f.Region, resource: f.Name, invokedARN: api.functionARN(f)}
	var v *versionRecord
	switch {
	case q == "" || q == "$LATEST":
		v, t.executed = f.Latest, "$LATEST"
		if q != "" {
			t.resource, t.invokedARN = f.Name+":$LATEST", t.invokedARN+":$LATEST"
		}
	case isVersionNumber(q):
		v, t.executed = f.findVersion(q), q
		t.resource, t.invokedARN = f.Name+":"+q, t.invokedARN+":"+q
	default:
		a := f.Aliases[q]
		if a == nil {
			return invokeTarget{}, errNotFound(api.functionARN(f) + ":" + q)
		}
		t.executed, t.viaAlias = a.FunctionVersion, true
		t.resource, t.invokedARN = f.Name+":"+q, t.invokedARN+":"+q
		keys := make([]string, 0, len(a.Weights))
		for k := range a.Weights {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		roll := api.rand()
		for _, k := range keys {
			if roll < a.Weights[k] {
				t.executed = k
				break
			}
			roll -= a.Weights[k]
		}
		v = f.findVersion(t.executed)
	}
	if v == nil {
		return invokeTarget{}, errNotFound(api.functionARN(f) + ":" + q)
	}
	if v.State == "Pending" {
		return invokeTarget{}, errPending()
	}
	t.cfg = *v.clone()
	if f.ReservedConcurrency != nil {
		n := *f.ReservedConcurrency
		t.reserved = &n
	}
	return t, nil
}

// execute runs one invocation on a warm or a new environment and records
// its metrics.
func (api *API) execute(ctx context.Context, t invokeTarget, dir string, payload []byte, clientContext string) (runtime.Result, *Error) {
	pool := api.runtime
	now := api.now()
	if !api.inFlight.acquire(t.function, t.reserved) {
		api.metrics.RecordInvocation(t.invocation(now, 0, false, true))
		return runtime.Result{}, errReservedThrottled()
	}
	defer api.inFlight.release(t.function)
	key := runtime.Key{Function: t.function, Version: t.executed, Code: t.cfg.CodeBlob}
	env, err := pool.Acquire(key)
	if err == runtime.ErrThrottled {
		api.metrics.RecordInvocation(t.invocation(now, 0, false, true))
		return runtime.Result{}, &Error{Status: 429, Code: "TooManyRequestsException", Message: "Rate Exceeded.",
			Reason: "ConcurrentInvocationLimitExceeded", RetryAfter: "1"}
	}
	id := uuid.NewString()
	var logs strings.Builder
	fmt.Fprintf(&logs, "START RequestId: %s Version: %s\n", id, t.executed)
	if env == nil {
		env, err = pool.Start(key, dir, api.processEnv(t, dir))
		if err != nil {
			pool.Unreserve()
			res := runtime.Result{Payload: []byte(fmt.Sprintf(`{"errorType":"Runtime.InvalidEntrypoint","errorMessage":%q}`, err.Error())), FunctionError: true}
			api.metrics.RecordInvocation(t.invocation(now, 0, true, false))
			return res, nil
		}
	}
	inv := &runtime.Invocation{ID: id, Payload: payload, Timeout: time.Duration(t.cfg.Timeout) * time.Second, InvokedARN: t.invokedARN, ClientContext: decodeClientContext(clientContext)}
	res := env.Run(ctx, inv)
	// Back to idle once the runtime polls /next again (microseconds), so the
	// environment counts as free for the caller's next request, as on Lambda.
	pool.Release(env)
	ms := float64(res.Duration.Microseconds()) / 1000
	logs.WriteString(res.Logs)
	fmt.Fprintf(&logs, "END RequestId: %s\n", id)
	fmt.Fprintf(&logs, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		id, ms, int(ms)+1, t.cfg.MemorySize, 16)
	if res.InitDuration > 0 {
		// As Lambda does on a cold start.
		fmt.Fprintf(&logs, "Init Duration: %.2f ms\t", float64(res.InitDuration.Microseconds())/1000)
	}
	logs.WriteString("\n")
	res.Logs = logs.String()
	api.metrics.RecordInvocation(t.invocation(now, ms, res.FunctionError, false))
	return res, nil
}

func decodeClientContext(v string) string {
	if v == "" {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// processEnv is the environment Lambda gives a provided.* runtime process
// (never AWS_LAMBDA_MAX_CONCURRENCY, which would make aws-lambda-go poll in parallel).
func (api *API) processEnv(t invokeTarget, dir string) []string {
	env := []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + t.function,
		"AWS_LAMBDA_FUNCTION_VERSION=" + t.executed,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", t.cfg.MemorySize),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + t.function,
		fmt.Sprintf("AWS_LAMBDA_LOG_STREAM_NAME=%s/[%s]%s", time.Now().UTC().Format("2006/01/02"), t.executed, strings.ReplaceAll(uuid.NewString(), "-", "")),
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"_HANDLER=" + t.cfg.Handler,
		"AWS_REGION=" + t.region, "AWS_DEFAULT_REGION=" + t.region,
		"AWS_ACCESS_KEY_ID=AKIDSANDBOXFUNCTION", "AWS_SECRET_ACCESS_KEY=sandbox", "AWS_SESSION_TOKEN=sandbox",
		"LAMBDA_RUNTIME_DIR=" + dir,
		"TZ=:UTC", "LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LD_LIBRARY_PATH=" + dir + "/lib",
	}
	keys := make([]string, 0, len(t.cfg.Environment))
	for k := range t.cfg.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+t.cfg.Environment[k])
	}
	return env
}
