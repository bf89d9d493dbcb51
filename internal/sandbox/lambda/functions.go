package lambda

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
	settingsOut
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
		settingsOut:      v.Settings.out(f.Name, v.Version != "$LATEST"),
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
	Layers     *[]string `json:"Layers"`
	RevisionID string    `json:"RevisionId"`
	settingsIn
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
	return append(p, validateSettings(in.settingsIn)...)
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
	applySettings(v, in.settingsIn)
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

// createFunctionIn is the body of CreateFunction.
type createFunctionIn struct {
	configIn
	FunctionName  string            `json:"FunctionName"`
	Code          *codeIn           `json:"Code"`
	PackageType   string            `json:"PackageType"`
	Publish       bool              `json:"Publish"`
	Architectures []string          `json:"Architectures"`
	Tags          map[string]string `json:"Tags"`
}

// check applies the request's own constraints, before any lock.
func (in *createFunctionIn) check() *Error {
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
	return validateTags(nil, in.Tags)
}

func (api *API) createFunction(c *call, in *createFunctionIn) *Error {
	c.note.Function = in.FunctionName
	if _, exists := api.store.functions[in.FunctionName]; exists {
		return errConflict("Function already exist: %s", in.FunctionName)
	}
	now := api.now()
	v := &versionRecord{
		Version: "$LATEST", ChangeID: newChangeID(), Timeout: 3, MemorySize: 128, Architectures: []string{"x86_64"},
		TracingMode: "PassThrough", EphemeralSize: 512,
		RevisionID: newRevisionID(), LastModified: now,
		State: "Pending", StateReason: "The function is being created.", StateReasonCode: "Creating",
	}
	applyConfig(v, in.configIn)
	if len(in.Architectures) == 1 {
		v.Architectures = in.Architectures
	}
	if err := api.loadCode(v, *in.Code); err != nil {
		return err
	}
	if err := checkSettings(v); err != nil {
		return err
	}
	v.SettleAt = now.Add(api.settleTime(v))
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

// settleTime is how long a create or update of v stays Pending or
// InProgress: a function in a VPC takes three times as long, as AWS
// creates its network interfaces first.
func (api *API) settleTime(v *versionRecord) time.Duration {
	if v.Settings.inVPC() {
		return 3 * api.settleDelay
	}
	return api.settleDelay
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

// updateCodeIn is the body of UpdateFunctionCode.
type updateCodeIn struct {
	codeIn
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	RevisionID    string   `json:"RevisionId"`
	Architectures []string `json:"Architectures"`
}

func (in *updateCodeIn) check() *Error {
	if p := validateConfig(configIn{}, in.Architectures); len(p) > 0 {
		return errValidation(p...)
	}
	return nil
}

func (in *updateCodeIn) revision() string { return in.RevisionID }

func (api *API) updateFunctionCode(c *call, f *functionRecord, in *updateCodeIn) *Error {
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
	return api.saved(c, f, http.StatusOK, out)
}

// check applies UpdateFunctionConfiguration's own constraints,
// before any lock.
func (in *configIn) check() *Error {
	if p := validateConfig(*in, nil); len(p) > 0 {
		return errValidation(p...)
	}
	return validateRuntime(in.Runtime)
}

func (api *API) updateFunctionConfiguration(c *call, in *configIn) *Error {
	f, err := api.latestForUpdate(c, "UpdateFunctionConfiguration", in.RevisionID)
	if err != nil {
		return err
	}
	next := f.Latest.clone()
	applyConfig(next, *in)
	if err := checkSettings(next); err != nil {
		return err
	}
	api.markUpdating(next)
	next.SettleAt = api.now().Add(api.settleTime(next))
	f.Latest = next
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	writeJSON(c.w, http.StatusOK, api.configOut(f, next, ""))
	return nil
}

func (api *API) getFunction(c *call, f *functionRecord, q string, full bool) *Error {
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
	if f.ReservedConcurrency != nil {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *f.ReservedConcurrency}
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

func (api *API) listFunctions(c *call) *Error {
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
	name, q, err := resolveRef(c.route.Function, c.r.URL.Query().Get("Qualifier"), c.route.Operation, c.region)
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
		return errNotFound(api.arnIn(c.region, name))
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

// ---- tags ----
