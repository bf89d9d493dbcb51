package lambda

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// Route is one parsed Lambda request.
type Route struct {
	Operation string
	Function  string // raw FunctionName path parameter (decoded)
	Alias     string
	Resource  string // ARN for the tagging API
}

// Match maps method and path to the Lambda operation; ok is false
// when the path is not Lambda's.
func Match(r *http.Request) (Route, bool) {
	segs := wire.SplitPath(r.URL.EscapedPath())
	if len(segs) < 2 {
		return Route{}, false
	}
	m := r.Method
	switch {
	case segs[0] == "2017-03-31" && segs[1] == "tags" && len(segs) == 3:
		op := map[string]string{"GET": "ListTags", "POST": "TagResource", "DELETE": "UntagResource"}[m]
		return Route{Operation: op, Resource: segs[2]}, true
	case segs[0] == "2020-06-30" && segs[1] == "functions" && len(segs) == 4 && segs[3] == "code-signing-config":
		op := ""
		if m == "GET" {
			op = "GetFunctionCodeSigningConfig"
		}
		return Route{Operation: op, Function: segs[2]}, true
	case segs[0] != "2015-03-31" || segs[1] != "functions":
		return Route{}, false
	}
	rt := Route{}
	if len(segs) >= 3 {
		rt.Function = segs[2]
	}
	switch len(segs) {
	case 2:
		rt.Operation = map[string]string{"POST": "CreateFunction", "GET": "ListFunctions"}[m]
	case 3:
		rt.Operation = map[string]string{"GET": "GetFunction", "DELETE": "DeleteFunction"}[m]
	case 4:
		switch segs[3] {
		case "configuration":
			rt.Operation = map[string]string{"GET": "GetFunctionConfiguration", "PUT": "UpdateFunctionConfiguration"}[m]
		case "code":
			rt.Operation = map[string]string{"PUT": "UpdateFunctionCode"}[m]
		case "versions":
			rt.Operation = map[string]string{"POST": "PublishVersion", "GET": "ListVersionsByFunction"}[m]
		case "aliases":
			rt.Operation = map[string]string{"POST": "CreateAlias", "GET": "ListAliases"}[m]
		case "invocations":
			rt.Operation = map[string]string{"POST": "Invoke"}[m]
		}
	case 5:
		if segs[3] == "aliases" {
			rt.Alias = segs[4]
			rt.Operation = map[string]string{"GET": "GetAlias", "PUT": "UpdateAlias", "DELETE": "DeleteAlias"}[m]
		}
	}
	return rt, true
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
}

// Open loads the functions persisted under dir ("" keeps them in memory)
// and returns the API; recoverLog starts over a log damaged in the middle.
func Open(dir string, recoverLog bool, deps Deps) (*API, error) {
	store, err := openStore(dir, recoverLog)
	if err != nil {
		return nil, err
	}
	return &API{store: store, accountID: deps.AccountID, now: deps.Now, settleDelay: deps.SettleDelay, objects: deps.Objects,
		runtime: deps.Runtime, rand: deps.Rand, metrics: deps.Metrics}, nil
}

// Close closes the data files.
func (api *API) Close() error { return api.store.close() }

// Note is what a request turned out to address, for the call journal.
type Note struct {
	Function  string // function name, when the operation has one
	Qualifier string // version or alias, when given
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

func (api *API) serve(c *call) {
	// The answer is held back until every change it may reflect is durable.
	out := c.w
	held := &heldResponse{header: http.Header{}}
	c.w = held
	defer func() {
		if derr := api.store.durable(); derr != nil {
			WriteError(out, errService(derr))
			return
		}
		held.flush(out)
	}()
	var err *Error
	switch c.route.Operation {
	case "CreateFunction":
		err = api.createFunction(c)
	case "ListFunctions":
		err = api.listFunctions(c)
	case "GetFunction":
		err = api.getFunction(c, true)
	case "GetFunctionConfiguration":
		err = api.getFunction(c, false)
	case "DeleteFunction":
		err = api.deleteFunction(c)
	case "UpdateFunctionCode":
		err = api.updateFunctionCode(c)
	case "UpdateFunctionConfiguration":
		err = api.updateFunctionConfiguration(c)
	case "PublishVersion":
		err = api.publishVersion(c)
	case "ListVersionsByFunction":
		err = api.listVersions(c)
	case "CreateAlias":
		err = api.createAlias(c)
	case "GetAlias":
		err = api.getAlias(c)
	case "UpdateAlias":
		err = api.updateAlias(c)
	case "DeleteAlias":
		err = api.deleteAlias(c)
	case "ListAliases":
		err = api.listAliases(c)
	case "ListTags", "TagResource", "UntagResource":
		err = api.tags(c)
	case "GetFunctionCodeSigningConfig":
		err = api.getCodeSigningConfig(c)
	case "Invoke":
		err = api.invoke(c)
	default:
		err = &Error{Status: 404, Code: "UnknownOperationException", Message: "Unknown operation " + c.r.Method + " " + c.r.URL.Path}
	}
	if err != nil {
		WriteError(c.w, err)
	}
}

func (api *API) functionARN(f *functionRecord) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", f.Region, api.accountID, f.Name)
}

// resolveRef splits a FunctionName parameter (name, partial ARN or ARN,
// each with an optional :qualifier) and reconciles it with ?Qualifier=;
// region is the caller's.
func resolveRef(raw, queryQualifier, region string) (name, qualifier string, err *Error) {
	if err := validateQualifier(queryQualifier); err != nil {
		return "", "", err
	}
	name = raw
	parts := strings.Split(raw, ":")
	arnRegion := ""
	switch {
	case strings.HasPrefix(raw, "arn:") && len(parts) >= 7 && len(parts) <= 8 && parts[2] == "lambda" && parts[5] == "function":
		name, arnRegion = parts[6], parts[3]
		if len(parts) == 8 {
			qualifier = parts[7]
		}
	case len(parts) >= 3 && len(parts) <= 4 && parts[1] == "function":
		name = parts[2]
		if len(parts) == 4 {
			qualifier = parts[3]
		}
	case len(parts) == 2:
		name, qualifier = parts[0], parts[1]
	case len(parts) == 1:
	default:
		return "", "", errValidation(fmt.Sprintf("Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", raw, functionNamePattern))
	}
	if !functionNameRE.MatchString(name) || (qualifier != "" && qualifier != "$LATEST" && !aliasNameRE.MatchString(qualifier)) {
		return "", "", errValidation(fmt.Sprintf("Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", raw, functionNamePattern))
	}
	if queryQualifier != "" {
		if qualifier != "" && qualifier != queryQualifier {
			return "", "", errInvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		qualifier = queryQualifier
	}
	if arnRegion != "" && region != "" && arnRegion != region {
		return "", "", errOtherRegion(arnRegion, region)
	}
	return name, qualifier, nil
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
	name, q, err := resolveRef(raw, queryQualifier, c.region)
	if err != nil {
		return nil, "", err
	}
	c.note.Function, c.note.Qualifier = name, q
	f := api.store.functions[name]
	if f == nil {
		// The message keeps the qualifier asked for (localstack's AWS recording
		// test_ops_with_arn_qualifier_mismatch[get_function], 2025-11-25).
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.region, api.accountID, name)
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

type functionConfigurationOut struct {
	FunctionName               string            `json:"FunctionName"`
	FunctionArn                string            `json:"FunctionArn"`
	Runtime                    string            `json:"Runtime,omitempty"`
	Role                       string            `json:"Role"`
	Handler                    string            `json:"Handler,omitempty"`
	CodeSize                   int64             `json:"CodeSize"`
	Description                string            `json:"Description"`
	Timeout                    int32             `json:"Timeout"`
	MemorySize                 int32             `json:"MemorySize"`
	LastModified               string            `json:"LastModified"`
	CodeSha256                 string            `json:"CodeSha256"`
	Version                    string            `json:"Version"`
	Environment                *environmentOut   `json:"Environment,omitempty"`
	TracingConfig              map[string]string `json:"TracingConfig"`
	RevisionID                 string            `json:"RevisionId"`
	Layers                     []layerOut        `json:"Layers,omitempty"`
	State                      string            `json:"State,omitempty"` // absent from ListVersionsByFunction items
	StateReason                string            `json:"StateReason,omitempty"`
	StateReasonCode            string            `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string            `json:"LastUpdateStatus,omitempty"`
	LastUpdateStatusReason     string            `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string            `json:"LastUpdateStatusReasonCode,omitempty"`
	PackageType                string            `json:"PackageType"`
	Architectures              []string          `json:"Architectures"`
	EphemeralStorage           map[string]int32  `json:"EphemeralStorage"`
	SnapStart                  map[string]string `json:"SnapStart"`
	LoggingConfig              map[string]string `json:"LoggingConfig"`
}

type environmentOut struct {
	Variables map[string]string `json:"Variables"`
}

type layerOut struct {
	Arn      string `json:"Arn"`
	CodeSize int64  `json:"CodeSize"`
}

// configOut renders v; arnQualifier is appended to the ARN when not empty.
func (api *API) configOut(f *functionRecord, v *versionRecord, arnQualifier string) functionConfigurationOut {
	arn := api.functionARN(f)
	if arnQualifier != "" {
		arn += ":" + arnQualifier
	}
	out := functionConfigurationOut{
		FunctionName: f.Name, FunctionArn: arn, Runtime: v.Runtime, Role: v.Role, Handler: v.Handler,
		CodeSize: v.CodeSize, Description: v.Description, Timeout: v.Timeout, MemorySize: v.MemorySize,
		LastModified: v.LastModified.UTC().Format(lastModifiedLayout), CodeSha256: v.CodeSha256, Version: v.Version,
		TracingConfig: map[string]string{"Mode": v.TracingMode}, RevisionID: v.RevisionID,
		State: v.State, StateReason: v.StateReason, StateReasonCode: v.StateReasonCode,
		LastUpdateStatus: v.LastUpdateStatus, LastUpdateStatusReason: v.LastUpdateStatusReason,
		LastUpdateStatusReasonCode: v.LastUpdateStatusReasonCode,
		PackageType:                v.PackageType, Architectures: v.Architectures,
		EphemeralStorage: map[string]int32{"Size": v.EphemeralSize},
		SnapStart:        map[string]string{"ApplyOn": "None", "OptimizationStatus": "Off"},
		LoggingConfig:    map[string]string{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + f.Name},
	}
	if len(v.Environment) > 0 || v.EnvironmentSet {
		vars := v.Environment
		if vars == nil {
			vars = map[string]string{}
		}
		out.Environment = &environmentOut{Variables: vars}
	}
	for _, l := range v.Layers {
		out.Layers = append(out.Layers, layerOut{Arn: l})
	}
	return out
}

// ---- create / update ----

type codeIn struct {
	ZipFile         []byte `json:"ZipFile"`
	S3Bucket        string `json:"S3Bucket"`
	S3Key           string `json:"S3Key"`
	S3ObjectVersion string `json:"S3ObjectVersion"`
	ImageURI        string `json:"ImageUri"`
}

type configIn struct {
	Role        *string `json:"Role"`
	Runtime     *string `json:"Runtime"`
	Handler     *string `json:"Handler"`
	Description *string `json:"Description"`
	Timeout     *int32  `json:"Timeout"`
	MemorySize  *int32  `json:"MemorySize"`
	Environment *struct {
		Variables map[string]string `json:"Variables"`
	} `json:"Environment"`
	Layers        *[]string `json:"Layers"`
	TracingConfig *struct {
		Mode string `json:"Mode"`
	} `json:"TracingConfig"`
	EphemeralStorage *struct {
		Size int32 `json:"Size"`
	} `json:"EphemeralStorage"`
	RevisionID string `json:"RevisionId"`
}

// validateConfig returns the ValidationException problems of the members set.
func validateConfig(in configIn, architectures []string) []string {
	var p []string
	if in.Role != nil && !roleRE.MatchString(*in.Role) {
		p = append(p, fmt.Sprintf("Value '%s' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", *in.Role, rolePattern))
	}
	if in.Description != nil && len(*in.Description) > 256 {
		p = append(p, fmt.Sprintf("Value '%s' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256", *in.Description))
	}
	if in.MemorySize != nil {
		if *in.MemorySize < 128 {
			p = append(p, fmt.Sprintf("Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128", *in.MemorySize))
		} else if *in.MemorySize > 10240 {
			p = append(p, fmt.Sprintf("Value '%d' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240", *in.MemorySize))
		}
	}
	if in.Timeout != nil {
		if *in.Timeout < 1 {
			p = append(p, fmt.Sprintf("Value '%d' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Timeout))
		} else if *in.Timeout > 900 {
			p = append(p, fmt.Sprintf("Value '%d' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900", *in.Timeout))
		}
	}
	if architectures != nil {
		if len(architectures) != 1 {
			p = append(p, fmt.Sprintf("Value '[%s]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1", strings.Join(architectures, ", ")))
		} else if a := architectures[0]; a != "x86_64" && a != "arm64" {
			p = append(p, fmt.Sprintf("Value '[%s]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]", a))
		}
	}
	return p
}

func applyConfig(v *versionRecord, in configIn) {
	if in.Role != nil {
		v.Role = *in.Role
	}
	if in.Runtime != nil {
		v.Runtime = *in.Runtime
	}
	if in.Handler != nil {
		v.Handler = *in.Handler
	}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.Timeout != nil {
		v.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		v.MemorySize = *in.MemorySize
	}
	if in.Environment != nil {
		v.Environment, v.EnvironmentSet = nil, true
		if len(in.Environment.Variables) > 0 {
			v.Environment = in.Environment.Variables
		}
	}
	if in.Layers != nil {
		v.Layers = append([]string(nil), (*in.Layers)...)
	}
	if in.TracingConfig != nil && in.TracingConfig.Mode != "" {
		v.TracingMode = in.TracingConfig.Mode
	}
	if in.EphemeralStorage != nil && in.EphemeralStorage.Size != 0 {
		v.EphemeralSize = in.EphemeralStorage.Size
	}
}

// loadCode resolves the code of a create or update: a zip (inline or from
// the sandbox's S3) or an image URI. It stores the zip and fills v's code fields.
func (api *API) loadCode(v *versionRecord, code codeIn) *Error {
	sources := 0
	if len(code.ZipFile) > 0 {
		sources++
	}
	if code.S3Bucket != "" || code.S3Key != "" {
		sources++
	}
	if code.ImageURI != "" {
		sources++
	}
	if sources != 1 {
		return errInvalidParameter("Please provide a source for function code.")
	}
	if code.ImageURI != "" {
		sum := sha256.Sum256([]byte(code.ImageURI))
		v.PackageType, v.ImageURI, v.CodeSize, v.CodeBlob = "Image", code.ImageURI, 0, ""
		v.CodeSha256 = fmt.Sprintf("%x", sum[:])
		return nil
	}
	zipBytes := code.ZipFile
	if code.S3Bucket != "" || code.S3Key != "" {
		if code.S3Bucket == "" || code.S3Key == "" {
			return errInvalidParameter("Please provide a source for function code.")
		}
		b, s3code, err := api.objects.ReadObject(code.S3Bucket, code.S3Key, code.S3ObjectVersion)
		if err != nil {
			switch s3code {
			case "NoSuchBucket":
				return errInvalidParameter("Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist")
			case "NoSuchKey", "NoSuchVersion":
				return errInvalidParameter("Error occurred while GetObject. S3 Error Code: %s. S3 Error Message: The specified key does not exist.", s3code)
			}
			return errService(err)
		}
		zipBytes = b
	}
	if len(zipBytes) > maxZipBytes && len(code.ZipFile) > 0 {
		return &Error{Status: 413, Code: "RequestEntityTooLargeException", Message: "Request must be smaller than 70167211 bytes for the CreateFunction operation"}
	}
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return errInvalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	if aerr := checkUnzipped(zr); aerr != nil {
		return aerr
	}
	blob, err := api.store.putCode(zipBytes)
	if err != nil {
		return errService(err)
	}
	sum := sha256.Sum256(zipBytes)
	v.PackageType, v.ImageURI, v.CodeBlob = "Zip", "", blob
	v.CodeSha256 = base64.StdEncoding.EncodeToString(sum[:])
	v.CodeSize = int64(len(zipBytes))
	return nil
}

func (api *API) createFunction(c *call) *Error {
	var in struct {
		configIn
		FunctionName  string            `json:"FunctionName"`
		Code          *codeIn           `json:"Code"`
		PackageType   string            `json:"PackageType"`
		Publish       bool              `json:"Publish"`
		Architectures []string          `json:"Architectures"`
		Tags          map[string]string `json:"Tags"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return err
	}
	c.note.Function = in.FunctionName
	var problems []string
	if in.FunctionName == "" {
		problems = append(problems, "Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	} else if len(in.FunctionName) > 64 || !functionNameRE.MatchString(in.FunctionName) {
		problems = append(problems, fmt.Sprintf("Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", in.FunctionName, functionNamePattern))
	}
	if in.Role == nil {
		problems = append(problems, "Value null at 'role' failed to satisfy constraint: Member must not be null")
	}
	if in.Code == nil {
		problems = append(problems, "Value null at 'code' failed to satisfy constraint: Member must not be null")
	}
	problems = append(problems, validateConfig(in.configIn, in.Architectures)...)
	if len(problems) > 0 {
		return errValidation(problems...)
	}
	isImage := in.PackageType == "Image" || in.Code.ImageURI != ""
	if !isImage && (in.Runtime == nil || *in.Runtime == "" || in.Handler == nil || *in.Handler == "") {
		return errInvalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if err := validateRuntime(in.Runtime); err != nil {
		return err
	}
	if err := validateTags(nil, in.Tags); err != nil {
		return err
	}

	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	if _, exists := api.store.functions[in.FunctionName]; exists {
		return errConflict("Function already exist: %s", in.FunctionName)
	}
	now := api.now()
	v := &versionRecord{
		Version: "$LATEST", ChangeID: newChangeID(), Timeout: 3, MemorySize: 128, Architectures: []string{"x86_64"},
		TracingMode: "PassThrough", EphemeralSize: 512,
		RevisionID: newRevisionID(), LastModified: now,
		State: "Pending", StateReason: "The function is being created.", StateReasonCode: "Creating",
		SettleAt: now.Add(api.settleDelay),
	}
	applyConfig(v, in.configIn)
	if len(in.Architectures) == 1 {
		v.Architectures = in.Architectures
	}
	if err := api.loadCode(v, *in.Code); err != nil {
		return err
	}
	f := &functionRecord{Name: in.FunctionName, Region: c.region, Latest: v,
		Aliases: map[string]*aliasRecord{}, Tags: map[string]string{}}
	for k, val := range in.Tags {
		f.Tags[k] = val
	}
	out := api.configOut(f, v, "")
	if in.Publish {
		pv := api.newVersion(f, "")
		out = api.configOut(f, pv, "")
		out.Version = pv.Version
	}
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	api.store.functions[f.Name] = f
	writeJSON(c.w, http.StatusCreated, out)
	return nil
}

// newVersion snapshots $LATEST as the next version number.
func (api *API) newVersion(f *functionRecord, description string) *versionRecord {
	f.LastVersion++
	pv := f.Latest.clone()
	pv.Version = strconv.Itoa(f.LastVersion)
	pv.RevisionID = newRevisionID()
	pv.LastModified = api.now()
	if description != "" {
		pv.Description = description
	}
	if f.Latest.State == "Pending" {
		pv.State, pv.StateReason, pv.StateReasonCode = "Pending", "The function is being created.", "Creating"
		pv.LastUpdateStatus, pv.SettleAt = "", f.Latest.SettleAt
	} else {
		pv.State, pv.StateReason, pv.StateReasonCode = "Active", "", ""
		pv.LastUpdateStatus, pv.LastUpdateStatusReason, pv.LastUpdateStatusReasonCode = "Successful", "", ""
		pv.SettleAt = time.Time{}
	}
	f.Versions = append(f.Versions, pv)
	f.Latest.RevisionID = newRevisionID()
	return pv
}

// checkWritable applies the RevisionId precondition and the state rules of
// an update to $LATEST.
func (api *API) checkWritable(f *functionRecord, revisionID string) *Error {
	if revisionID != "" && revisionID != f.Latest.RevisionID {
		return errPrecondition()
	}
	if f.Latest.State == "Pending" {
		return errPending()
	}
	if f.Latest.LastUpdateStatus == "InProgress" {
		return errUpdateInProgress(api.functionARN(f))
	}
	return nil
}

// latestForUpdate finds the function whose $LATEST an update changes and
// applies the qualifier, RevisionId and state rules; the caller holds the
// store lock.
func (api *API) latestForUpdate(c *call, op, revisionID string) (*functionRecord, *Error) {
	f, q, err := api.lookup(c, c.route.Function, "")
	if err != nil {
		return nil, err
	}
	if q != "" && q != "$LATEST" {
		return nil, errInvalidParameter("Unsupported qualifier %s for %s: only the unqualified function or $LATEST can be updated.", q, op)
	}
	if err := api.checkWritable(f, revisionID); err != nil {
		return nil, err
	}
	return f, nil
}

func (api *API) markUpdating(v *versionRecord) {
	now := api.now()
	v.LastModified = now
	v.RevisionID, v.ChangeID = newRevisionID(), newChangeID()
	v.LastUpdateStatus, v.LastUpdateStatusReason, v.LastUpdateStatusReasonCode = "InProgress", "The function is being created.", "Creating"
	v.SettleAt = now.Add(api.settleDelay)
}

func (api *API) updateFunctionCode(c *call) *Error {
	var in struct {
		codeIn
		Publish       bool     `json:"Publish"`
		DryRun        bool     `json:"DryRun"`
		RevisionID    string   `json:"RevisionId"`
		Architectures []string `json:"Architectures"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return err
	}
	if p := validateConfig(configIn{}, in.Architectures); len(p) > 0 {
		return errValidation(p...)
	}
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, err := api.latestForUpdate(c, "UpdateFunctionCode", in.RevisionID)
	if err != nil {
		return err
	}
	next := f.Latest.clone()
	if err := api.loadCode(next, in.codeIn); err != nil {
		return err
	}
	if len(in.Architectures) == 1 {
		next.Architectures = in.Architectures
	}
	if in.DryRun {
		writeJSON(c.w, http.StatusOK, api.configOut(f, next, ""))
		return nil
	}
	api.markUpdating(next)
	f.Latest = next
	out := api.configOut(f, next, "")
	if in.Publish {
		pv := api.newVersion(f, "")
		pv.State, pv.StateReason, pv.StateReasonCode = "Pending", "The function is being created.", "Creating"
		pv.LastUpdateStatus, pv.SettleAt = "", next.SettleAt
		out = api.configOut(f, pv, pv.Version)
	}
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

func (api *API) updateFunctionConfiguration(c *call) *Error {
	var in configIn
	if err := decodeBody(c.r, &in); err != nil {
		return err
	}
	if p := validateConfig(in, nil); len(p) > 0 {
		return errValidation(p...)
	}
	if err := validateRuntime(in.Runtime); err != nil {
		return err
	}
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, err := api.latestForUpdate(c, "UpdateFunctionConfiguration", in.RevisionID)
	if err != nil {
		return err
	}
	next := f.Latest.clone()
	applyConfig(next, in)
	api.markUpdating(next)
	f.Latest = next
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	writeJSON(c.w, http.StatusOK, api.configOut(f, next, ""))
	return nil
}

func (api *API) publishVersion(c *call) *Error {
	var in struct {
		CodeSha256  string `json:"CodeSha256"`
		Description string `json:"Description"`
		RevisionID  string `json:"RevisionId"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return err
	}
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, c.route.Function, "")
	if err != nil {
		return err
	}
	if in.RevisionID != "" && in.RevisionID != f.Latest.RevisionID {
		return errPrecondition()
	}
	if in.CodeSha256 != "" && in.CodeSha256 != f.Latest.CodeSha256 {
		return errInvalidParameter("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, f.Latest.CodeSha256)
	}
	if f.Latest.State == "Pending" {
		return errPending()
	}
	if f.Latest.LastUpdateStatus == "InProgress" {
		return errUpdateInProgress(api.functionARN(f))
	}
	if newest := f.unchangedSincePublish(); newest != nil {
		// The existing version as it is: its own Description and RevisionId,
		// whatever Description the request carries.
		c.note.Qualifier = newest.Version
		writeJSON(c.w, http.StatusCreated, api.configOut(f, newest, newest.Version))
		return nil
	}
	pv := api.newVersion(f, in.Description)
	c.note.Qualifier = pv.Version
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	writeJSON(c.w, http.StatusCreated, api.configOut(f, pv, pv.Version))
	return nil
}

func (api *API) getFunction(c *call, full bool) *Error {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, q, err := api.lookup(c, c.route.Function, c.r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	v, arnQ := f.Latest, ""
	switch {
	case q == "":
	case q == "$LATEST":
		arnQ = "$LATEST"
	case isVersionNumber(q):
		v, arnQ = f.findVersion(q), q
	default:
		a := f.Aliases[q]
		if a == nil {
			return errNotFound(api.functionARN(f) + ":" + q)
		}
		v, arnQ = f.findVersion(a.FunctionVersion), q
	}
	if v == nil {
		return errNotFound(api.functionARN(f) + ":" + q)
	}
	cfg := api.configOut(f, v, arnQ)
	if !full {
		writeJSON(c.w, http.StatusOK, cfg)
		return nil
	}
	out := map[string]any{"Configuration": cfg}
	if v.PackageType == "Image" {
		out["Code"] = map[string]string{"RepositoryType": "ECR", "ImageUri": v.ImageURI, "ResolvedImageUri": v.ImageURI}
	} else {
		out["Code"] = map[string]string{"RepositoryType": "S3",
			"Location": fmt.Sprintf("http://%s/_sandbox/code/%s.zip", c.r.Host, v.CodeBlob)}
	}
	if q == "" {
		out["Tags"] = f.Tags
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

func (api *API) listFunctions(c *call) *Error {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	now := api.now()
	out := []functionConfigurationOut{}
	for _, name := range api.store.names() {
		f := api.store.functions[name]
		if f.settle(now) {
			if err := api.store.save(f); err != nil {
				return errService(err)
			}
		}
		out = append(out, api.configOut(f, f.Latest, ""))
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"Functions": out})
	return nil
}

func (api *API) deleteFunction(c *call) *Error {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	name, q, err := resolveRef(c.route.Function, c.r.URL.Query().Get("Qualifier"), c.region)
	if err != nil {
		return err
	}
	c.note.Function, c.note.Qualifier = name, q
	// An alias or $LATEST is refused before the function is looked up, and a
	// missing function is named without its qualifier (localstack's AWS
	// recordings test_ops_with_arn_qualifier_mismatch[delete_function] and
	// test_delete_on_nonexisting_version, 2025-11-25).
	switch {
	case q == "$LATEST":
		return errInvalidParameter("$LATEST version cannot be deleted without deleting the function.")
	case q != "" && !isVersionNumber(q):
		return errInvalidParameter("Deletion of aliases is not currently supported.")
	}
	f := api.store.functions[name]
	if f == nil {
		return errNotFound(fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.region, api.accountID, name))
	}
	if q == "" {
		if err := api.store.remove(name); err != nil {
			return errService(err)
		}
		delete(api.store.functions, name)
	} else {
		if users := f.aliasesUsing(q); len(users) > 0 {
			return errConflict("Unable to delete version because the following aliases reference it: [%s]", strings.Join(users, ", "))
		}
		kept := f.Versions[:0]
		for _, v := range f.Versions {
			if v.Version != q {
				kept = append(kept, v)
			}
		}
		f.Versions = kept
		if err := api.store.save(f); err != nil {
			return errService(err)
		}
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (api *API) listVersions(c *call) *Error {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, c.route.Function, "")
	if err != nil {
		return err
	}
	all := []functionConfigurationOut{listItem(api.configOut(f, f.Latest, "$LATEST"))}
	for _, v := range f.Versions {
		all = append(all, listItem(api.configOut(f, v, v.Version)))
	}
	page, next, perr := paginate(len(all), c.r.URL.Query(), func(i int) string { return all[i].Version })
	if perr != nil {
		return perr
	}
	out := map[string]any{"Versions": all[page[0]:page[1]]}
	if next != "" {
		out["NextMarker"] = next
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

// listItem drops the members AWS leaves out of ListVersionsByFunction
// items: State and LastUpdateStatus with their reasons (localstack's AWS
// recording test_publish_version_on_create list_versions_result, 2025-11-25).
func listItem(o functionConfigurationOut) functionConfigurationOut {
	o.State, o.StateReason, o.StateReasonCode = "", "", ""
	o.LastUpdateStatus, o.LastUpdateStatusReason, o.LastUpdateStatusReasonCode = "", "", ""
	return o
}

// paginate applies Marker and MaxItems (at most 50 per page, as AWS) to n
// items; key(i) is the opaque marker of item i.
func paginate(n int, q url.Values, key func(int) string) ([2]int, string, *Error) {
	limit := 50
	if s := q.Get("MaxItems"); s != "" {
		m, err := strconv.Atoi(s)
		if err != nil || m < 1 || m > 10000 {
			return [2]int{}, "", errValidation(fmt.Sprintf("Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", s))
		}
		if m < limit {
			limit = m
		}
	}
	start := 0
	if marker := q.Get("Marker"); marker != "" {
		start = -1
		for i := 0; i < n; i++ {
			if base64.RawURLEncoding.EncodeToString([]byte(key(i))) == marker {
				start = i
				break
			}
		}
		if start < 0 {
			return [2]int{}, "", errInvalidParameter("Invalid marker: %s", marker)
		}
	}
	end := start + limit
	next := ""
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(end)))
	} else {
		end = n
	}
	return [2]int{start, end}, next, nil
}

func (api *API) getCodeSigningConfig(c *call) *Error {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	if _, _, err := api.lookup(c, c.route.Function, ""); err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, map[string]any{})
	return nil
}

// ---- tags ----

// taggablePattern is the model's pattern for a taggable resource ARN as
// AWS's validator quotes it (localstack's AWS recording
// TestLambdaTag::test_tag_exceptions invalid_arn_exception, 2025-11-25).
const taggablePattern = `arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`

var taggableRE = regexp.MustCompile("^" + taggablePattern + "$")

// maxTags is Lambda's limit of tags per function (developer guide, tagging.html).
const maxTags = 50

// validateTags applies the tag restrictions of the Lambda developer guide
// (tagging.html: at most 50 tags, keys of 1 to 128 characters without the
// reserved aws: prefix, values up to 256) to tags added to existing ones.
// The limit's text is AWS's (localstack's AWS recording test_tag_limits,
// 2025-11-25); the texts for keys and values are the sandbox's own.
func validateTags(existing, add map[string]string) *Error {
	keys := make([]string, 0, len(add))
	for k := range add {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "aws:"):
			return errInvalidParameter("The tag key %s begins with aws:, a prefix reserved for AWS use.", k)
		case k == "" || utf8.RuneCountInString(k) > 128:
			return errInvalidParameter("The tag key %s is longer than 128 characters.", k)
		case utf8.RuneCountInString(add[k]) > 256:
			return errInvalidParameter("The tag value for key %s is longer than 256 characters.", k)
		}
	}
	n := len(existing)
	for k := range add {
		if _, ok := existing[k]; !ok {
			n++
		}
	}
	if n > maxTags {
		return errInvalidParameter("Number of tags exceeds resource tag limit.")
	}
	return nil
}

// tags serves ListTags, TagResource and UntagResource. A tag write gives
// $LATEST a new RevisionId, as AWS does, so a write guarded by a RevisionId
// read before it fails with 412.
func (api *API) tags(c *call) *Error {
	arn := c.route.Resource
	if !taggableRE.MatchString(arn) {
		return errValidation(fmt.Sprintf("Value '%s' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", arn, taggablePattern))
	}
	parts := strings.Split(arn, ":")
	if parts[5] != "function" {
		return errNotFound(arn)
	}
	if len(parts) > 7 {
		// localstack's AWS recordings TestLambdaTags::test_tag_versions and
		// test_tag_exceptions tag_lambda_qualifier_doesnotexist, 2025-11-25:
		// refused before the function is looked up.
		return errInvalidParameter("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	keys, keysGiven := c.r.URL.Query()["tagKeys"]
	switch c.route.Operation {
	case "TagResource":
		if err := decodeBody(c.r, &in); err != nil {
			return err
		}
		if len(in.Tags) == 0 {
			// localstack's AWS recording test_tag_exceptions tag_empty_tags.
			return errInvalidParameter("An error occurred and the request cannot be processed.")
		}
	case "UntagResource":
		if !keysGiven {
			// localstack's AWS recording test_tag_exceptions untag_empty_keys.
			return errValidation("Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
		}
	}
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, arn, "")
	if err != nil {
		return err
	}
	switch c.route.Operation {
	case "ListTags":
		writeJSON(c.w, http.StatusOK, map[string]any{"Tags": f.Tags})
		return nil
	case "TagResource":
		if err := validateTags(f.Tags, in.Tags); err != nil {
			return err
		}
		for k, v := range in.Tags {
			f.Tags[k] = v
		}
	case "UntagResource":
		for _, k := range keys {
			delete(f.Tags, k)
		}
	}
	f.Latest.RevisionID = newRevisionID()
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- aliases ----

type aliasOut struct {
	AliasArn        string          `json:"AliasArn"`
	Name            string          `json:"Name"`
	FunctionVersion string          `json:"FunctionVersion"`
	Description     string          `json:"Description"`
	RoutingConfig   *routingConfigT `json:"RoutingConfig,omitempty"`
	RevisionID      string          `json:"RevisionId"`
}

type routingConfigT struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

func (api *API) aliasOut(f *functionRecord, a *aliasRecord) aliasOut {
	out := aliasOut{AliasArn: api.functionARN(f) + ":" + a.Name, Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionID: a.RevisionID}
	if len(a.Weights) > 0 {
		out.RoutingConfig = &routingConfigT{AdditionalVersionWeights: a.Weights}
	}
	return out
}

// checkRouting applies AWS's rules for a primary version and its routing.
func (api *API) checkRouting(f *functionRecord, primary string, weights map[string]float64) *Error {
	var problems []string
	for k, w := range weights {
		if !numericRE.MatchString(k) {
			problems = append(problems, fmt.Sprintf("Value '{%s=%s}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]", k, formatWeight(w)))
		}
		if w < 0 || w > 1 {
			problems = append(problems, fmt.Sprintf("Value '{%s=%s}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]", k, formatWeight(w)))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errValidation(problems...)
	}
	if len(weights) > 1 {
		return errInvalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	if primary != "$LATEST" && f.findVersion(primary) == nil {
		return errNotFound(api.functionARN(f) + ":" + primary)
	}
	for k := range weights {
		if primary == "$LATEST" {
			return errInvalidParameter("$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if k == primary {
			return errInvalidParameter("Invalid function version %s. Function version %s is already included in routing configuration.", k, k)
		}
		extra := f.findVersion(k)
		if extra == nil {
			return errNotFound(api.functionARN(f) + ":" + k)
		}
		if p := f.findVersion(primary); p != nil && p.Role != extra.Role {
			return errInvalidParameter("Both versions of a weighted alias must have the same execution role: version %s uses %s, version %s uses %s.", primary, p.Role, k, extra.Role)
		}
	}
	return nil
}

func formatWeight(w float64) string {
	s := strconv.FormatFloat(w, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func validateAliasName(name string) *Error {
	if len(name) < 1 || len(name) > 128 || !aliasNameRE.MatchString(name) || numericRE.MatchString(name) {
		return errValidation(fmt.Sprintf("Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", name, aliasNamePattern))
	}
	return nil
}

func validateVersionRef(v string) *Error {
	if v != "$LATEST" && !numericRE.MatchString(v) {
		return errValidation(fmt.Sprintf("Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", v, versionPattern))
	}
	return nil
}

func (api *API) createAlias(c *call) *Error {
	var in struct {
		Name            string          `json:"Name"`
		FunctionVersion string          `json:"FunctionVersion"`
		Description     string          `json:"Description"`
		RoutingConfig   *routingConfigT `json:"RoutingConfig"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return err
	}
	if err := validateAliasName(in.Name); err != nil {
		return err
	}
	if err := validateVersionRef(in.FunctionVersion); err != nil {
		return err
	}
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, c.route.Function, "")
	if err != nil {
		return err
	}
	c.note.Qualifier = in.Name
	var weights map[string]float64
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		weights = in.RoutingConfig.AdditionalVersionWeights
	}
	if err := api.checkRouting(f, in.FunctionVersion, weights); err != nil {
		return err
	}
	if _, exists := f.Aliases[in.Name]; exists {
		return errConflict("Alias already exists: %s:%s", api.functionARN(f), in.Name)
	}
	a := &aliasRecord{Name: in.Name, FunctionVersion: in.FunctionVersion, Description: in.Description, Weights: weights, RevisionID: newRevisionID()}
	f.Aliases[in.Name] = a
	if err := api.store.save(f); err != nil {
		delete(f.Aliases, in.Name)
		return errService(err)
	}
	writeJSON(c.w, http.StatusCreated, api.aliasOut(f, a))
	return nil
}

func (api *API) getAlias(c *call) *Error {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, c.route.Function, "")
	if err != nil {
		return err
	}
	c.note.Qualifier = c.route.Alias
	a := f.Aliases[c.route.Alias]
	if a == nil {
		return &Error{Status: 404, Code: "ResourceNotFoundException", Message: fmt.Sprintf("Cannot find alias arn: %s:%s", api.functionARN(f), c.route.Alias)}
	}
	writeJSON(c.w, http.StatusOK, api.aliasOut(f, a))
	return nil
}

func (api *API) updateAlias(c *call) *Error {
	var in struct {
		FunctionVersion *string         `json:"FunctionVersion"`
		Description     *string         `json:"Description"`
		RoutingConfig   *routingConfigT `json:"RoutingConfig"`
		RevisionID      string          `json:"RevisionId"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return err
	}
	if in.FunctionVersion != nil {
		if err := validateVersionRef(*in.FunctionVersion); err != nil {
			return err
		}
	}
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, c.route.Function, "")
	if err != nil {
		return err
	}
	c.note.Qualifier = c.route.Alias
	a := f.Aliases[c.route.Alias]
	if a == nil {
		return &Error{Status: 404, Code: "ResourceNotFoundException", Message: fmt.Sprintf("Alias not found: %s:%s", api.functionARN(f), c.route.Alias)}
	}
	if in.RevisionID != "" && in.RevisionID != a.RevisionID {
		return errPrecondition()
	}
	next := *a
	if in.FunctionVersion != nil {
		next.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		next.Description = *in.Description
	}
	if in.RoutingConfig != nil {
		next.Weights = nil
		if len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
			next.Weights = in.RoutingConfig.AdditionalVersionWeights
		}
	}
	if err := api.checkRouting(f, next.FunctionVersion, next.Weights); err != nil {
		return err
	}
	next.RevisionID = newRevisionID()
	f.Aliases[a.Name] = &next
	if err := api.store.save(f); err != nil {
		f.Aliases[a.Name] = a
		return errService(err)
	}
	writeJSON(c.w, http.StatusOK, api.aliasOut(f, &next))
	return nil
}

func (api *API) deleteAlias(c *call) *Error {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, c.route.Function, "")
	if err != nil {
		return err
	}
	c.note.Qualifier = c.route.Alias
	if _, ok := f.Aliases[c.route.Alias]; ok {
		delete(f.Aliases, c.route.Alias)
		if err := api.store.save(f); err != nil {
			return errService(err)
		}
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (api *API) listAliases(c *call) *Error {
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f, _, err := api.lookup(c, c.route.Function, "")
	if err != nil {
		return err
	}
	filter := c.r.URL.Query().Get("FunctionVersion")
	names := make([]string, 0, len(f.Aliases))
	for n, a := range f.Aliases {
		if filter == "" || a.FunctionVersion == filter {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	page, next, perr := paginate(len(names), c.r.URL.Query(), func(i int) string { return names[i] })
	if perr != nil {
		return perr
	}
	out := []aliasOut{}
	for _, n := range names[page[0]:page[1]] {
		out = append(out, api.aliasOut(f, f.Aliases[n]))
	}
	body := map[string]any{"Aliases": out}
	if next != "" {
		body["NextMarker"] = next
	}
	writeJSON(c.w, http.StatusOK, body)
	return nil
}

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

// heldResponse buffers an answer until it may be sent.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

func (h *heldResponse) flush(w http.ResponseWriter) {
	for k, v := range h.header {
		w.Header()[k] = v
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}
