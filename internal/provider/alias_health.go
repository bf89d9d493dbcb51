package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// Every canary ends: health reads bounded by the interval, the policy's
// deadline, and the alias's timeouts.update.

// readsPerEvaluation is the most reads one evaluation of the gates makes
// (the override tag, the alarms, the metrics); each gets an equal share of
// the interval, so an evaluation never outlasts its interval.
const readsPerEvaluation = 3

// healthReadAttempts is how many attempts one health read makes, whatever
// the provider's max_retries: a read that fails is an unreadable gate,
// counted by the engine, not a reason to wait minutes inside the SDK.
const healthReadAttempts = 3

// boundedSources bounds every read of a rollout's gates by the policy's
// interval. The engine rolls back at the third evaluation in a row that
// cannot read the health; evaluations are one interval apart, so all
// traffic is back on the stable version within three intervals of the
// first failed read (rollout.UnreadableAfter).
type boundedSources struct {
	src    rollout.Sources
	budget time.Duration
}

func boundReads(src rollout.Sources, interval time.Duration) rollout.Sources {
	return boundedSources{src: src, budget: interval / readsPerEvaluation}
}

func (b boundedSources) Canary(ctx context.Context, since time.Time) (rollout.Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, b.budget)
	defer cancel()
	return b.src.Canary(ctx, since)
}

func (b boundedSources) AlarmStates(ctx context.Context, names []string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.budget)
	defer cancel()
	return b.src.AlarmStates(ctx, names)
}

func (b boundedSources) Override(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.budget)
	defer cancel()
	return b.src.Override(ctx)
}

// healthReadOptions limits a CloudWatch health read to healthReadAttempts
// attempts, with backoffs that fit in the time ctx leaves.
func healthReadOptions(ctx context.Context) func(*cloudwatch.Options) {
	return func(o *cloudwatch.Options) {
		o.RetryMaxAttempts = healthReadAttempts
		if dl, ok := ctx.Deadline(); ok {
			o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, max(time.Until(dl)/healthReadAttempts, 10*time.Millisecond))
		}
	}
}

// specDeadline sets the deadline of a policy read from an alias's
// canary_policy: the one given, checked against the schedule, or the
// default derived from the schedule.
func specDeadline(p *rollout.Policy, s string) error {
	p.Deadline = rollout.DefaultDeadline(p.Steps, p.Interval)
	if s == "" {
		return nil
	}
	example := fmt.Sprintf("deadline = %q", rollout.ShortDuration(p.Deadline))
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("canary_policy.deadline = %q: it must be a Go duration such as \"30m\"; for example %s", s, example)
	}
	if problem := rollout.DeadlineProblem(d, p.Steps, p.Interval); problem != "" {
		return fmt.Errorf("canary_policy.deadline = %q: %s; for example %s", s, problem, example)
	}
	p.Deadline = d
	return nil
}

// started is when a plan-driven rollout set its first step (zero when
// unknown: no deadline).
func (v deploymentView) started() time.Time {
	t, err := time.Parse(time.RFC3339, v.StartedAt)
	if err != nil {
		return time.Time{}
	}
	return t
}

// unreadableAtRefresh records a refresh of a plan-driven rollout that
// could not read the health: since when, and the engine's decision (hold
// until rollout.UnreadableAfter has passed, then roll back).
func unreadableAtRefresh(p rollout.Policy, cur deploymentView, now time.Time, err error) deploymentView {
	since := now.UTC().Truncate(time.Second)
	if t, perr := time.Parse(time.RFC3339, cur.UnreadableSince); perr == nil {
		since = t
	}
	d := rollout.HealthUnreadable(p, rollout.Progress{Step: int(cur.Step - 1)}, since, now, err)
	cur.UnreadableSince = since.Format(time.RFC3339)
	cur.NextAction, cur.NextGate, cur.NextReason = string(d.Action), d.Gate, d.Reason
	return cur
}

// warnUnreadable tells, at refresh, that a plan-driven rollout cannot read
// its health, and what the plan does about it.
func warnUnreadable(m aliasModelV0, diags *diag.Diagnostics) {
	v, ok := parseDeployment(m.Deployment)
	if !ok || v.UnreadableSince == "" {
		return
	}
	where := fmt.Sprintf("The rollout of %s:%s from version %s to version %s (step %d, %g%% of the traffic on version %s)",
		m.FunctionName.ValueString(), m.Name.ValueString(), v.From, v.To, v.Step, v.Weight, v.To)
	if v.NextAction == string(rollout.RollBack) {
		diags.AddWarning("Health Unreadable", fmt.Sprintf("%s cannot read its health: %s.\n\n"+
			"The plan rolls it back: all traffic returns to version %s.", where, v.NextReason, v.From))
		return
	}
	diags.AddWarning("Health Unreadable", fmt.Sprintf("%s holds: %s.\n\n"+
		"Check that the provider can call CloudWatch GetMetricData and DescribeAlarms (credentials, endpoint, throttling). "+
		"If the health stays unreadable, the next plan shows the roll back.", where, v.NextReason))
}

// updateLimit is rollout_alias's timeouts block (only update).
type updateLimit = timeouts.Value

// aliasTimeoutsBlock is rollout_alias's timeouts block.
func aliasTimeoutsBlock() schema.Block {
	b, _ := timeouts.Block(context.Background(), timeouts.Opts{
		Update: true,
		UpdateDescription: "The longest an update may take, a Go duration such as `45m`; with a blocking canary policy, the whole rollout. " +
			"When it runs out, a rollout in progress ends safely: all traffic goes back to the stable version and the state records " +
			"`deployment.status = \"aborted\"` with `gate = \"timeout\"`. Defaults to the policy's `deadline` plus twice its hook timeout " +
			"plus 10m (10m without a policy).",
	}).(schema.SingleNestedBlock)
	b.MarkdownDescription = "Time limits (terraform-plugin-framework-timeouts). Only `update` applies: creating an alias starts no rollout."
	// The library writes plain descriptions; ours are Markdown, as the docs and the language server expect.
	for name, a := range b.Attributes {
		if sa, ok := a.(schema.StringAttribute); ok {
			sa.MarkdownDescription, sa.Description = sa.Description, ""
			b.Attributes[name] = sa
		}
	}
	return b
}

// updateTimeoutMargin covers what an update does besides the rollout:
// the API calls and the wait for the alias to settle.
const updateTimeoutMargin = 10 * time.Minute

// withUpdateTimeout bounds an update by timeouts.update. The returned
// function ends it; when the limit ran out, it points at the attribute.
func withUpdateTimeout(ctx context.Context, plan aliasModelV0, diags *diag.Diagnostics) (context.Context, func()) {
	def := updateTimeoutMargin
	if p, err := policyFromSpec(ctx, plan.CanaryPolicy); err == nil && p != nil {
		def += p.Deadline + 2*p.HookTimeout
	}
	limit, d := plan.Timeouts.Update(ctx, def)
	diags.Append(d...)
	tctx, cancel := context.WithTimeout(ctx, limit)
	return tctx, func() {
		if errors.Is(tctx.Err(), context.DeadlineExceeded) {
			tflog.Warn(ctx, "update time limit reached", map[string]any{"tf_rollout.timeout": limit.String()})
			diags.AddAttributeWarning(path.Root("timeouts").AtName("update"), "Update Time Limit Reached",
				fmt.Sprintf("The update ran out of its time limit of %s (timeouts.update). A rollout in progress was ended with all traffic on the stable version. "+
					"To give rollouts more time, raise timeouts.update above the canary policy's deadline.", limit))
		}
		cancel()
	}
}

// warnShortUpdateLimit warns at plan time when timeouts.update would end
// a blocking rollout before the policy's deadline can.
func warnShortUpdateLimit(ctx context.Context, m aliasModelV0, diags *diag.Diagnostics) {
	if m.Timeouts.IsNull() || m.Timeouts.IsUnknown() {
		return
	}
	p, err := policyFromSpec(ctx, m.CanaryPolicy)
	if err != nil || p == nil || !p.Wait {
		return
	}
	limit, d := m.Timeouts.Update(ctx, 0)
	if d.HasError() || limit <= 0 || limit >= p.Deadline {
		return
	}
	diags.AddAttributeWarning(path.Root("timeouts").AtName("update"), "Update Time Limit Shorter Than The Deadline",
		fmt.Sprintf("timeouts.update = %q ends the apply before the canary policy's deadline (%s): a rollout still running then is aborted, "+
			"with all traffic back on the previous version. To let every rollout reach its deadline, for example: timeouts { update = %q }",
			limit, p.Deadline, rollout.ShortDuration(p.Deadline+updateTimeoutMargin)))
}
