package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/notify"
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
	notifier *notify.Notifier
	alias    string
}

// startEvents starts the observers of the rollout of fn:alias from one
// version to another under policy p; arn is the function's ARN (the tag's
// resource).
func (r *aliasResource) startEvents(ctx context.Context, c *lambda.Client, p rollout.Policy, arn, fn, alias, from, to string) *rolloutEvents {
	e := &rolloutEvents{progress: health.NewProgressTag(ctx, c, arn, alias), alias: fn + ":" + alias}
	observers := rollout.Observers{e.progress}
	if p.Notify.WebhookURL != "" || p.Notify.SNSTopicARN != "" {
		opts := notify.Options{WebhookURL: p.Notify.WebhookURL, SNSTopicARN: p.Notify.SNSTopicARN}
		if p.Notify.SNSTopicARN != "" {
			if client, err := r.data.client.SNS(ctx); err == nil {
				opts.SNS = client
			}
		}
		e.notifier = notify.New(ctx, opts)
		observers = append(observers, e.notifier)
	}
	e.observer = rollout.Bind(observers, fn, alias, from, to)
	return e
}

// finish waits (bounded) for what is queued; a delivery that failed is a
// warning, never an error: the rollout's outcome stands.
func (e *rolloutEvents) finish(_ context.Context, diags *diag.Diagnostics) {
	failures := e.notifier.Close(eventsFlushWait)
	e.progress.Close(eventsFlushWait)
	if len(failures) > 0 {
		diags.AddWarning("Rollout Notification Not Delivered",
			fmt.Sprintf("The rollout of %s went on as decided, but %d notification(s) could not be delivered:\n- %s\n\n"+
				"Check notifications.webhook_url / notifications.sns_topic_arn on the canary policy, and that the target accepts POSTs (or the provider may Publish to the topic).",
				e.alias, len(failures), strings.Join(failures, "\n- ")))
	}
}

// observeStepwise tells the observers about one transition of a
// plan-driven rollout, applied at now: kinds in order (a deadline roll
// back is deadline_reached then rolled_back).
func (r *aliasResource) observeStepwise(ctx context.Context, c *lambda.Client, p rollout.Policy, fn, alias string, next deploymentView, now time.Time, diags *diag.Diagnostics, kinds ...rollout.EventKind) {
	fnOut, err := lambdaops.FindFunction(ctx, c, fn)
	if err != nil {
		return
	}
	events := r.startEvents(ctx, c, p, aws.ToString(fnOut.Configuration.FunctionArn), fn, alias, next.From, next.To)
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
