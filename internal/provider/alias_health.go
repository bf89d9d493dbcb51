package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// Every canary ends: health reads bounded by the interval (health.Bound),
// the policy's deadline, and the alias's timeouts.update.

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
