package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/notify"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// What a group's release tells as it goes, in both wait modes, as one
// alias does (alias_events.go): the policy's notifications, each payload
// naming the group and its changed members (and the member whose gates
// decided), and each changed member's rollout:progress:<alias> tag. Both
// deliver on their own goroutines after the traffic has moved, so neither
// delays a step or a rollback.

// groupEvents are the observers of one group release.
type groupEvents struct {
	observer rollout.Observer
	tags     []*health.ProgressTag
	notifier *notify.Notifier
	group    string
}

// startGroupEvents starts the observers of group's release of moves under
// policy p; prior gives each member's alias ARN (its function's ARN is the
// progress tag's resource).
func (r *aliasGroupResource) startGroupEvents(ctx context.Context, c *lambda.Client, p rollout.Policy, group string, moves []groupMove, prior map[string]groupMemberModelV0) *groupEvents {
	e := &groupEvents{group: group}
	var observers rollout.Observers
	members := make([]rollout.EventMember, 0, len(moves))
	for _, mv := range moves {
		members = append(members, rollout.EventMember{Key: mv.key, Function: mv.function, Alias: mv.alias, From: mv.from, To: mv.to})
		arn := prior[mv.key].ARN.ValueString()
		if !strings.HasSuffix(arn, ":"+mv.alias) {
			continue
		}
		tag := health.NewProgressTag(ctx, c, strings.TrimSuffix(arn, ":"+mv.alias), mv.alias)
		e.tags = append(e.tags, tag)
		observers = append(observers, rollout.Bind(tag, mv.function, mv.alias, mv.from, mv.to))
	}
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
	e.observer = rollout.BindGroup(observers, group, members)
	return e
}

// observe tells the observers about one transition of a plan-driven
// release, applied at at: kinds in order.
func (e *groupEvents) observe(ctx context.Context, p rollout.Policy, ev rollout.Event, kinds ...rollout.EventKind) {
	ev.Steps, ev.Interval, ev.Deadline = p.Steps, p.Interval, p.Deadline
	ev.MaxErrorRate, ev.MaxP99MS, ev.MinInvocations = p.Health.MaxErrorRate, p.Health.MaxP99DurationMS, p.Health.MinInvocations
	for _, k := range kinds {
		ev.Kind = k
		e.observer.Observe(context.WithoutCancel(ctx), ev)
	}
}

// finish waits (bounded) for what is queued; a delivery that failed is a
// warning, never an error: the release's outcome stands.
func (e *groupEvents) finish(diags *diag.Diagnostics) {
	failures := e.notifier.Close(eventsFlushWait)
	for _, t := range e.tags {
		t.Close(eventsFlushWait)
	}
	if len(failures) > 0 {
		diags.AddWarning("Rollout Notification Not Delivered",
			fmt.Sprintf("The release of group %s went on as decided, but %d notification(s) could not be delivered:\n- %s\n\n"+
				"Check notifications.webhook_url / notifications.sns_topic_arn on the canary policy, and that the target accepts POSTs (or the provider may Publish to the topic).",
				e.group, len(failures), strings.Join(failures, "\n- ")))
	}
}

// observeGroup tells one transition of a plan-driven release of moves.
func (r *aliasGroupResource) observeGroup(ctx context.Context, c *lambda.Client, p rollout.Policy, group string, moves []groupMove, prior map[string]groupMemberModelV0,
	ev rollout.Event, diags *diag.Diagnostics, kinds ...rollout.EventKind) {
	e := r.startGroupEvents(ctx, c, p, group, moves, prior)
	e.observe(ctx, p, ev, kinds...)
	e.finish(diags)
}

// groupEvent is the event of a plan-driven transition: the view the
// release is in after it, and the decision that made it.
func groupEvent(v groupView, d rollout.Decision, at time.Time) rollout.Event {
	ev := rollout.Event{Step: int(v.Step), WeightPercent: v.Weight, Gate: d.Gate, Member: d.Member, Reason: d.Reason, At: at}
	pr := v.progress()
	ev.Started, ev.StepStarted = pr.Started, pr.StepStarted
	if ev.Started.IsZero() {
		ev.Started = at
	}
	if ev.StepStarted.IsZero() {
		ev.StepStarted = at
	}
	if hasMeasure(d.Gate) {
		val, th := d.Value, d.Threshold
		ev.Value, ev.Threshold = &val, &th
	}
	return ev
}
