package lambdaops

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProgressRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 13, 15, 2, 0, time.UTC)
	rate, p99, v, th := 0.05, 500.0, 0.4, 0.05
	linear := make([]ProgressStep, 0, 9)
	for w := 10; w <= 90; w += 10 {
		linear = append(linear, ProgressStep{WeightPercent: float64(w), Hold: 10 * time.Minute})
	}
	tests := map[string]Progress{
		"in progress": {Status: "in_progress", Event: "step_advanced", From: "1", To: "2", Step: 2, WeightPercent: 50, Started: at, StepStarted: at.Add(5 * time.Minute),
			At: at.Add(5 * time.Minute), Interval: time.Minute, Deadline: 30 * time.Minute, Steps: []ProgressStep{{10, 5 * time.Minute}, {50, 5 * time.Minute}},
			MaxErrorRate: &rate, MaxP99MS: &p99, MinInvocations: 10},
		"rolled back": {Status: "rolled_back", Event: "rolled_back", From: "1", To: "2", Step: 1, WeightPercent: 10, Started: at, StepStarted: at, At: at.Add(time.Minute),
			Interval: time.Minute, Deadline: 30 * time.Minute, Steps: []ProgressStep{{10, 5 * time.Minute}}, Gate: "error_rate", Value: &v, Threshold: &th, MaxErrorRate: &rate},
		"nine steps with every gate": {Status: "in_progress", Event: "held", From: "123", To: "124", Step: 9, WeightPercent: 90, Started: at, StepStarted: at, At: at,
			Interval: 10 * time.Minute, Deadline: 3 * time.Hour, Steps: linear, Gate: "insufficient_data", Value: &v, Threshold: &th, MaxErrorRate: &rate, MaxP99MS: &p99, MinInvocations: 100},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := p.TagValue()
			if len(v) > 256 || tagUnsafe.MatchString(strings.ReplaceAll(v, " ", "_")) {
				t.Fatalf("tag value %q is not one AWS accepts (%d characters)", v, len(v))
			}
			got, ok := ParseProgress(v)
			if !ok {
				t.Fatalf("ParseProgress(%q) failed", v)
			}
			if diff := cmp.Diff(p, got); diff != "" {
				t.Errorf("round trip of %q (-want +got):\n%s", v, diff)
			}
		})
	}
}
