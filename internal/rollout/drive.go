package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Traffic moves an alias's traffic; the alias resource implements it with
// UpdateAlias calls.
type Traffic interface {
	// SetCanary sends weightPercent of the traffic to B, the rest to A.
	SetCanary(ctx context.Context, weightPercent float64) error
	// RollBack sends all traffic to A, in one call.
	RollBack(ctx context.Context) error
	// Promote sends all traffic to B.
	Promote(ctx context.Context) error
}

// Hooks runs a lifecycle hook; an error is a failed hook.
type Hooks interface {
	Run(ctx context.Context, hook, phase string) error
}

// Clock is the engine's time.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the wall clock; tests inject a fake Clock instead.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx ends.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Final statuses of a rollout.
const (
	StatusPromoted   = "promoted"
	StatusRolledBack = "rolled_back"
	StatusAborted    = "aborted"
	StatusInProgress = "in_progress"
)

// Outcome is how a driven rollout ended.
type Outcome struct {
	Status string
	// Decisions are the decisions that moved traffic or ended the rollout, in order.
	Decisions []Decision
	// Final is the last decision.
	Final Decision
	// Err is set when traffic could not be moved as decided; Status then
	// says what the traffic is known to be.
	Err error
}

// maxSourceErrors is how many consecutive failed reads of metrics or
// alarms the engine tolerates (holding) before it rolls back: a rollout is
// never promoted blind.
const maxSourceErrors = 3

// Drive runs a whole rollout, blocking, and tells no one: DriveObserved
// with no observer.
func Drive(ctx context.Context, p Policy, src Sources, tr Traffic, hooks Hooks, clk Clock) Outcome {
	return DriveObserved(ctx, p, src, tr, hooks, clk, nil)
}

// DriveObserved runs a whole rollout, blocking: pre-traffic hook, the steps with
// their gates every interval, promotion and the post-traffic hook. A
// breach rolls back at once. A cancelled ctx rolls back too (status
// aborted), with a context that outlives the cancellation. obs (may be
// nil) is told every event after the traffic it reports has moved.
func DriveObserved(ctx context.Context, p Policy, src Sources, tr Traffic, hooks Hooks, clk Clock, obs Observer) Outcome {
	return drive(ctx, p, oneSource{src}, tr, hooks, clk, obs)
}

// gates is what drive evaluates each tick: one alias's sources
// (oneSource), or every changed member of a group (groupMembers).
type gates interface {
	start(ctx context.Context, p Policy, now time.Time) (Progress, *Decision, error)
	evaluate(ctx context.Context, p Policy, pr Progress, now time.Time) (Decision, error)
}

type oneSource struct{ src Sources }

func (o oneSource) start(ctx context.Context, p Policy, now time.Time) (Progress, *Decision, error) {
	return Start(ctx, p, o.src, now)
}

func (o oneSource) evaluate(ctx context.Context, p Policy, pr Progress, now time.Time) (Decision, error) {
	return Evaluate(ctx, p, o.src, pr, now)
}

// drive is DriveObserved's loop over the gates of one alias or of a group.
func drive(ctx context.Context, p Policy, src gates, tr Traffic, hooks Hooks, clk Clock, obs Observer) Outcome {
	var out Outcome
	var pr Progress
	emit := func(kind EventKind, d Decision) {
		if obs != nil {
			obs.Observe(context.WithoutCancel(ctx), EventFrom(kind, p, pr, d))
		}
	}
	finish := func(status string, d Decision) Outcome {
		out.Status, out.Final = status, d
		out.Decisions = append(out.Decisions, d)
		switch status {
		case StatusRolledBack:
			if d.Gate == "deadline" {
				emit(EventDeadlineReached, d)
			}
			emit(EventRolledBack, d)
		case StatusAborted:
			if d.Override {
				emit(EventOverridden, d)
			}
			emit(EventAborted, d)
		case StatusPromoted:
			if d.Override {
				emit(EventOverridden, d)
			}
			emit(EventPromoted, d)
		}
		return out
	}
	rollBack := func(status string, d Decision) Outcome {
		if err := tr.RollBack(context.WithoutCancel(ctx)); err != nil {
			out.Err = fmt.Errorf("rolling back: %w", err)
			return finish(StatusInProgress, d)
		}
		return finish(status, d)
	}
	if p.PreTrafficHook != "" {
		if err := runHook(ctx, hooks, p, p.PreTrafficHook, "pre_traffic"); err != nil {
			return finish(StatusRolledBack, Decision{Action: RollBack, Step: -1, Gate: "hook:pre_traffic", At: clk.Now(),
				Reason: fmt.Sprintf("pre-traffic hook %s failed: %v; no traffic was moved", p.PreTrafficHook, err)})
		}
	}
	pr, stop, err := src.start(ctx, p, clk.Now())
	if err != nil {
		return finish(StatusRolledBack, Decision{Action: RollBack, Step: -1, Gate: "alarms", At: clk.Now(), Reason: err.Error()})
	}
	if stop != nil {
		return finish(StatusRolledBack, *stop)
	}
	promote := func(d Decision) Outcome {
		if err := tr.Promote(context.WithoutCancel(ctx)); err != nil {
			out.Err = fmt.Errorf("promoting: %w", err)
			return rollBack(StatusRolledBack, d)
		}
		if p.PostTrafficHook != "" {
			if err := runHook(ctx, hooks, p, p.PostTrafficHook, "post_traffic"); err != nil {
				return rollBack(StatusRolledBack, Decision{Action: RollBack, Step: d.Step, Weight: 100, Gate: "hook:post_traffic", At: clk.Now(),
					Reason: fmt.Sprintf("post-traffic hook %s failed: %v", p.PostTrafficHook, err)})
			}
		}
		return finish(StatusPromoted, d)
	}
	if len(p.Steps) == 0 {
		return promote(Decision{Action: Promote, Step: -1, Weight: 100, At: clk.Now(), Reason: "no steps: all at once"})
	}
	if err := tr.SetCanary(ctx, p.Steps[0].WeightPercent); err != nil {
		out.Err = fmt.Errorf("shifting to step 1: %w", err)
		return rollBack(StatusRolledBack, Decision{Action: RollBack, Step: 0, At: clk.Now(), Reason: out.Err.Error()})
	}
	pr.Step = 0
	pr.StepStarted = clk.Now()
	pr.Started = pr.StepStarted
	emit(EventStarted, Decision{Action: Advance, Step: 0, Weight: p.Steps[0].WeightPercent, At: pr.Started,
		Reason: fmt.Sprintf("%g%% of the traffic on the new version; schedule %s", p.Steps[0].WeightPercent, Describe(p.Steps))})
	tick, failures := pr.StepStarted, 0
	held := "" // the gate of the hold last reported, so a long hold is told once
	for {
		// Evaluations keep to their ticks, one interval apart however long
		// the reads took, and one falls on the deadline.
		tick = nextTick(tick, p.Interval, clk.Now(), pr.deadlineAt(p))
		if err := clk.Sleep(ctx, max(0, tick.Sub(clk.Now()))); err != nil {
			return rollBack(StatusAborted, interrupted(err, p, pr, clk.Now()))
		}
		d, err := src.evaluate(ctx, p, pr, clk.Now())
		if err != nil {
			failures++
			if held != "health_unreadable" && failures < maxSourceErrors {
				held = "health_unreadable"
				emit(EventHeld, Decision{Action: Hold, Step: pr.Step, Weight: p.Steps[pr.Step].WeightPercent, Gate: held, At: clk.Now(),
					Reason: fmt.Sprintf("health could not be read: %v; rolls back after %d failed reads in a row", err, maxSourceErrors)})
			}
			if failures >= maxSourceErrors {
				d.At = clk.Now()
				d.Action, d.Gate, d.Reason = RollBack, "health_unreadable", fmt.Sprintf("health could not be read %d times in a row: %v", failures, err)
				return rollBack(StatusRolledBack, d)
			}
			continue
		}
		failures = 0
		switch {
		case d.Action == Pause && held != "override":
			emit(EventOverridden, d)
			held = "override"
			emit(EventHeld, d)
		case d.Action == Hold && d.Gate != "" && held != d.Gate:
			held = d.Gate
			emit(EventHeld, d)
		case d.Action != Hold && d.Action != Pause:
			held = ""
		}
		switch d.Action {
		case Hold:
		case Pause:
			// A pause extends the step by the interval that just passed.
			pr.StepStarted = pr.StepStarted.Add(p.Interval)
		case Advance:
			out.Decisions = append(out.Decisions, d)
			pr.Step++
			if err := tr.SetCanary(ctx, p.Steps[pr.Step].WeightPercent); err != nil {
				out.Err = fmt.Errorf("shifting to step %d: %w", pr.Step+1, err)
				return rollBack(StatusRolledBack, d)
			}
			pr.StepStarted = clk.Now()
			emit(EventStepAdvanced, Decision{Action: Advance, Step: pr.Step, Weight: p.Steps[pr.Step].WeightPercent, At: pr.StepStarted, Reason: d.Reason})
		case Promote:
			return promote(d)
		case RollBack:
			return rollBack(StatusRolledBack, d)
		case Abort:
			return rollBack(StatusAborted, d)
		}
	}
}

// nextTick is when the evaluation after the one due at prev runs: one
// interval later, at once when the reads overran that, and never after
// the deadline (zero: none).
func nextTick(prev time.Time, interval time.Duration, now, deadline time.Time) time.Time {
	next := prev.Add(interval)
	if !deadline.IsZero() && next.After(deadline) {
		next = deadline
	}
	if next.Before(now) {
		next = now
	}
	return next
}

// interrupted is the decision when the apply's context ends: a time limit
// (the caller's deadline) or a cancellation (Ctrl-C, a stopped pipeline).
func interrupted(err error, p Policy, pr Progress, now time.Time) Decision {
	d := Decision{Action: Abort, Step: pr.Step, Weight: p.Steps[pr.Step].WeightPercent, Gate: "cancelled", At: now,
		Reason: "the apply was cancelled; traffic went back to the previous version"}
	if errors.Is(err, context.DeadlineExceeded) {
		d.Gate = "timeout"
		d.Reason = fmt.Sprintf("the apply's time limit ran out %s after the first shift; traffic went back to the previous version", now.Sub(pr.Started).Round(time.Second))
	}
	return d
}

func runHook(ctx context.Context, hooks Hooks, p Policy, hook, phase string) error {
	return RunHook(ctx, hooks, p, hook, phase)
}

// RunHook runs a hook bounded by the policy's HookTimeout (both wait
// modes); a hook that has not answered by then fails, saying so.
func RunHook(ctx context.Context, hooks Hooks, p Policy, hook, phase string) error {
	if hooks == nil {
		return fmt.Errorf("no hook runner")
	}
	hctx := ctx
	if p.HookTimeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, p.HookTimeout)
		defer cancel()
	}
	err := hooks.Run(hctx, hook, phase)
	if err != nil && ctx.Err() == nil && errors.Is(hctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("it did not answer within hooks.timeout %s", p.HookTimeout)
	}
	return err
}
