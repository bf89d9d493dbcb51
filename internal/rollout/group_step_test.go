package rollout

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEvaluateGroup pins the decision a plan-driven group takes at one
// instant, from every member's gates read once: no sleeping, the fake
// clock stands where the test puts it.
func TestEvaluateGroup(t *testing.T) {
	t.Parallel()
	steps := []Step{{10, 2 * time.Second}, {50, 2 * time.Second}}
	bad := func(time.Duration) Sample { return Sample{Invocations: 40, Errors: 8, P99MS: f(40)} }
	type got struct {
		Action       Action
		Member, Gate string
		Step         int
		Weight       float64
		Value        float64
		Err          string
	}
	tests := map[string]struct {
		samples    []func(time.Duration) Sample
		unreadable int // this member's reads fail (index+1; 0 none)
		step       int
		at         time.Duration // fake time since the step started
		deadline   time.Duration
		want       got
		wantReason string
	}{
		"every member healthy after the hold: advance": {
			samples: []func(time.Duration) Sample{good, good}, step: 0, at: 2 * time.Second,
			want:       got{Action: Advance, Step: 0, Weight: 10},
			wantReason: "step 1 passed; m0: 100 invocations, error rate 0.0%, p99 40.0 ms; m1: 100 invocations, error rate 0.0%, p99 40.0 ms",
		},
		"every member healthy on the last step: promote": {
			samples: []func(time.Duration) Sample{good, good}, step: 1, at: 2 * time.Second,
			want: got{Action: Promote, Step: 1, Weight: 50},
		},
		"within the hold: hold": {
			samples: []func(time.Duration) Sample{good, good}, step: 0, at: time.Second,
			want: got{Action: Hold, Member: "m0", Step: 0, Weight: 10},
		},
		"one bad member: roll back, naming it": {
			samples: []func(time.Duration) Sample{good, bad}, step: 1, at: time.Second,
			want:       got{Action: RollBack, Member: "m1", Gate: "error_rate", Step: 1, Weight: 50, Value: 0.2},
			wantReason: "member m1: error rate 20.0% (8 errors in 40 invocations) is above the maximum 5.0%",
		},
		"a breach wins over another member's unreadable health": {
			samples: []func(time.Duration) Sample{good, bad}, unreadable: 1, step: 0, at: 3 * time.Second,
			want: got{Action: RollBack, Member: "m1", Gate: "error_rate", Step: 0, Weight: 10, Value: 0.2},
		},
		"one member unreadable: an error naming it": {
			samples: []func(time.Duration) Sample{good, good}, unreadable: 2, step: 0, at: 3 * time.Second,
			want: got{Step: 0, Weight: 10, Err: "member m1: reading the canary's metrics: GetMetricData: throttled"},
		},
		"one member unreadable past the deadline: roll back": {
			samples: []func(time.Duration) Sample{good, good}, unreadable: 2, step: 0, at: 3 * time.Second, deadline: 2 * time.Second,
			want: got{Action: RollBack, Member: "m1", Gate: "deadline", Step: 0, Weight: 10, Value: 3}, // 3 s since the start, deadline 2 s
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{now: t0.Add(tc.at)}
			var members []Member
			for i, s := range tc.samples {
				members = append(members, Member{Name: fmt.Sprintf("m%d", i), Sources: memberScript{clock: clk, sample: s, fail: tc.unreadable == i+1}})
			}
			p := Policy{Steps: steps, Interval: time.Second, Deadline: tc.deadline,
				Health: Health{MaxErrorRate: f(0.05), MinInvocations: 10, OnInsufficientData: InsufficientHold}}
			d, err := EvaluateGroup(context.Background(), p, members, Progress{Step: tc.step, StepStarted: t0, Started: t0}, clk.Now())
			g := got{Action: d.Action, Member: d.Member, Gate: d.Gate, Step: d.Step, Weight: d.Weight, Value: d.Value}
			if err != nil {
				g.Err = err.Error()
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("decision (-want +got):\n%s\nreason: %s", diff, d.Reason)
			}
			if tc.wantReason != "" && d.Reason != tc.wantReason {
				t.Errorf("reason = %q, want %q", d.Reason, tc.wantReason)
			}
		})
	}
}

// TestMoveGroup pins one plan-driven transition: every member is written
// once, in parallel, and a failed write names its member without keeping
// the others from being written.
func TestMoveGroup(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		d         Decision
		failShift map[int]int
		wantCalls map[string][]string
		wantErr   string
	}{
		"advance sets the step's weight on every member": {
			d:         Decision{Action: Advance, Step: 0, Weight: 10},
			wantCalls: map[string][]string{"m0": {"canary 50"}, "m1": {"canary 50"}},
		},
		"start sets the first weight": {
			d:         Decision{Action: Advance, Step: -1},
			wantCalls: map[string][]string{"m0": {"canary 10"}, "m1": {"canary 10"}},
		},
		"promote": {
			d:         Decision{Action: Promote, Step: 1, Weight: 50},
			wantCalls: map[string][]string{"m0": {"promote"}, "m1": {"promote"}},
		},
		"roll back": {
			d:         Decision{Action: RollBack, Step: 1, Weight: 50},
			wantCalls: map[string][]string{"m0": {"rollback"}, "m1": {"rollback"}},
		},
		"abort rolls back": {
			d:         Decision{Action: Abort, Step: 0, Weight: 10},
			wantCalls: map[string][]string{"m0": {"rollback"}, "m1": {"rollback"}},
		},
		"one member's failed write is named; the other is written": {
			d: Decision{Action: Advance, Step: 0, Weight: 10}, failShift: map[int]int{1: 1},
			wantCalls: map[string][]string{"m0": {"canary 50"}, "m1": {"canary 50 failed"}},
			wantErr:   "member m1: UpdateAlias: 500",
		},
		"hold moves nothing": {
			d:         Decision{Action: Hold, Step: 0, Weight: 10},
			wantCalls: map[string][]string{},
		},
	}
	steps := []Step{{10, 2 * time.Second}, {50, 2 * time.Second}}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			log := &groupLog{calls: map[string][]string{}}
			var members []Member
			for i := range 2 {
				n := fmt.Sprintf("m%d", i)
				members = append(members, Member{Name: n, Traffic: &memberTraffic{log: log, name: n, failShift: tc.failShift[i]}})
			}
			err := MoveGroup(context.Background(), Policy{Steps: steps}, members, tc.d)
			if diff := cmp.Diff(tc.wantCalls, log.calls); diff != "" {
				t.Errorf("moves (-want +got):\n%s", diff)
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				var me *MemberError
				if !errors.As(err, &me) {
					t.Errorf("err %v names no member", err)
				}
			}
			if gotErr != tc.wantErr {
				t.Errorf("err = %q, want %q", gotErr, tc.wantErr)
			}
		})
	}
}
