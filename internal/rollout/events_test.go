package rollout

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type eventLog struct{ kinds []string }

func (l *eventLog) Observe(_ context.Context, e Event) {
	l.kinds = append(l.kinds, string(e.Kind)+" step="+itoa(e.Step)+" gate="+e.Gate)
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestDriveEvents: a driven rollout tells its observer every event, in
// order, after the traffic it reports moved.
func TestDriveEvents(t *testing.T) {
	t.Parallel()
	twoSteps := []Step{{10, 2 * time.Second}, {50, 2 * time.Second}}
	h := Health{MaxErrorRate: f(0.05), MinInvocations: 10, OnInsufficientData: InsufficientHold}
	tests := map[string]struct {
		sample   func(time.Duration) Sample
		override func(time.Duration) string
		failures int
		deadline time.Duration
		want     []string
	}{
		"promoted": {sample: good, want: []string{"started step=1 gate=", "step_advanced step=2 gate=", "promoted step=2 gate="}},
		"rolled back": {sample: func(el time.Duration) Sample {
			if el >= 3*time.Second {
				return Sample{Invocations: 100, Errors: 50}
			}
			return good(el)
		}, want: []string{"started step=1 gate=", "step_advanced step=2 gate=", "rolled_back step=2 gate=error_rate"}},
		"held for data, then the deadline": {sample: func(time.Duration) Sample { return Sample{Invocations: 1} }, deadline: 6 * time.Second,
			want: []string{"started step=1 gate=", "held step=1 gate=insufficient_data", "deadline_reached step=1 gate=deadline", "rolled_back step=1 gate=deadline"}},
		"paused, then aborted by the override": {sample: good, override: func(el time.Duration) string {
			if el >= 3*time.Second {
				return "abort"
			}
			return "pause"
		}, want: []string{"started step=1 gate=", "overridden step=1 gate=", "held step=1 gate=", "overridden step=1 gate=override", "aborted step=1 gate=override"}},
		"health unreadable": {sample: good, failures: 5,
			want: []string{"started step=1 gate=", "held step=1 gate=health_unreadable", "rolled_back step=1 gate=health_unreadable"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{now: t0}
			src := &script{clock: clk, sample: tc.sample, override: tc.override, failures: tc.failures}
			p := Policy{Steps: twoSteps, Interval: time.Second, Health: h, Deadline: tc.deadline}
			log := &eventLog{}
			DriveObserved(context.Background(), p, src, &recorder{}, nil, clk, log)
			if diff := cmp.Diff(tc.want, log.kinds); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
