package sandbox

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Call is one API request the sandbox answered, for tests to assert on
// (for example: a rollback made zero PublishVersion calls).
type Call struct {
	Time      time.Time
	Service   string // lambda, s3, sts, cloudwatch, sqs
	Operation string // the AWS operation name, e.g. PublishVersion
	Function  string // function name, when the operation has one
	Qualifier string // version or alias, when given
	Status    int    // HTTP status sent
	Fault     string // the injected fault, if any
	AccessKey string // from the SigV4 scope
	Region    string // from the SigV4 scope
	Refused   string // why the request was refused before reaching the service (guard.go)
	Detail    string // what the answer said that tests assert on (a provisioned concurrency Status, an event source mapping's State)
}

// DefaultJournalLimit is how many calls a journal holds by default: a
// sandbox left running for days keeps its newest calls, not every call.
const DefaultJournalLimit = 100_000

// Journal records calls in the order they were answered, the newest limit
// of them: older calls are dropped in chunks, and positions (Mark) count
// every call ever recorded, so a mark stays valid after a drop.
type Journal struct {
	mu      sync.Mutex
	calls   []Call
	dropped int // calls recorded and then dropped, oldest first
	limit   int
}

// NewJournal returns a journal that holds at most limit calls
// (DefaultJournalLimit when limit <= 0).
func NewJournal(limit int) *Journal {
	if limit <= 0 {
		limit = DefaultJournalLimit
	}
	return &Journal{limit: limit}
}

func (j *Journal) add(c Call) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls = append(j.calls, c)
	// Drop a quarter at a time, so the copy is paid once per many calls.
	if over := len(j.calls) - j.limit; over > 0 {
		n := over + j.limit/4
		if n > len(j.calls) {
			n = len(j.calls)
		}
		j.calls = append(j.calls[:0:0], j.calls[n:]...)
		j.dropped += n
	}
}

// Calls returns a copy of every call the journal still holds.
func (j *Journal) Calls() []Call {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Call(nil), j.calls...)
}

// Dropped is how many of the oldest calls were dropped to keep the limit.
func (j *Journal) Dropped() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dropped
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

// Mark returns the position after the newest call, so a test can look at
// calls made after it.
func (j *Journal) Mark() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dropped + len(j.calls)
}

// Since returns the calls recorded after mark. It panics when some of
// them were already dropped: a caller asserting on "every call since"
// must not be handed a part as if it were the whole.
func (j *Journal) Since(mark int) []Call {
	j.mu.Lock()
	defer j.mu.Unlock()
	if mark < j.dropped {
		panic(fmt.Sprintf("sandbox journal: calls after position %d were dropped (limit %d, %d dropped); raise Options.JournalLimit", mark, j.limit, j.dropped))
	}
	i := mark - j.dropped
	if i > len(j.calls) {
		return nil
	}
	return append([]Call(nil), j.calls[i:]...)
}

// Of returns the calls recorded after mark of any of operations, whatever
// their status.
func (j *Journal) Of(mark int, operations ...string) []Call {
	var out []Call
	for _, c := range j.Since(mark) {
		if slices.Contains(operations, c.Operation) {
			out = append(out, c)
		}
	}
	return out
}
