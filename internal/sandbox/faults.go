package sandbox

import (
	"fmt"
	"math/rand"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind string

const (
	// FaultThrottle answers as the service does when throttling (Lambda: 429
	// TooManyRequestsException with Retry-After).
	FaultThrottle FaultKind = "throttle"
	// FaultError answers with the service's internal error (HTTP 500).
	FaultError FaultKind = "error"
	// FaultLatency delays the request, then serves it normally.
	FaultLatency FaultKind = "latency"
)

// Fault is one injection rule. Service and Operation select requests
// ("" or "*" matches any); Function, when set, selects the Lambda requests
// on that function only (by the name in the path, or an ARN ending in it);
// Rate is the probability per request (throttle, error); Latency is the
// added delay (latency, applied to every match).
type Fault struct {
	Service   string
	Operation string
	Function  string
	Kind      FaultKind
	Rate      float64
	Latency   time.Duration
}

func (f Fault) String() string {
	sel := f.Service
	if f.Operation != "" && f.Operation != "*" {
		sel += "." + f.Operation
	}
	if f.Kind == FaultLatency {
		return fmt.Sprintf("%s:%s=%s", sel, f.Kind, f.Latency)
	}
	return fmt.Sprintf("%s:%s=%g", sel, f.Kind, f.Rate)
}

// ParseFault reads a rule written as <service>[.<Operation>]:<kind>=<value>,
// for example "lambda:throttle=0.2", "lambda.PublishVersion:error=0.05" or
// "s3:latency=50ms".
func ParseFault(spec string) (Fault, error) {
	example := `for example "lambda:throttle=0.2", "lambda.UpdateAlias:error=0.05" or "s3:latency=50ms"`
	sel, rule, ok := strings.Cut(spec, ":")
	if !ok {
		return Fault{}, fmt.Errorf("fault %q: want <service>[.<Operation>]:<kind>=<value>, %s", spec, example)
	}
	var f Fault
	f.Service, f.Operation, _ = strings.Cut(sel, ".")
	switch f.Service {
	case "lambda", "s3", "sts", "cloudwatch", "sqs", "*":
	default:
		return Fault{}, fmt.Errorf("fault %q: unknown service %q (lambda, s3, sts, cloudwatch, sqs or *), %s", spec, f.Service, example)
	}
	kind, value, ok := strings.Cut(rule, "=")
	if !ok {
		return Fault{}, fmt.Errorf("fault %q: want <kind>=<value>, %s", spec, example)
	}
	f.Kind = FaultKind(kind)
	switch f.Kind {
	case FaultThrottle, FaultError:
		r, err := strconv.ParseFloat(value, 64)
		if err != nil || r < 0 || r > 1 {
			return Fault{}, fmt.Errorf("fault %q: rate %q must be a number from 0 to 1, %s", spec, value, example)
		}
		f.Rate = r
	case FaultLatency:
		d, err := time.ParseDuration(value)
		if err != nil || d < 0 {
			return Fault{}, fmt.Errorf("fault %q: latency %q must be a duration such as 50ms, %s", spec, value, example)
		}
		f.Latency, f.Rate = d, 1
	default:
		return Fault{}, fmt.Errorf("fault %q: unknown kind %q (throttle, error or latency), %s", spec, kind, example)
	}
	return f, nil
}

// faultSet holds the active rules and a seeded random source, so a run
// with the same seed and request order injects the same faults.
type faultSet struct {
	mu    sync.Mutex
	rules []Fault
	rng   *rand.Rand
}

func newFaultSet(seed int64) *faultSet {
	return &faultSet{rng: rand.New(rand.NewSource(seed))}
}

func (s *faultSet) set(rules []Fault) {
	s.mu.Lock()
	s.rules = append([]Fault(nil), rules...)
	s.mu.Unlock()
}

// pick returns the added latency and the failing fault (if any) for a request.
func (s *faultSet) pick(service, operation, function string) (time.Duration, *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var delay time.Duration
	var failing *Fault
	for i := range s.rules {
		f := s.rules[i]
		if f.Service != "*" && f.Service != service {
			continue
		}
		if f.Operation != "" && f.Operation != "*" && f.Operation != operation {
			continue
		}
		if f.Function != "" && f.Function != function {
			continue
		}
		switch f.Kind {
		case FaultLatency:
			delay += f.Latency
		default:
			if failing == nil && s.rng.Float64() < f.Rate {
				failing = &f
			}
		}
	}
	return delay, failing
}

// pathFunction is the function a Lambda request's path names
// (/2015-03-31/functions/<name or ARN>/...), as a name.
func pathFunction(p string) string {
	_, rest, ok := strings.Cut(p, "/functions/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	if i := strings.Index(name, ":function:"); i >= 0 {
		name, _, _ = strings.Cut(name[i+len(":function:"):], ":")
	}
	return name
}
