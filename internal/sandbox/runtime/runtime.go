// Package runtime runs Lambda function code as Lambda runs provided.al2023
// and provided.al2 functions: one bootstrap process per execution
// environment, driven through the Lambda Runtime API on its own loopback
// listener, in a pool that reuses warm environments and caps concurrency.
package runtime

import (
	"time"
)

// runnable are the runtimes the sandbox can execute.
var runnable = map[string]bool{"provided.al2023": true, "provided.al2": true, "provided": true}

// Runnable reports whether the sandbox can execute functions of runtime.
func Runnable(runtime string) bool { return runnable[runtime] }

// Invocation is one request delivered to an environment.
type Invocation struct {
	ID            string
	Payload       []byte
	Timeout       time.Duration // the function's timeout
	Deadline      time.Time     // set by Run when the event is delivered
	InvokedARN    string
	ClientContext string
	done          chan Result // made by Run
}

// Result is what the runtime (or the platform) answered.
type Result struct {
	Payload       []byte
	FunctionError bool
	Logs          string
	Duration      time.Duration // the invoke's, from the delivery of the event
	// InitDuration is the init phase this invoke waited for (a cold
	// start), zero when the environment was warm.
	InitDuration time.Duration
}

// Key identifies environments that can serve a version: same function,
// version and code.
type Key struct{ Function, Version, Code string }
