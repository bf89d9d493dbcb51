package lambda

import (
	"context"
)

// What the event source mappings (package esm) need of Lambda: the
// function a FunctionName names, and invocations through the same path as
// Invoke (alias routing, concurrency limits, metrics).

// ResolveFunction reads a FunctionName given to an event source mapping (a
// name, name:qualifier, a partial or full ARN) in the caller's region and
// returns the function's ARN, qualified when a version or alias was given.
// The function, and the version or alias, must exist.
func (api *API) ResolveFunction(raw, region string) (string, *Error) {
	name, q, err := resolveRef(raw, "", "CreateEventSourceMapping", region) // a NamespacedFunctionName: up to 256
	if err != nil {
		return "", err
	}
	api.store.mu.Lock()
	defer api.store.mu.Unlock()
	f := api.store.functions[name]
	if f == nil {
		return "", &Error{Status: 404, Code: "ResourceNotFoundException", Message: "Function does not exist"}
	}
	arn := api.functionARN(f)
	if q == "" {
		return arn, nil
	}
	if q != "$LATEST" && f.findVersion(q) == nil && f.Aliases[q] == nil {
		return "", &Error{Status: 404, Code: "ResourceNotFoundException", Message: "Function does not exist: " + arn + ":" + q}
	}
	return arn + ":" + q, nil
}

// SourceResult is the outcome of one invocation by an event source.
type SourceResult struct {
	Payload []byte
	// FunctionError is set when the function failed (an unhandled error,
	// a timeout, a crash).
	FunctionError bool
	// ExecutedVersion is the version that ran (for an alias, the one its
	// weights picked).
	ExecutedVersion string
}

// InvokeFromSource runs one synchronous invocation of functionARN (a
// function ARN, qualified or not) with payload, as Invoke does: an alias's
// weights pick the version, the concurrency limits apply and the
// invocation's metrics are recorded. An error is an invocation that did not
// run (throttled, function gone, code the sandbox cannot run).
func (api *API) InvokeFromSource(ctx context.Context, functionARN string, payload []byte) (SourceResult, *Error) {
	ref, err := parseFunctionRef(functionARN, maxNamespacedFunctionRef)
	if err != nil {
		return SourceResult{}, err
	}
	c := &call{region: ref.Region, route: Route{Operation: "Invoke", Function: functionARN}, note: &Note{}}
	t, err := api.resolveInvoke(c, functionARN, "")
	if derr := api.store.durable(); derr != nil && err == nil {
		err = errService(derr)
	}
	if err != nil {
		return SourceResult{}, err
	}
	dir, err := api.prepare(t)
	if err != nil {
		return SourceResult{}, err
	}
	res, err := api.execute(ctx, t, dir, payload, "")
	if err != nil {
		return SourceResult{}, err
	}
	return SourceResult{Payload: res.Payload, FunctionError: res.FunctionError, ExecutedVersion: t.executed}, nil
}
