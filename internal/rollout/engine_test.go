package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	now    time.Time
	cancel func() // called when time reaches cancelAt
	at     time.Time
	// expires, when set, is the time limit of the caller's context: a
	// sleep that reaches it returns context.DeadlineExceeded, as a real
	// context.WithTimeout does.
	expires time.Time
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if !c.expires.IsZero() && !c.now.Add(d).Before(c.expires) {
		c.now = c.expires
		return context.DeadlineExceeded
	}
	c.now = c.now.Add(d)
	if c.cancel != nil && !c.now.Before(c.at) {
		c.cancel()
		c.cancel = nil
	}
	return ctx.Err()
}

// script answers the engine from functions of the elapsed time.
type script struct {
	clock    *fakeClock
	sample   func(elapsed time.Duration) Sample
	alarms   func(elapsed time.Duration) map[string]string
	override func(elapsed time.Duration) string
	failures int // Canary fails this many times first
	// readTime is how long one read of the metrics takes on the fake
	// clock (a slow or retried read).
	readTime time.Duration
	// firstFailure is when the first failed read started.
	firstFailure time.Time
}

func (s *script) el() time.Duration { return s.clock.now.Sub(t0) }

func (s *script) Canary(context.Context, time.Time) (Sample, error) {
	start := s.clock.now
	s.clock.now = s.clock.now.Add(s.readTime)
	if s.failures > 0 {
		s.failures--
		if s.firstFailure.IsZero() {
			s.firstFailure = start
		}
		return Sample{}, errors.New("GetMetricData: throttled")
	}
	if s.sample == nil {
		return Sample{}, nil
	}
	return s.sample(s.el()), nil
}

func (s *script) AlarmStates(context.Context, []string) (map[string]string, error) {
	if s.alarms == nil {
		return map[string]string{}, nil
	}
	return s.alarms(s.el()), nil
}

func (s *script) Override(context.Context) (string, error) {
	if s.override == nil {
		return "", nil
	}
	return s.override(s.el()), nil
}

type recorder struct{ calls []string }

func (r *recorder) SetCanary(_ context.Context, w float64) error {
	r.calls = append(r.calls, fmt.Sprintf("canary %g", w))
	return nil
}
func (r *recorder) RollBack(context.Context) error { r.calls = append(r.calls, "rollback"); return nil }
func (r *recorder) Promote(context.Context) error  { r.calls = append(r.calls, "promote"); return nil }

type hookMap map[string]error

func (h hookMap) Run(_ context.Context, _, phase string) error { return h[phase] }

func f(v float64) *float64 { return &v }

func good(time.Duration) Sample { return Sample{Invocations: 100, Errors: 0, P99MS: f(40)} }

func TestDrive(t *testing.T) {
	t.Parallel()
	twoSteps := []Step{{10, 2 * time.Second}, {50, 2 * time.Second}}
	health := Health{MaxErrorRate: f(0.05), MaxP99DurationMS: f(500), MinInvocations: 10, OnInsufficientData: InsufficientHold, Alarms: []string{"errors"}, PreexistingAlarms: "fail"}
	tests := map[string]struct {
		steps      []Step
		health     func(h Health) Health
		sample     func(time.Duration) Sample
		alarms     func(time.Duration) map[string]string
		override   func(time.Duration) string
		hooks      hookMap
		pre, post  string
		failures   int
		readTime   time.Duration
		deadline   time.Duration // Policy.Deadline
		cancelAt   time.Duration
		timeoutAt  time.Duration // the caller's context expires
		wantCalls  []string
		wantStatus string
		wantGate   string
		wantStep   int
		wantWeight float64
		wantValue  float64
		wantAt     time.Duration // when set, the final decision's time after t0
		// wantWithin, when set, bounds the time from the first failed
		// read to the final decision.
		wantWithin time.Duration
	}{
		"healthy rollout is promoted": {
			steps: twoSteps, sample: good,
			wantCalls: []string{"canary 10", "canary 50", "promote"}, wantStatus: StatusPromoted, wantStep: 1, wantWeight: 50,
		},
		"error rate breach at the first step": {
			steps: twoSteps, sample: func(time.Duration) Sample { return Sample{Invocations: 40, Errors: 8, P99MS: f(40)} },
			wantCalls: []string{"canary 10", "rollback"}, wantStatus: StatusRolledBack, wantGate: "error_rate", wantStep: 0, wantWeight: 10, wantValue: 0.2,
		},
		"p99 breach at the second step": {
			steps: twoSteps, sample: func(e time.Duration) Sample {
				if e > 2*time.Second {
					return Sample{Invocations: 50, P99MS: f(900)}
				}
				return good(e)
			},
			wantCalls: []string{"canary 10", "canary 50", "rollback"}, wantStatus: StatusRolledBack, wantGate: "p99", wantStep: 1, wantWeight: 50, wantValue: 900,
		},
		"insufficient data holds until data arrives": {
			steps: twoSteps, sample: func(e time.Duration) Sample {
				if e < 6*time.Second {
					return Sample{Invocations: 2}
				}
				return good(e)
			},
			wantCalls: []string{"canary 10", "canary 50", "promote"}, wantStatus: StatusPromoted, wantStep: 1, wantWeight: 50,
		},
		"insufficient data rolls back when asked": {
			steps: twoSteps, health: func(h Health) Health { h.OnInsufficientData = InsufficientRollback; return h },
			sample:    func(time.Duration) Sample { return Sample{Invocations: 3} },
			wantCalls: []string{"canary 10", "rollback"}, wantStatus: StatusRolledBack, wantGate: "insufficient_data", wantStep: 0, wantWeight: 10, wantValue: 3,
		},
		"insufficient data proceeds when asked": {
			steps: twoSteps, health: func(h Health) Health { h.OnInsufficientData = InsufficientProceed; return h },
			sample:    func(time.Duration) Sample { return Sample{} },
			wantCalls: []string{"canary 10", "canary 50", "promote"}, wantStatus: StatusPromoted, wantStep: 1, wantWeight: 50,
		},
		"an alarm during the rollout rolls back": {
			steps: twoSteps, sample: good, alarms: func(e time.Duration) map[string]string {
				if e >= 3*time.Second {
					return map[string]string{"errors": "ALARM"}
				}
				return map[string]string{"errors": "OK"}
			},
			wantCalls: []string{"canary 10", "canary 50", "rollback"}, wantStatus: StatusRolledBack, wantGate: "alarm:errors", wantStep: 1, wantWeight: 50,
		},
		"a pre-existing alarm stops the rollout before traffic moves": {
			steps: twoSteps, sample: good, alarms: func(time.Duration) map[string]string { return map[string]string{"errors": "ALARM"} },
			wantCalls: nil, wantStatus: StatusRolledBack, wantGate: "alarm:errors", wantStep: -1,
		},
		"a pre-existing alarm is ignored when asked": {
			steps: twoSteps, health: func(h Health) Health { h.PreexistingAlarms = "ignore"; return h }, sample: good,
			alarms:    func(time.Duration) map[string]string { return map[string]string{"errors": "ALARM"} },
			wantCalls: []string{"canary 10", "canary 50", "promote"}, wantStatus: StatusPromoted, wantStep: 1, wantWeight: 50,
		},
		"override abort": {
			steps: twoSteps, sample: good, override: func(e time.Duration) string {
				if e >= 3*time.Second {
					return "abort"
				}
				return ""
			},
			wantCalls: []string{"canary 10", "canary 50", "rollback"}, wantStatus: StatusAborted, wantGate: "override", wantStep: 1, wantWeight: 50,
		},
		"override promote": {
			steps: twoSteps, sample: good, override: func(time.Duration) string { return "promote" },
			wantCalls: []string{"canary 10", "promote"}, wantStatus: StatusPromoted, wantStep: 0, wantWeight: 10,
		},
		"override pause extends the step": {
			steps: []Step{{10, 2 * time.Second}}, sample: good, override: func(e time.Duration) string {
				if e < 10*time.Second {
					return "pause"
				}
				return ""
			},
			// Paused at the ticks of 1s to 9s, the 2s hold counts from 9s: promotion at 11s.
			wantCalls: []string{"canary 10", "promote"}, wantStatus: StatusPromoted, wantStep: 0, wantWeight: 10, wantAt: 11 * time.Second,
		},
		"failed pre-traffic hook moves no traffic": {
			steps: twoSteps, sample: good, pre: "smoke", hooks: hookMap{"pre_traffic": errors.New(`{"status":"Failed"}`)},
			wantCalls: nil, wantStatus: StatusRolledBack, wantGate: "hook:pre_traffic", wantStep: -1,
		},
		"failed post-traffic hook rolls back": {
			steps: twoSteps, sample: good, post: "verify", hooks: hookMap{"post_traffic": errors.New("function error")},
			wantCalls: []string{"canary 10", "canary 50", "promote", "rollback"}, wantStatus: StatusRolledBack, wantGate: "hook:post_traffic", wantStep: 1, wantWeight: 100,
		},
		"cancellation restores traffic": {
			steps: twoSteps, sample: good, cancelAt: 3 * time.Second,
			wantCalls: []string{"canary 10", "canary 50", "rollback"}, wantStatus: StatusAborted, wantGate: "cancelled", wantStep: 1, wantWeight: 50,
		},
		"all at once": {
			steps: nil, sample: good, wantCalls: []string{"promote"}, wantStatus: StatusPromoted, wantStep: -1, wantWeight: 100,
		},
		"unreadable health rolls back": {
			steps: twoSteps, sample: good, failures: 3,
			wantCalls: []string{"canary 10", "rollback"}, wantStatus: StatusRolledBack, wantGate: "health_unreadable", wantStep: 0, wantWeight: 10,
		},
		"slow failing reads roll back within three intervals of the first": {
			// Each failed read takes 0.9 interval (retries); evaluations stay
			// on their ticks, so the third failure ends before 3 intervals.
			steps: twoSteps, sample: good, failures: 1000, readTime: 900 * time.Millisecond, cancelAt: time.Hour,
			wantCalls: []string{"canary 10", "rollback"}, wantStatus: StatusRolledBack, wantGate: "health_unreadable", wantStep: 0, wantWeight: 10,
			wantWithin: 3 * time.Second,
		},
		"no traffic with on_insufficient_data hold ends at the deadline": {
			steps: twoSteps, sample: func(time.Duration) Sample { return Sample{} }, deadline: 8 * time.Second, cancelAt: time.Hour,
			wantCalls: []string{"canary 10", "rollback"}, wantStatus: StatusRolledBack, wantGate: "deadline", wantStep: 0, wantWeight: 10,
			wantValue: 8, wantAt: 8 * time.Second,
		},
		"too little traffic at the second step ends at the deadline": {
			steps: twoSteps, deadline: 9500 * time.Millisecond, cancelAt: time.Hour, sample: func(e time.Duration) Sample {
				if e <= 2*time.Second {
					return good(e)
				}
				return Sample{Invocations: 4}
			},
			// The deadline falls between two ticks: the engine wakes at it.
			wantCalls: []string{"canary 10", "canary 50", "rollback"}, wantStatus: StatusRolledBack, wantGate: "deadline", wantStep: 1, wantWeight: 50,
			wantAt: 9500 * time.Millisecond,
		},
		"a pause ends at the deadline": {
			steps: twoSteps, sample: good, deadline: 8 * time.Second, cancelAt: time.Hour, override: func(time.Duration) string { return "pause" },
			wantCalls: []string{"canary 10", "rollback"}, wantStatus: StatusRolledBack, wantGate: "deadline", wantStep: 0, wantWeight: 10, wantAt: 8 * time.Second,
		},
		"unreadable health ends at the deadline when it comes first": {
			steps: twoSteps, sample: good, failures: 1000, deadline: 4500 * time.Millisecond, readTime: 2 * time.Second, cancelAt: time.Hour,
			wantCalls: []string{"canary 10", "rollback"}, wantStatus: StatusRolledBack, wantGate: "deadline", wantStep: 0, wantWeight: 10,
		},
		"the apply's time limit restores traffic": {
			steps: []Step{{10, time.Hour}}, sample: good, timeoutAt: 5 * time.Second,
			wantCalls: []string{"canary 10", "rollback"}, wantStatus: StatusAborted, wantGate: "timeout", wantStep: 0, wantWeight: 10, wantAt: 5 * time.Second,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clk := &fakeClock{now: t0}
			if tc.cancelAt > 0 {
				clk.cancel, clk.at = cancel, t0.Add(tc.cancelAt)
			}
			if tc.timeoutAt > 0 {
				clk.expires = t0.Add(tc.timeoutAt)
			}
			h := health
			if tc.health != nil {
				h = tc.health(h)
			}
			p := Policy{Steps: tc.steps, Interval: time.Second, Health: h, PreTrafficHook: tc.pre, PostTrafficHook: tc.post, Deadline: tc.deadline}
			src := &script{clock: clk, sample: tc.sample, alarms: tc.alarms, override: tc.override, failures: tc.failures, readTime: tc.readTime}
			rec := &recorder{}
			out := Drive(ctx, p, src, rec, tc.hooks, clk)
			if diff := cmp.Diff(tc.wantCalls, rec.calls); diff != "" {
				t.Errorf("traffic calls (-want +got):\n%s", diff)
			}
			if out.Status != tc.wantStatus || out.Final.Gate != tc.wantGate || out.Final.Step != tc.wantStep || out.Final.Weight != tc.wantWeight {
				t.Errorf("outcome = %s gate %q step %d weight %g (%s); want %s gate %q step %d weight %g",
					out.Status, out.Final.Gate, out.Final.Step, out.Final.Weight, out.Final.Reason, tc.wantStatus, tc.wantGate, tc.wantStep, tc.wantWeight)
			}
			if tc.wantValue != 0 && out.Final.Value != tc.wantValue {
				t.Errorf("measured value = %g, want %g", out.Final.Value, tc.wantValue)
			}
			if tc.wantAt != 0 && out.Final.At.Sub(t0) != tc.wantAt {
				t.Errorf("final decision at %s, want %s", out.Final.At.Sub(t0), tc.wantAt)
			}
			if tc.wantWithin != 0 {
				if took := out.Final.At.Sub(src.firstFailure); src.firstFailure.IsZero() || took > tc.wantWithin {
					t.Errorf("from the first failed read to the roll back: %s, want at most %s", took, tc.wantWithin)
				}
			}
			if out.Final.Reason == "" {
				t.Error("the final decision has no reason")
			}
		})
	}
}

func TestPresets(t *testing.T) {
	t.Parallel()
	if len(Presets) != 9 {
		t.Fatalf("%d presets, want the 9 CodeDeploy configurations", len(Presets))
	}
	tests := map[string]string{
		"AllAtOnce":                     "100%",
		"Canary10Percent5Minutes":       "10% for 5m0s, then 100%",
		"Canary10Percent30Minutes":      "10% for 30m0s, then 100%",
		"Linear10PercentEvery1Minute":   "10% for 1m0s, then 20% for 1m0s, then 30% for 1m0s, then 40% for 1m0s, then 50% for 1m0s, then 60% for 1m0s, then 70% for 1m0s, then 80% for 1m0s, then 90% for 1m0s, then 100%",
		"Linear10PercentEvery10Minutes": "10% for 10m0s, then 20% for 10m0s, then 30% for 10m0s, then 40% for 10m0s, then 50% for 10m0s, then 60% for 10m0s, then 70% for 10m0s, then 80% for 10m0s, then 90% for 10m0s, then 100%",
	}
	for name, want := range tests {
		if got := Describe(Presets[name]); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestValidateSteps(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		steps []Step
		want  string
	}{
		"valid":          {steps: []Step{{10, time.Minute}, {50, time.Minute}}},
		"zero weight":    {steps: []Step{{0, time.Minute}}, want: "steps[0].weight_percent = 0: each step sends more than 0% and less than 100% of the traffic to the new version (100% is the promotion after the last step)"},
		"hundred":        {steps: []Step{{100, time.Minute}}, want: "steps[0].weight_percent = 100: each step sends more than 0% and less than 100% of the traffic to the new version (100% is the promotion after the last step)"},
		"not increasing": {steps: []Step{{20, time.Minute}, {20, time.Minute}}, want: "steps[1].weight_percent = 20: weights must increase from step to step (the previous step sends 20%)"},
		"short hold":     {steps: []Step{{10, 10 * time.Second}}, want: "steps[0].hold = 10s: a step must hold at least one interval (1m0s) so that its gates are evaluated"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if err := ValidateSteps(tc.steps, time.Minute); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("ValidateSteps = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEvaluateDeadline(t *testing.T) {
	t.Parallel()
	steps := []Step{{10, 2 * time.Second}, {50, 2 * time.Second}}
	p := Policy{Steps: steps, Interval: time.Second, Deadline: 8 * time.Second,
		Health: Health{MinInvocations: 10, OnInsufficientData: InsufficientHold}}
	tests := map[string]struct {
		started     time.Time
		stepStarted time.Duration
		at          time.Duration
		sample      Sample
		wantGate    string
		wantAct     Action
		wantValue   float64
		wantWords   string
	}{
		"before the deadline the wait for data holds": {started: t0, at: 7 * time.Second, wantAct: Hold, wantGate: "insufficient_data", wantWords: "rolls back at the deadline in 1s"},
		"at the deadline the wait for data rolls back": {started: t0, at: 8 * time.Second, sample: Sample{Invocations: 3}, wantAct: RollBack, wantGate: "deadline", wantValue: 8,
			wantWords: "3 of min_invocations 10"},
		"a rollout of unknown start has no deadline": {at: 8 * time.Second, wantAct: Hold, wantGate: "insufficient_data"},
		"past the deadline healthy gates still advance": {started: t0, at: 9 * time.Second, sample: good(0), wantAct: Advance,
			wantWords: "step 1 passed"},
		"past the deadline a step applied late keeps its hold": {started: t0, stepStarted: 8 * time.Second, at: 9 * time.Second, sample: good(0), wantAct: Hold,
			wantWords: "step 1 holds 2s at 10% (1s left)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{now: t0.Add(tc.at)}
			src := &script{clock: clk, sample: func(time.Duration) Sample { return tc.sample }}
			d, err := Evaluate(context.Background(), p, src, Progress{Step: 0, StepStarted: t0.Add(tc.stepStarted), Started: tc.started}, clk.now)
			if err != nil {
				t.Fatal(err)
			}
			if d.Action != tc.wantAct || d.Gate != tc.wantGate || d.Value != tc.wantValue {
				t.Errorf("decision = %s gate %q value %g (%s), want %s gate %q value %g", d.Action, d.Gate, d.Value, d.Reason, tc.wantAct, tc.wantGate, tc.wantValue)
			}
			if !strings.Contains(d.Reason, tc.wantWords) {
				t.Errorf("reason %q does not say %q", d.Reason, tc.wantWords)
			}
		})
	}
}

func TestHealthUnreadable(t *testing.T) {
	t.Parallel()
	p := Policy{Steps: []Step{{10, time.Minute}}, Interval: 10 * time.Second}
	pr := Progress{Step: 0, StepStarted: t0}
	readErr := errors.New("GetMetricData: InternalFailure")
	tests := map[string]struct {
		since, now time.Duration
		want       Decision
	}{
		"the first failed read holds": {since: 5 * time.Second, now: 5 * time.Second, want: Decision{Action: Hold, Step: 0, Weight: 10, Gate: "health_unreadable",
			Reason: "health could not be read since 2026-11-25T12:00:05Z: reading the canary's metrics: GetMetricData: InternalFailure; unless a read succeeds, the rollout rolls back at 2026-11-25T12:00:25Z"}},
		"within the bound it still holds": {since: 5 * time.Second, now: 24 * time.Second, want: Decision{Action: Hold, Step: 0, Weight: 10, Gate: "health_unreadable",
			Reason: "health could not be read since 2026-11-25T12:00:05Z: reading the canary's metrics: GetMetricData: InternalFailure; unless a read succeeds, the rollout rolls back at 2026-11-25T12:00:25Z"}},
		"at the bound it rolls back": {since: 5 * time.Second, now: 25 * time.Second, want: Decision{Action: RollBack, Step: 0, Weight: 10, Gate: "health_unreadable", Value: 20, Threshold: 20,
			Reason: "health could not be read for 20s (since 2026-11-25T12:00:05Z, limit 2 intervals of 10s): reading the canary's metrics: GetMetricData: InternalFailure"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			now := t0.Add(tc.now)
			got := HealthUnreadable(p, pr, t0.Add(tc.since), now, fmt.Errorf("reading the canary's metrics: %w", readErr))
			tc.want.At = now
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("HealthUnreadable (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeadlineDefaultAndValidation(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		steps       []Step
		interval    time.Duration
		deadline    time.Duration
		wantDefault time.Duration
		wantShort   string
		wantErr     string
	}{
		"short schedule: five intervals of slack": {steps: []Step{{20, 3 * time.Second}}, interval: time.Second, deadline: 4 * time.Second, wantDefault: 8 * time.Second, wantShort: "8s"},
		"long schedule: twice the hold":           {steps: Presets["Linear10PercentEvery10Minutes"], interval: time.Minute, deadline: 99 * time.Minute, wantDefault: 180 * time.Minute, wantShort: "3h"},
		"canary preset":                           {steps: Presets["Canary10Percent5Minutes"], interval: time.Minute, deadline: 6 * time.Minute, wantDefault: 10 * time.Minute, wantShort: "10m"},
		"all at once":                             {steps: nil, interval: time.Minute, deadline: time.Second, wantDefault: 5 * time.Minute, wantShort: "5m"},
		"too short for the schedule": {steps: []Step{{10, 5 * time.Minute}, {50, 5 * time.Minute}}, interval: time.Minute, deadline: 11 * time.Minute, wantDefault: 20 * time.Minute, wantShort: "20m",
			wantErr: "deadline = 11m0s: it must be at least the schedule's total hold plus one interval per step (10m0s + 2 × 1m0s = 12m0s), so that a healthy rollout can finish"},
		"zero": {steps: nil, interval: time.Minute, deadline: 0, wantDefault: 5 * time.Minute, wantShort: "5m", wantErr: "deadline = 0s: it must be a positive duration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := DefaultDeadline(tc.steps, tc.interval); got != tc.wantDefault {
				t.Errorf("DefaultDeadline = %s, want %s", got, tc.wantDefault)
			}
			if err := ValidateDeadline(DefaultDeadline(tc.steps, tc.interval), tc.steps, tc.interval); err != nil {
				t.Errorf("the default deadline is invalid: %v", err)
			}
			got := ""
			if err := ValidateDeadline(tc.deadline, tc.steps, tc.interval); err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("ValidateDeadline = %q, want %q", got, tc.wantErr)
			}
			if got, want := ShortDuration(DefaultDeadline(tc.steps, tc.interval)), tc.wantShort; got != want {
				t.Errorf("ShortDuration(default) = %q, want %q", got, want)
			}
		})
	}
}
