// Package rollout is the canary engine: a pure state machine that decides,
// tick by tick, whether a rollout from version A to version B advances,
// holds, promotes, rolls back, pauses or aborts, with the reason and the
// measured values of every decision. It knows no Terraform or AWS types:
// the clock, the metrics, the alarms, the hooks and the override are
// injected, so tests drive it with a fake clock and scripted metrics.
package rollout

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Step is one stage of a rollout: B receives WeightPercent of the traffic
// for at least Hold.
type Step struct {
	WeightPercent float64
	Hold          time.Duration
}

// Insufficient-data policies: what to do when a step's hold is over but B
// served fewer than MinInvocations.
const (
	InsufficientHold     = "hold"     // keep the step until enough data arrives
	InsufficientProceed  = "proceed"  // advance anyway
	InsufficientRollback = "rollback" // treat as a failure
)

// Health are the gates evaluated every interval.
type Health struct {
	MaxErrorRate       *float64 // 0..1, of B alone
	MaxP99DurationMS   *float64 // of B alone
	MinInvocations     int
	OnInsufficientData string
	Alarms             []string
	// PreexistingAlarms is "fail" (an alarm already in ALARM stops the
	// rollout before any traffic moves) or "ignore" (it is left out of
	// the gates, so a fix can ship while an old alarm fires).
	PreexistingAlarms string
}

// Policy is a complete, validated canary policy.
type Policy struct {
	Steps           []Step
	Interval        time.Duration
	Health          Health
	PreTrafficHook  string
	PostTrafficHook string
	HookTimeout     time.Duration
	RollbackWindow  int
	Wait            bool
	// Deadline is the longest a rollout may run, counted from the first
	// shift of traffic: at the deadline a rollout that is not promoted
	// rolls back, whatever holds it (waiting for data under
	// on_insufficient_data = "hold", a pause, unreadable health). Zero
	// means no deadline (a policy built before deadlines existed).
	Deadline time.Duration
	// Notify is where the rollout's events are delivered, if anywhere.
	Notify Notify
}

// Notify is where a rollout's events go: a webhook (Slack-compatible
// JSON) and/or an SNS topic. Empty: nowhere.
type Notify struct {
	WebhookURL  string
	SNSTopicARN string
}

// Presets are the nine CodeDeploy deployment configurations for Lambda,
// as explicit schedules (the final shift to 100% is the promotion).
var Presets = map[string][]Step{
	"AllAtOnce":                     nil,
	"Canary10Percent5Minutes":       {{10, 5 * time.Minute}},
	"Canary10Percent10Minutes":      {{10, 10 * time.Minute}},
	"Canary10Percent15Minutes":      {{10, 15 * time.Minute}},
	"Canary10Percent30Minutes":      {{10, 30 * time.Minute}},
	"Linear10PercentEvery1Minute":   linear(time.Minute),
	"Linear10PercentEvery2Minutes":  linear(2 * time.Minute),
	"Linear10PercentEvery3Minutes":  linear(3 * time.Minute),
	"Linear10PercentEvery10Minutes": linear(10 * time.Minute),
}

func linear(every time.Duration) []Step {
	steps := make([]Step, 0, 9)
	for w := 10; w <= 90; w += 10 {
		steps = append(steps, Step{float64(w), every})
	}
	return steps
}

// PresetNames lists the presets in a stable order.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ValidateSteps reports the first problem of a custom schedule.
func ValidateSteps(steps []Step, interval time.Duration) error {
	prev := 0.0
	for i, s := range steps {
		switch {
		case s.WeightPercent <= 0 || s.WeightPercent >= 100:
			return fmt.Errorf("steps[%d].weight_percent = %v: each step sends more than 0%% and less than 100%% of the traffic to the new version (100%% is the promotion after the last step)", i, s.WeightPercent)
		case s.WeightPercent <= prev:
			return fmt.Errorf("steps[%d].weight_percent = %v: weights must increase from step to step (the previous step sends %v%%)", i, s.WeightPercent, prev)
		case s.Hold < interval:
			return fmt.Errorf("steps[%d].hold = %s: a step must hold at least one interval (%s) so that its gates are evaluated", i, s.Hold, interval)
		}
		prev = s.WeightPercent
	}
	return nil
}

// ScheduleTotal is the sum of the steps' holds.
func ScheduleTotal(steps []Step) time.Duration {
	var total time.Duration
	for _, s := range steps {
		total += s.Hold
	}
	return total
}

// defaultDeadlineSlack is, in intervals, the least slack the default
// deadline gives a short schedule.
const defaultDeadlineSlack = 5

// DefaultDeadline is the deadline of a policy that sets none: twice the
// schedule's total hold, and at least the total hold plus five intervals.
func DefaultDeadline(steps []Step, interval time.Duration) time.Duration {
	total := ScheduleTotal(steps)
	return total + max(total, defaultDeadlineSlack*interval)
}

// MinDeadline is the shortest deadline a healthy rollout can always meet:
// the total hold plus one interval per step (a step ends at the first
// evaluation after its hold).
func MinDeadline(steps []Step, interval time.Duration) time.Duration {
	return ScheduleTotal(steps) + time.Duration(len(steps))*interval
}

// ValidateDeadline reports a deadline that a healthy rollout could miss.
func ValidateDeadline(deadline time.Duration, steps []Step, interval time.Duration) error {
	if problem := DeadlineProblem(deadline, steps, interval); problem != "" {
		return fmt.Errorf("deadline = %s: %s", deadline, problem)
	}
	return nil
}

// DeadlineProblem says what is wrong with a deadline, or "".
func DeadlineProblem(deadline time.Duration, steps []Step, interval time.Duration) string {
	if deadline <= 0 {
		return "it must be a positive duration"
	}
	if minimum := MinDeadline(steps, interval); deadline < minimum {
		return fmt.Sprintf("it must be at least the schedule's total hold plus one interval per step (%s + %d × %s = %s), so that a healthy rollout can finish",
			ScheduleTotal(steps), len(steps), interval, minimum)
	}
	return ""
}

// ShortDuration renders d as a user would write it: "20m", not "20m0s".
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Describe renders a schedule for humans: "10% for 5m0s, then 100%".
func Describe(steps []Step) string {
	var parts []string
	for _, s := range steps {
		parts = append(parts, fmt.Sprintf("%g%% for %s", s.WeightPercent, s.Hold))
	}
	parts = append(parts, "100%")
	return strings.Join(parts, ", then ")
}
