package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTargets: the scaling benchmark's figures are judged met or missed
// from the metrics of the run.
func TestTargets(t *testing.T) {
	t.Parallel()
	res := parse(strings.NewReader("BenchmarkHistoryPickScaling \t 1\t 123 ns/op\t 0.9 cold-exponent\t 1.3 warm-exponent\t 10000 revisions-largest\t 0.5 warm-s-largest\n"))
	if len(res) != 1 {
		t.Fatalf("parsed %d results", len(res))
	}
	want := []string{
		"cold: linear or better (exponent <= 1.1): 0.9, met",
		"warm: linear or better (exponent <= 1.1): 1.3, missed",
		"warm under 1 s at the largest history, 10000 revisions (s): 0.5, met",
	}
	if diff := cmp.Diff(want, targets[res[0].Name](res[0].Metrics)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
