package lambda

// The function-level settings AWS does not version: reserved concurrency
// (PutFunctionConcurrency, GetFunctionConcurrency,
// DeleteFunctionConcurrency) with the throttling of invocations beyond it,
// and the code signing configuration.

import (
	"fmt"
	"net/http"
	"regexp"
	"sync"
)

const (
	// accountConcurrency is the default concurrency quota of an account,
	// and minUnreserved what AWS keeps for functions without a reservation.
	accountConcurrency = 1000
	minUnreserved      = 100
)

// putConcurrencyIn is the body of PutFunctionConcurrency.
type putConcurrencyIn struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
}

func (in *putConcurrencyIn) check() *Error {
	switch {
	case in.ReservedConcurrentExecutions == nil:
		return errValidation("Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	case *in.ReservedConcurrentExecutions < 0:
		return errValidation(fmt.Sprintf("Value '%d' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.ReservedConcurrentExecutions))
	}
	return nil
}

func (api *API) putFunctionConcurrency(c *call, f *functionRecord, in *putConcurrencyIn) *Error {
	n := *in.ReservedConcurrentExecutions
	reserved := 0
	for name, other := range api.store.functions {
		if name != f.Name && other.ReservedConcurrency != nil {
			reserved += *other.ReservedConcurrency
		}
	}
	if accountConcurrency-reserved-n < minUnreserved {
		return errInvalidParameter("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", minUnreserved)
	}
	f.ReservedConcurrency = &n
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	writeJSON(c.w, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": n})
	return nil
}

func (api *API) getFunctionConcurrency(c *call, f *functionRecord, _ string) *Error {
	out := map[string]int{}
	if f.ReservedConcurrency != nil {
		out["ReservedConcurrentExecutions"] = *f.ReservedConcurrency
	}
	writeJSON(c.w, http.StatusOK, out)
	return nil
}

func (api *API) deleteFunctionConcurrency(c *call, f *functionRecord, _ string) *Error {
	f.ReservedConcurrency = nil
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// inFlight counts the running invocations of each function, to throttle
// those beyond its reserved concurrency.
type inFlight struct {
	mu      sync.Mutex
	running map[string]int
}

// acquire admits one more invocation of function unless reserved (nil: no
// reservation) are already running.
func (l *inFlight) acquire(function string, reserved *int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if reserved != nil && l.running[function] >= *reserved {
		return false
	}
	if l.running == nil {
		l.running = map[string]int{}
	}
	l.running[function]++
	return true
}

func (l *inFlight) release(function string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[function]--; l.running[function] <= 0 {
		delete(l.running, function)
	}
}

// errReservedThrottled is AWS's answer to an invocation beyond the
// function's reserved concurrency.
func errReservedThrottled() *Error {
	return &Error{Status: 429, Code: "TooManyRequestsException", Message: "Rate Exceeded.",
		Reason: "ReservedFunctionConcurrentInvocationLimitExceeded", RetryAfter: "1"}
}

// ---- code signing ----

var cscARNRE = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:code-signing-config:csc-[a-z0-9]{17}$`)

const cscARNPattern = `arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:code-signing-config:csc-[a-z0-9]{17}`

// putCodeSigningIn is the body of PutFunctionCodeSigningConfig.
type putCodeSigningIn struct {
	CodeSigningConfigArn string `json:"CodeSigningConfigArn"`
}

func (in *putCodeSigningIn) check() *Error {
	if !cscARNRE.MatchString(in.CodeSigningConfigArn) {
		return errValidation(fmt.Sprintf("Value '%s' at 'codeSigningConfigArn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", in.CodeSigningConfigArn, cscARNPattern))
	}
	return nil
}

// putCodeSigningConfig attaches a code signing configuration. The sandbox
// has no CreateCodeSigningConfig: any well-formed ARN is accepted, where
// AWS answers CodeSigningConfigNotFoundException for one that does not
// exist, and the sandbox does not check signatures of the code.
func (api *API) putCodeSigningConfig(c *call, f *functionRecord, in *putCodeSigningIn) *Error {
	f.CodeSigningConfigARN = in.CodeSigningConfigArn
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	writeJSON(c.w, http.StatusOK, map[string]string{"CodeSigningConfigArn": f.CodeSigningConfigARN, "FunctionName": f.Name})
	return nil
}

func (api *API) getCodeSigningConfig(c *call, f *functionRecord, _ string) *Error {
	if f.CodeSigningConfigARN == "" {
		writeJSON(c.w, http.StatusOK, map[string]any{})
		return nil
	}
	writeJSON(c.w, http.StatusOK, map[string]string{"CodeSigningConfigArn": f.CodeSigningConfigARN, "FunctionName": f.Name})
	return nil
}

func (api *API) deleteCodeSigningConfig(c *call, f *functionRecord, _ string) *Error {
	f.CodeSigningConfigARN = ""
	if err := api.store.save(f); err != nil {
		return errService(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
