package lambda

// Reserved concurrency (PutFunctionConcurrency, GetFunctionConcurrency,
// DeleteFunctionConcurrency) and the throttling of invocations beyond it.

import (
	"fmt"
	"net/http"
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
