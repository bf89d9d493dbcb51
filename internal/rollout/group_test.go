package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// memberScript answers one member's gates from the elapsed fake time; it
// only reads the clock (members are evaluated in parallel).
type memberScript struct {
	clock    *fakeClock
	sample   func(elapsed time.Duration) Sample
	fail     bool   // every read fails
	override string // the member's override tag: "", "promote", "pause" or "abort"
}

func (s memberScript) Canary(context.Context, time.Time) (Sample, error) {
	if s.fail {
		return Sample{}, errors.New("GetMetricData: throttled")
	}
	return s.sample(s.clock.now.Sub(t0)), nil
}

func (s memberScript) AlarmStates(context.Context, []string) (map[string]string, error) {
	return map[string]string{}, nil
}

func (s memberScript) Override(context.Context) (string, error) { return s.override, nil }

// groupLog records every member's moves, in order per member.
type groupLog struct {
	mu    sync.Mutex
	calls map[string][]string
}

type memberTraffic struct {
	log       *groupLog
	name      string
	failShift int // SetCanary fails at this shift (1-based); 0: never
	shifts    int
}

func (m *memberTraffic) add(call string) {
	m.log.mu.Lock()
	defer m.log.mu.Unlock()
	m.log.calls[m.name] = append(m.log.calls[m.name], call)
}

func (m *memberTraffic) SetCanary(_ context.Context, w float64) error {
	m.shifts++
	if m.shifts == m.failShift {
		m.add(fmt.Sprintf("canary %g failed", w))
		return errors.New("UpdateAlias: 500")
	}
	m.add(fmt.Sprintf("canary %g", w))
	return nil
}
func (m *memberTraffic) RollBack(context.Context) error { m.add("rollback"); return nil }
func (m *memberTraffic) Promote(context.Context) error  { m.add("promote"); return nil }

func TestDriveGroup(t *testing.T) {
	t.Parallel()
	steps := []Step{{10, 2 * time.Second}, {50, 2 * time.Second}}
	bad := func(time.Duration) Sample { return Sample{Invocations: 40, Errors: 8, P99MS: f(40)} }
	badAfter := func(at time.Duration) func(time.Duration) Sample {
		return func(e time.Duration) Sample {
			if e >= at {
				return bad(e)
			}
			return good(e)
		}
	}
	tests := map[string]struct {
		samples    []func(time.Duration) Sample
		overrides  map[int]string
		unreadable int // this member's reads fail (index+1; 0 none)
		failShift  map[int]int
		cancelAt   time.Duration
		wantCalls  map[string][]string
		wantStatus string
		wantMember string
		wantGate   string
		wantStep   int
		wantValue  float64
		wantErr    string
	}{
		"all healthy promote together": {
			samples: []func(time.Duration) Sample{good, good, good},
			wantCalls: map[string][]string{"m0": {"canary 10", "canary 50", "promote"}, "m1": {"canary 10", "canary 50", "promote"},
				"m2": {"canary 10", "canary 50", "promote"}},
			wantStatus: StatusPromoted, wantStep: 1,
		},
		"one bad member rolls every member back": {
			samples:    []func(time.Duration) Sample{good, badAfter(3 * time.Second)},
			wantCalls:  map[string][]string{"m0": {"canary 10", "canary 50", "rollback"}, "m1": {"canary 10", "canary 50", "rollback"}},
			wantStatus: StatusRolledBack, wantMember: "m1", wantGate: "error_rate", wantStep: 1, wantValue: 0.2,
		},
		"a breach wins over another member's unreadable health": {
			samples:    []func(time.Duration) Sample{good, bad},
			unreadable: 1,
			wantCalls:  map[string][]string{"m0": {"canary 10", "rollback"}, "m1": {"canary 10", "rollback"}},
			wantStatus: StatusRolledBack, wantMember: "m1", wantGate: "error_rate", wantStep: 0, wantValue: 0.2,
		},
		"one member's unreadable health rolls the group back after three reads": {
			samples:    []func(time.Duration) Sample{good, good},
			unreadable: 2,
			wantCalls:  map[string][]string{"m0": {"canary 10", "rollback"}, "m1": {"canary 10", "rollback"}},
			wantStatus: StatusRolledBack, wantGate: "health_unreadable", wantStep: 0,
		},
		"a failed shift of one member brings the others back": {
			samples:    []func(time.Duration) Sample{good, good, good},
			failShift:  map[int]int{2: 2},
			wantCalls:  map[string][]string{"m0": {"canary 10", "canary 50", "rollback"}, "m1": {"canary 10", "canary 50", "rollback"}, "m2": {"canary 10", "canary 50 failed", "rollback"}},
			wantStatus: StatusRolledBack, wantStep: 0, wantErr: "shifting to step 2: member m2: UpdateAlias: 500",
		},
		"an abort override on one member aborts every member": {
			samples:    []func(time.Duration) Sample{good, good},
			overrides:  map[int]string{1: "abort"},
			wantCalls:  map[string][]string{"m0": {"canary 10", "rollback"}, "m1": {"canary 10", "rollback"}},
			wantStatus: StatusAborted, wantMember: "m1", wantGate: "override", wantStep: 0,
		},
		"a promote override on one member alone does not promote the group": {
			samples:    []func(time.Duration) Sample{good, good},
			overrides:  map[int]string{0: "promote"},
			wantCalls:  map[string][]string{"m0": {"canary 10", "canary 50", "promote"}, "m1": {"canary 10", "canary 50", "promote"}},
			wantStatus: StatusPromoted, wantStep: 1,
		},
		"a promote override on every member promotes at once": {
			samples:    []func(time.Duration) Sample{good, good},
			overrides:  map[int]string{0: "promote", 1: "promote"},
			wantCalls:  map[string][]string{"m0": {"canary 10", "promote"}, "m1": {"canary 10", "promote"}},
			wantStatus: StatusPromoted, wantStep: 0,
		},
		"a pause override on one member holds every member until the deadline": {
			samples:    []func(time.Duration) Sample{good, good},
			overrides:  map[int]string{0: "pause"},
			wantCalls:  map[string][]string{"m0": {"canary 10", "rollback"}, "m1": {"canary 10", "rollback"}},
			wantStatus: StatusRolledBack, wantMember: "m0", wantGate: "deadline", wantStep: 0, wantValue: 60,
		},
		"an interrupt restores every member": {
			samples:    []func(time.Duration) Sample{good, good},
			cancelAt:   3 * time.Second,
			wantCalls:  map[string][]string{"m0": {"canary 10", "canary 50", "rollback"}, "m1": {"canary 10", "canary 50", "rollback"}},
			wantStatus: StatusAborted, wantGate: "cancelled", wantStep: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{now: t0}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelAt > 0 {
				clk.cancel, clk.at = cancel, t0.Add(tc.cancelAt)
			}
			log := &groupLog{calls: map[string][]string{}}
			var members []Member
			for i, s := range tc.samples {
				n := fmt.Sprintf("m%d", i)
				members = append(members, Member{Name: n, Sources: memberScript{clock: clk, sample: s, fail: tc.unreadable == i+1, override: tc.overrides[i]},
					Traffic: &memberTraffic{log: log, name: n, failShift: tc.failShift[i]}})
			}
			p := Policy{Steps: steps, Interval: time.Second, Deadline: time.Minute, Health: Health{MaxErrorRate: f(0.05), MinInvocations: 10, OnInsufficientData: InsufficientHold}}
			out := DriveGroup(ctx, p, members, clk)
			if diff := cmp.Diff(tc.wantCalls, log.calls); diff != "" {
				t.Errorf("moves (-want +got):\n%s", diff)
			}
			got := struct {
				Status, Member, Gate string
				Step                 int
				Value                float64
			}{out.Status, out.Final.Member, out.Final.Gate, out.Final.Step, out.Final.Value}
			want := got
			want.Status, want.Member, want.Gate, want.Step, want.Value = tc.wantStatus, tc.wantMember, tc.wantGate, tc.wantStep, tc.wantValue
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nreason: %s", diff, out.Final.Reason)
			}
			gotErr := ""
			if out.Err != nil {
				gotErr = out.Err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("err = %q, want %q", gotErr, tc.wantErr)
			}
		})
	}
}

// TestDriveSingleUnchanged pins Drive, now a loop shared with groups, to
// its single-alias decisions: a member-less decision.
func TestDriveSingleUnchanged(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: t0}
	rec := &recorder{}
	out := Drive(context.Background(), Policy{Steps: []Step{{10, time.Second}}, Interval: time.Second, Health: Health{MaxErrorRate: f(0.05)}},
		memberScript{clock: clk, sample: good}, rec, nil, clk)
	if diff := cmp.Diff([]string{"canary 10", "promote"}, rec.calls); diff != "" || out.Final.Member != "" {
		t.Errorf("calls (-want +got):\n%s member %q", diff, out.Final.Member)
	}
}

// barrierTraffic is a member whose rollback write returns only once every
// member's rollback write has started (or fails after a second): a
// rollback that wrote one member after another would fail.
type barrierTraffic struct {
	memberTraffic
	arrived *sync.WaitGroup
	all     chan struct{}
}

func (b *barrierTraffic) RollBack(ctx context.Context) error {
	b.arrived.Done()
	select {
	case <-b.all:
		return b.memberTraffic.RollBack(ctx)
	case <-time.After(time.Second):
		b.add("rollback alone")
		return errors.New("the other members' rollback writes did not start while this one was in flight")
	}
}

// TestGroupRollbackWritesInParallel: a group's rollback issues every
// member's write at once (one write's latency until traffic is safe, not
// one per member).
func TestGroupRollbackWritesInParallel(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: t0}
	log := &groupLog{calls: map[string][]string{}}
	const n = 5
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	var members []Member
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		sample := good
		if i == n-1 {
			sample = func(time.Duration) Sample { return Sample{Invocations: 40, Errors: 8, P99MS: f(40)} }
		}
		members = append(members, Member{Name: name, Sources: memberScript{clock: clk, sample: sample},
			Traffic: &barrierTraffic{memberTraffic: memberTraffic{log: log, name: name}, arrived: &arrived, all: all}})
	}
	p := Policy{Steps: []Step{{10, 2 * time.Second}}, Interval: time.Second, Health: Health{MaxErrorRate: f(0.05), MinInvocations: 10, OnInsufficientData: InsufficientHold}}
	out := DriveGroup(context.Background(), p, members, clk)
	if out.Status != StatusRolledBack || out.Err != nil {
		t.Fatalf("outcome %s (err %v), want rolled_back with every write done; moves %v", out.Status, out.Err, log.calls)
	}
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		if diff := cmp.Diff([]string{"canary 10", "rollback"}, log.calls[name]); diff != "" {
			t.Errorf("member %s moves (-want +got):\n%s", name, diff)
		}
	}
}
