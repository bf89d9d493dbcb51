package provider

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// What a rollout tells as it goes, in both wait modes: the function's
// rollout:progress:<alias> tag (read by `rolloutctl status`) and the
// policy's notifications. Both deliver on their own goroutines, after the
// traffic an event reports has moved, so neither delays a step or a
// rollback; at the end of the apply they get a bounded time to finish.

// eventsFlushWait is how long the end of an apply waits for the progress
// tag and the notifications still queued.
const eventsFlushWait = 10 * time.Second

// rolloutEvents are the observers of one rollout.
type rolloutEvents struct {
	observer rollout.Observer
	progress *health.ProgressTag
}

// startEvents starts the observers of the rollout of fn:alias from one
// version to another; arn is the function's ARN (the tag's resource).
func startEvents(ctx context.Context, c *lambda.Client, arn, fn, alias, from, to string) *rolloutEvents {
	e := &rolloutEvents{progress: health.NewProgressTag(ctx, c, arn, alias)}
	e.observer = rollout.Bind(rollout.Observers{e.progress}, fn, alias, from, to)
	return e
}

// finish waits (bounded) for what is queued; a delivery that failed is a
// warning, never an error: the rollout's outcome stands.
func (e *rolloutEvents) finish(_ context.Context, _ *diag.Diagnostics) {
	e.progress.Close(eventsFlushWait)
}

// observeStepwise tells the observers about one transition of a
// plan-driven rollout, applied at now: kinds in order (a deadline roll
// back is deadline_reached then rolled_back).
func observeStepwise(ctx context.Context, c *lambda.Client, p rollout.Policy, fn, alias string, next deploymentView, now time.Time, diags *diag.Diagnostics, kinds ...rollout.EventKind) {
	fnOut, err := lambdaops.FindFunction(ctx, c, fn)
	if err != nil {
		return
	}
	events := startEvents(ctx, c, aws.ToString(fnOut.Configuration.FunctionArn), fn, alias, next.From, next.To)
	started, err := time.Parse(time.RFC3339, next.StartedAt)
	if err != nil {
		started = now
	}
	stepStarted := next.StepStarted
	if stepStarted.IsZero() || kinds[0] == rollout.EventStepAdvanced || kinds[0] == rollout.EventStarted {
		stepStarted = now
	}
	for _, k := range kinds {
		events.observer.Observe(ctx, rollout.Event{Kind: k, Step: int(next.Step), Steps: p.Steps, WeightPercent: next.Weight, Gate: next.Gate,
			Value: next.Value, Threshold: next.Threshold, Reason: next.Reason, At: now, Started: started, StepStarted: stepStarted,
			Interval: p.Interval, Deadline: p.Deadline, MaxErrorRate: p.Health.MaxErrorRate, MaxP99MS: p.Health.MaxP99DurationMS, MinInvocations: p.Health.MinInvocations})
	}
	events.finish(ctx, diags)
}

// endKinds are the events of a plan-driven rollout's end.
func endKinds(status, gate string) []rollout.EventKind {
	switch {
	case status == rollout.StatusPromoted:
		return []rollout.EventKind{rollout.EventPromoted}
	case status == rollout.StatusAborted && gate == "override":
		return []rollout.EventKind{rollout.EventOverridden, rollout.EventAborted}
	case status == rollout.StatusAborted:
		return []rollout.EventKind{rollout.EventAborted}
	case gate == "deadline":
		return []rollout.EventKind{rollout.EventDeadlineReached, rollout.EventRolledBack}
	}
	return []rollout.EventKind{rollout.EventRolledBack}
}
