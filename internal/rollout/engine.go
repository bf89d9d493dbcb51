package rollout

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Action is what the engine decided.
type Action string

const (
	Advance  Action = "advance"   // move to the next step
	Hold     Action = "hold"      // stay on the current step
	Promote  Action = "promote"   // all traffic to B
	RollBack Action = "roll_back" // all traffic back to A: a gate failed
	Pause    Action = "pause"     // hold by override; the rollout is extended
	Abort    Action = "abort"     // all traffic back to A: asked for
)

// Sample is what B alone did during the current step.
type Sample struct {
	Invocations float64
	Errors      float64
	P99MS       *float64 // nil when B served nothing
}

// ErrorRate is Errors / Invocations (0 without invocations).
func (s Sample) ErrorRate() float64 {
	if s.Invocations == 0 {
		return 0
	}
	return s.Errors / s.Invocations
}

// Sources are the engine's view of the world.
type Sources interface {
	// Canary returns B's metrics since the start of the current step.
	Canary(ctx context.Context, since time.Time) (Sample, error)
	// AlarmStates returns the state (OK, ALARM, INSUFFICIENT_DATA) of each named alarm.
	AlarmStates(ctx context.Context, names []string) (map[string]string, error)
	// Override returns the operator's override: "", "promote", "pause" or "abort".
	Override(ctx context.Context) (string, error)
}

// Decision is one evaluation, with everything that led to it.
type Decision struct {
	Action    Action
	Step      int     // index of the step evaluated (-1 before the first)
	Weight    float64 // B's weight in percent during that step
	Gate      string  // the gate that failed, for roll_back ("error_rate", "p99", "alarm:<name>", "insufficient_data", "hook:pre_traffic", ...)
	Value     float64 // the measured value of that gate
	Threshold float64 // its threshold
	Reason    string
	Sample    Sample
	At        time.Time
	// Member is, in a group, the member whose gates decided (empty when
	// every member agreed: an advance or a promotion).
	Member string
	// Override is set when the operator's override tag decided.
	Override bool
}

// Progress is where a rollout stands; the alias keeps it in state.
type Progress struct {
	Step        int       // current step index
	StepStarted time.Time // when its weight was set
	Ignored     map[string]bool
	// Started is when the first step's weight was set; the policy's
	// deadline counts from it. Zero: unknown, no deadline.
	Started time.Time
}

// deadlineAt is when the rollout must have ended, or zero.
func (pr Progress) deadlineAt(p Policy) time.Time {
	if p.Deadline <= 0 || pr.Started.IsZero() {
		return time.Time{}
	}
	return pr.Started.Add(p.Deadline)
}

// Evaluate decides the next move of a rollout at now. It never changes
// traffic itself.
//
// From the policy's deadline on, whatever would keep the rollout waiting
// ends it with a roll back (gate "deadline"): waiting for data under
// on_insufficient_data = "hold", a pause, or health that cannot be read.
// Decisions the gates and the schedule take (advance, promote, roll back,
// abort, the finite hold of a step) stand, so a healthy rollout that a
// pipeline applies late is not cut short.
func Evaluate(ctx context.Context, p Policy, src Sources, pr Progress, now time.Time) (Decision, error) {
	d, err := evaluate(ctx, p, src, pr, now)
	if at := pr.deadlineAt(p); at.IsZero() || now.Before(at) {
		return d, err
	}
	if err == nil && d.Action != Pause && (d.Action != Hold || (d.Gate != "insufficient_data" && !strings.HasPrefix(d.Gate, "queue_"))) {
		return d, nil
	}
	return pastDeadline(p, pr, d, err), nil
}

func evaluate(ctx context.Context, p Policy, src Sources, pr Progress, now time.Time) (Decision, error) {
	d := Decision{Step: pr.Step, At: now}
	if pr.Step >= 0 && pr.Step < len(p.Steps) {
		d.Weight = p.Steps[pr.Step].WeightPercent
	}
	switch ov, err := src.Override(ctx); {
	case err != nil:
		return d, fmt.Errorf("reading the override: %w", err)
	case ov == "abort":
		d.Action, d.Gate, d.Reason, d.Override = Abort, "override", "the rollout:override tag asks to abort", true
		return d, nil
	case ov == "promote":
		d.Action, d.Reason, d.Override = Promote, "the rollout:override tag asks to promote now", true
		return d, nil
	case ov == "pause":
		d.Action, d.Reason, d.Override = Pause, "the rollout:override tag pauses the rollout; traffic stays where it is", true
		return d, nil
	}
	if names := watched(p.Health.Alarms, pr.Ignored); len(names) > 0 {
		states, err := src.AlarmStates(ctx, names)
		if err != nil {
			return d, fmt.Errorf("reading alarms: %w", err)
		}
		for _, n := range names {
			if states[n] == "ALARM" {
				d.Action, d.Gate, d.Reason = RollBack, "alarm:"+n, fmt.Sprintf("alarm %s is in ALARM", n)
				return d, nil
			}
		}
	}
	sample, err := src.Canary(ctx, pr.StepStarted)
	if err != nil {
		return d, fmt.Errorf("reading the canary's metrics: %w", err)
	}
	d.Sample = sample
	h := p.Health
	enough := sample.Invocations >= float64(h.MinInvocations) && sample.Invocations > 0
	if enough && h.MaxErrorRate != nil && sample.ErrorRate() > *h.MaxErrorRate {
		d.Action, d.Gate, d.Value, d.Threshold = RollBack, "error_rate", sample.ErrorRate(), *h.MaxErrorRate
		d.Reason = fmt.Sprintf("error rate %.1f%% (%g errors in %g invocations) is above the maximum %.1f%%",
			100*sample.ErrorRate(), sample.Errors, sample.Invocations, 100**h.MaxErrorRate)
		return d, nil
	}
	if enough && h.MaxP99DurationMS != nil && sample.P99MS != nil && *sample.P99MS > *h.MaxP99DurationMS {
		d.Action, d.Gate, d.Value, d.Threshold = RollBack, "p99", *sample.P99MS, *h.MaxP99DurationMS
		d.Reason = fmt.Sprintf("p99 duration %.1f ms is above the maximum %.1f ms", *sample.P99MS, *h.MaxP99DurationMS)
		return d, nil
	}
	hold := time.Duration(0)
	if pr.Step >= 0 && pr.Step < len(p.Steps) {
		hold = p.Steps[pr.Step].Hold
	}
	if now.Sub(pr.StepStarted) < hold {
		d.Action, d.Reason = Hold, fmt.Sprintf("step %d holds %s at %g%% (%s left); %s", pr.Step+1, hold, d.Weight, (hold-now.Sub(pr.StepStarted)).Round(time.Second), healthy(sample))
		return d, nil
	}
	if !enough && h.MinInvocations > 0 {
		switch h.OnInsufficientData {
		case InsufficientRollback:
			d.Action, d.Gate, d.Value, d.Threshold = RollBack, "insufficient_data", sample.Invocations, float64(h.MinInvocations)
			d.Reason = fmt.Sprintf("only %g invocations reached the new version, fewer than min_invocations %d", sample.Invocations, h.MinInvocations)
			return d, nil
		case InsufficientProceed:
		default:
			d.Action, d.Gate = Hold, "insufficient_data"
			d.Reason = fmt.Sprintf("waiting for data: %g of min_invocations %d reached the new version", sample.Invocations, h.MinInvocations)
			if at := pr.deadlineAt(p); !at.IsZero() && now.Before(at) {
				d.Reason += fmt.Sprintf("; rolls back at the deadline in %s unless enough data arrives", at.Sub(now).Round(time.Second))
			}
			return d, nil
		}
	}
	if pr.Step+1 >= len(p.Steps) {
		if g, ok := src.(PromotionGate); ok {
			hold, err := g.HoldPromotion(ctx)
			if err != nil {
				return d, fmt.Errorf("reading the promotion gates: %w", err)
			}
			if hold != nil {
				d.Action, d.Gate, d.Value, d.Threshold = Hold, hold.Gate, hold.Value, hold.Threshold
				d.Reason = fmt.Sprintf("every step passed, but the promotion waits: %s", hold.Reason)
				return d, nil
			}
		}
		d.Action, d.Reason = Promote, fmt.Sprintf("every step passed; %s", healthy(sample))
		return d, nil
	}
	d.Action, d.Reason = Advance, fmt.Sprintf("step %d passed; %s", pr.Step+1, healthy(sample))
	return d, nil
}

// pastDeadline turns what would keep a rollout waiting past its deadline
// (d, or the error of an evaluation that could not read the health) into
// a roll back: all traffic goes back to A.
func pastDeadline(p Policy, pr Progress, d Decision, err error) Decision {
	why := d.Reason
	switch {
	case err != nil:
		why = fmt.Sprintf("health could not be read: %v", err)
	case d.Action == Hold && strings.HasPrefix(d.Gate, "queue_"):
		why = fmt.Sprintf("%s (a queue gate waits at most until the deadline, then rolls back)", d.Reason)
	case d.Action == Hold:
		why = fmt.Sprintf("it was %s (on_insufficient_data = %q waits at most until the deadline, then rolls back)", d.Reason, p.Health.OnInsufficientData)
	}
	d.Action, d.Gate = RollBack, "deadline"
	d.Value, d.Threshold = d.At.Sub(pr.Started).Seconds(), p.Deadline.Seconds()
	d.Reason = fmt.Sprintf("the rollout reached its deadline of %s (counted from the first shift) at step %d without being promoted: %s",
		p.Deadline, pr.Step+1, why)
	return d
}

// UnreadableAfter is how long the health of a rollout may stay unreadable
// before it rolls back: two intervals after the first failed read, that
// is at the third evaluation in a row that cannot read it. A blocking
// rollout's evaluations are one interval apart and each one's reads are
// bounded by the interval, so its traffic is back on A within three
// intervals of the first failed read.
func UnreadableAfter(interval time.Duration) time.Duration {
	return (maxSourceErrors - 1) * interval
}

// HealthUnreadable decides for a plan-driven rollout whose health could
// not be read at now, unreadable since since: hold (the gate says why)
// until UnreadableAfter has passed, then roll back.
func HealthUnreadable(p Policy, pr Progress, since, now time.Time, err error) Decision {
	d := Decision{Action: Hold, Step: pr.Step, Gate: "health_unreadable", At: now}
	if pr.Step >= 0 && pr.Step < len(p.Steps) {
		d.Weight = p.Steps[pr.Step].WeightPercent
	}
	limit := UnreadableAfter(p.Interval)
	if elapsed := now.Sub(since); elapsed >= limit {
		d.Action, d.Value, d.Threshold = RollBack, elapsed.Seconds(), limit.Seconds()
		d.Reason = fmt.Sprintf("health could not be read for %s (since %s, limit %d intervals of %s): %v",
			elapsed.Round(time.Second), since.UTC().Format(time.RFC3339), maxSourceErrors-1, p.Interval, err)
		return d
	}
	d.Reason = fmt.Sprintf("health could not be read since %s: %v; unless a read succeeds, the rollout rolls back at %s",
		since.UTC().Format(time.RFC3339), err, since.Add(limit).UTC().Format(time.RFC3339))
	return d
}

func healthy(s Sample) string {
	p99 := "no p99"
	if s.P99MS != nil {
		p99 = fmt.Sprintf("p99 %.1f ms", *s.P99MS)
	}
	return fmt.Sprintf("%g invocations, error rate %.1f%%, %s", s.Invocations, 100*s.ErrorRate(), p99)
}

func watched(alarms []string, ignored map[string]bool) []string {
	var out []string
	for _, a := range alarms {
		if !ignored[a] {
			out = append(out, a)
		}
	}
	return out
}

// Start checks the alarms before any traffic moves and returns the
// progress of step 0 (or an abort decision for pre-existing alarms under
// "fail").
func Start(ctx context.Context, p Policy, src Sources, now time.Time) (Progress, *Decision, error) {
	pr := Progress{Step: 0, StepStarted: now, Ignored: map[string]bool{}}
	if len(p.Health.Alarms) == 0 {
		return pr, nil, nil
	}
	states, err := src.AlarmStates(ctx, p.Health.Alarms)
	if err != nil {
		return pr, nil, fmt.Errorf("reading alarms: %w", err)
	}
	for _, n := range p.Health.Alarms {
		if states[n] != "ALARM" {
			continue
		}
		if p.Health.PreexistingAlarms == "ignore" {
			pr.Ignored[n] = true
			continue
		}
		d := &Decision{Action: Abort, Step: -1, Gate: "alarm:" + n, At: now,
			Reason: fmt.Sprintf("alarm %s was already in ALARM before the rollout (preexisting_alarms = \"fail\"); no traffic was moved", n)}
		return pr, d, nil
	}
	return pr, nil, nil
}

// PromotionHold is a gate that keeps a rollout from being promoted for
// now (a queue backlog): the rollout holds at its last step.
type PromotionHold struct {
	Gate             string // "queue_depth", "queue_oldest_age"
	Value, Threshold float64
	Reason           string
}

// PromotionGate is an optional part of Sources, read only when the gates
// and the schedule call for a promotion: a hold keeps the rollout at its
// last step; from the deadline on, it rolls back.
type PromotionGate interface {
	HoldPromotion(ctx context.Context) (*PromotionHold, error)
}
