package acctest

import (
	"sync"
	"testing"
)

// Failures counts the failures a test reports through it, so that the
// figure the test prints is the number it found, not a literal.
type Failures struct {
	t  testing.TB
	mu sync.Mutex
	n  int
}

// NewFailures counts the failures t reports through the result.
func NewFailures(t testing.TB) *Failures { return &Failures{t: t} }

// Errorf reports a failure of the test and counts it.
func (f *Failures) Errorf(format string, args ...any) {
	f.t.Helper()
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
	f.t.Errorf(format, args...)
}

// Count is how many failures were reported so far.
func (f *Failures) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// Subtests counts the subtests of a table that ran to the end (were not
// skipped) and those of them that failed.
type Subtests struct {
	mu          sync.Mutex
	ran, failed int
}

// Record counts t once it has ended; call it first in the subtest.
func (s *Subtests) Record(t *testing.T) {
	t.Cleanup(func() {
		if t.Skipped() {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ran++
		if t.Failed() {
			s.failed++
		}
	})
}

// Counts returns how many subtests ran and how many of them failed.
func (s *Subtests) Counts() (ran, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ran, s.failed
}
