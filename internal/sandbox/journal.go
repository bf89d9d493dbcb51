package sandbox

import (
	"sync"
	"time"
)

// Call is one API request the sandbox answered, for tests to assert on
// (for example: a rollback made zero PublishVersion calls).
type Call struct {
	Time      time.Time
	Service   string // lambda, s3, sts
	Operation string // the AWS operation name, e.g. PublishVersion
	Function  string // function name, when the operation has one
	Qualifier string // version or alias, when given
	Status    int    // HTTP status sent
	Fault     string // the injected fault, if any
	AccessKey string // from the SigV4 scope
	Region    string // from the SigV4 scope
	Refused   string // why the request was refused before reaching the service (guard.go)
	Detail    string // what the answer said that tests assert on (a provisioned concurrency Status)
}

// Journal records calls in the order they were answered.
type Journal struct {
	mu    sync.Mutex
	calls []Call
}

func (j *Journal) add(c Call) {
	j.mu.Lock()
	j.calls = append(j.calls, c)
	j.mu.Unlock()
}

// Calls returns a copy of every call so far.
func (j *Journal) Calls() []Call {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Call(nil), j.calls...)
}

// Count returns how many calls of operation (on function, when not empty)
// were answered with a 2xx status.
func (j *Journal) Count(operation, function string) int {
	n := 0
	for _, c := range j.Calls() {
		if c.Operation == operation && (function == "" || c.Function == function) && c.Status/100 == 2 {
			n++
		}
	}
	return n
}

// Mark returns the current length, so a test can look at calls made after it.
func (j *Journal) Mark() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.calls)
}

// Since returns the calls recorded after mark.
func (j *Journal) Since(mark int) []Call {
	calls := j.Calls()
	if mark > len(calls) {
		return nil
	}
	return calls[mark:]
}
