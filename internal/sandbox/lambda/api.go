package lambda

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/cloudwatch"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/runtime"
	"github.com/rollout-tf/terraform-provider-rollout/internal/sandbox/wire"
)

var (
	functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	aliasNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	numericRE      = regexp.MustCompile(`^[0-9]+$`)
	roleRE         = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
)

const (
	functionNamePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	rolePattern         = `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
	aliasNamePattern    = `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`
	versionPattern      = `(\$LATEST|[0-9]+)`
	maxZipBytes         = 50 << 20 // direct upload limit
)

// runtimes is the enum value set AWS quotes, in its order, when it refuses
// an unknown runtime; deprecatedRuntimes are refused with their own text
// (localstack's AWS recordings test_create_lambda_exceptions
// invalid_runtime_exc and
// test_create_deprecated_function_runtime_with_validation_enabled,
// 2026-01-12).
var (
	runtimes           = []string{"nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x", "nodejs22.x", "java25", "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2", "python3.8", "python3.9", "java17", "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6", "nodejs18.x", "provided.al2", "java8.al2"}
	deprecatedRuntimes = []string{"java8", "go1.x", "provided", "ruby2.7", "nodejs14.x", "python3.7", "dotnetcore3.1", "nodejs12.x"}
)

// validateRuntime refuses a runtime AWS does not offer; nil and "" (not
// given) pass.
func validateRuntime(r *string) *Error {
	if r == nil || *r == "" || slices.Contains(runtimes, *r) || strings.HasPrefix(*r, "arn:") {
		return nil
	}
	if slices.Contains(deprecatedRuntimes, *r) {
		return errInvalidParameter("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.", *r)
	}
	return errInvalidParameter("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s] or be a valid ARN", *r, strings.Join(runtimes, ", "))
}

// API serves the Lambda control plane and runs the code it stores.
type API struct {
	store       *functionStore
	accountID   string
	now         func() time.Time
	settleDelay time.Duration
	objects     ObjectReader
	runtime     *runtime.Pool
	rand        func() float64
	metrics     MetricsRecorder
	handlers    map[string]handler
	inFlight    inFlight
	// provisionedDelay is how long provisioned concurrency stays IN_PROGRESS.
	provisionedDelay time.Duration
}

// MetricsRecorder is all Lambda needs of CloudWatch: somewhere to put the
// metrics of each invocation.
type MetricsRecorder interface {
	RecordInvocation(cloudwatch.Invocation)
}

// ObjectReader is all Lambda needs of S3: the bytes of a package given as
// S3Bucket/S3Key/S3ObjectVersion, and the version read.
type ObjectReader interface {
	ReadObject(bucket, key, version string) ([]byte, string, error)
}

// Deps are the services and settings Lambda works with.
type Deps struct {
	AccountID string
	// Now is the sandbox clock (UTC).
	Now func() time.Time
	// SettleDelay is how long a created or updated function stays Pending
	// or InProgress.
	SettleDelay time.Duration
	Objects     ObjectReader
	Runtime     *runtime.Pool
	// Rand draws the weighted alias routing.
	Rand    func() float64
	Metrics MetricsRecorder
	// ProvisionedDelay is how long provisioned concurrency stays
	// IN_PROGRESS after a Put or a move of the alias's traffic; zero
	// makes it READY on the next read.
	ProvisionedDelay time.Duration
}

// Open loads the functions persisted under dir ("" keeps them in memory)
// and returns the API; recoverLog starts over a log damaged in the middle.
func Open(dir string, recoverLog bool, deps Deps) (*API, error) {
	store, err := openStore(dir, recoverLog)
	if err != nil {
		return nil, err
	}
	api := &API{store: store, accountID: deps.AccountID, now: deps.Now, settleDelay: deps.SettleDelay, objects: deps.Objects,
		runtime: deps.Runtime, rand: deps.Rand, metrics: deps.Metrics, provisionedDelay: deps.ProvisionedDelay}
	api.handlers = api.handlerTable()
	return api, nil
}

// Close closes the data files.
func (api *API) Close() error { return api.store.close() }

// Note is what a request turned out to address, for the call journal.
type Note struct {
	Function  string // function name, when the operation has one
	Qualifier string // version or alias, when given
	// Detail is what the answer said that tests assert on: the Status of
	// a provisioned concurrency configuration.
	Detail string
}

// call carries one request through a handler.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	region string
	route  Route
	note   *Note
}

// Serve answers one Lambda request that Match routed; region is the
// caller's, and note is filled in with the function and qualifier the
// request addressed.
func (api *API) Serve(w http.ResponseWriter, r *http.Request, region string, route Route, note *Note) {
	api.serve(&call{w: w, r: r, region: region, route: route, note: note})
}

func (api *API) functionARN(f *functionRecord) string { return api.arnIn(f.Region, f.Name) }

// arnIn is the unqualified ARN of the function name in region.
func (api *API) arnIn(region, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, api.accountID, name)
}

// resolveRef reads a FunctionName parameter (parseFunctionRef) and
// reconciles its qualifier with ?Qualifier=; operation sets the length
// limit, and region is the caller's: a function ARN of another region is
// not reachable from it.
func resolveRef(raw, queryQualifier, operation, region string) (name, qualifier string, err *Error) {
	if err := validateQualifier(queryQualifier); err != nil {
		return "", "", err
	}
	ref, err := parseFunctionRef(raw, maxFunctionRefLen(operation))
	if err != nil {
		return "", "", err
	}
	qualifier = ref.Qualifier
	if queryQualifier != "" {
		if qualifier != "" && qualifier != queryQualifier {
			return "", "", errInvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		qualifier = queryQualifier
	}
	if ref.Region != "" && region != "" && ref.Region != region {
		return "", "", errOtherRegion(ref.Region, region)
	}
	return ref.Name, qualifier, nil
}

// qualifierRE is the model's pattern for Qualifier as AWS's validator
// quotes it (localstack's AWS recordings of
// test_function_name_and_qualifier_validation, 2025-11-25).
var qualifierRE = regexp.MustCompile(`^(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_$]+)$`)

const qualifierPattern = `\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`

// validateQualifier applies the model's constraints on ?Qualifier=: AWS's
// validator answers a bad or over-long one with a ValidationException,
// before looking anything up.
func validateQualifier(q string) *Error {
	switch {
	case q == "":
		return nil
	case len(q) > 128:
		return errValidation(fmt.Sprintf("Value '%s' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128", q))
	case !qualifierRE.MatchString(q):
		return errValidation(fmt.Sprintf("Value '%s' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", q, qualifierPattern))
	}
	return nil
}

// lookup finds the function of a request, settling pending work first.
// The caller holds the store lock.
func (api *API) lookup(c *call, raw, queryQualifier string) (*functionRecord, string, *Error) {
	name, q, err := resolveRef(raw, queryQualifier, c.route.Operation, c.region)
	if err != nil {
		return nil, "", err
	}
	c.note.Function, c.note.Qualifier = name, q
	f := api.store.functions[name]
	if f == nil {
		// The message keeps the qualifier asked for (localstack's AWS recording
		// test_ops_with_arn_qualifier_mismatch[get_function], 2025-11-25).
		arn := api.arnIn(c.region, name)
		if q != "" {
			arn += ":" + q
		}
		return nil, "", errNotFound(arn)
	}
	if f.settle(api.now()) {
		if err := api.store.save(f); err != nil {
			return nil, "", errService(err)
		}
	}
	return f, q, nil
}

// saved saves f and answers with status and out (no body when out is nil);
// the answer waits for the save to be durable (serve).
func (api *API) saved(c *call, f *functionRecord, status int, out any) *Error {
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	if out == nil {
		c.w.WriteHeader(status)
		return nil
	}
	writeJSON(c.w, status, out)
	return nil
}

func errService(err error) *Error {
	return &Error{Status: 500, Code: "ServiceException", Message: "The sandbox could not complete the request: " + err.Error()}
}

func decodeBody(r *http.Request, into any) *Error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 70<<20))
	if err != nil {
		return &Error{Status: 400, Code: "InvalidRequestContentException", Message: "Could not read request body: " + err.Error()}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, into); err != nil {
		return &Error{Status: 400, Code: "InvalidRequestContentException", Message: "Could not parse request body into json: " + wire.JSONProblem(err)}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ---- configuration output ----

// serveCode answers the Code.Location URL of GetFunction.
func (api *API) ServeCode(w http.ResponseWriter, blob string) {
	blob = strings.TrimSuffix(blob, ".zip")
	b, err := api.store.code(blob)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	_, _ = w.Write(b)
}
