package provider

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// Plan-driven rollouts (canary_policy.wait = false). Each plan evaluates
// the gates and plans the next transition as a change of `deployment`;
// each apply performs exactly that transition and returns. While a rollout
// is in progress, function_version holds its target (B) and `deployment`
// says where traffic is (from_version with weight_percent on to_version);
// a rollback ends the apply with an error and the state on A, as a
// blocking rollout does.

// deploymentView is the deployment attribute, decoded.
type deploymentView struct {
	Status, From, To, Reason, Gate, StartedAt string
	NextAction, NextGate, NextReason          string
	StepStartedRaw                            string
	UnreadableSince                           string // RFC 3339, while the refresh cannot read the health
	Value, Threshold                          *float64
	NextValue, NextThreshold                  *float64
	Step                                      int64
	Weight                                    float64
	StepStarted                               time.Time
	Gates                                     []attr.Value
}

func parseDeployment(o types.Object) (deploymentView, bool) {
	if o.IsNull() || o.IsUnknown() {
		return deploymentView{}, false
	}
	a := o.Attributes()
	str := func(k string) string {
		v, _ := a[k].(types.String)
		return v.ValueString()
	}
	v := deploymentView{Status: str("status"), From: str("from_version"), To: str("to_version"), Reason: str("reason"),
		Gate: str("gate"), StartedAt: str("started_at")}
	if n, ok := a["step"].(types.Int64); ok {
		v.Step = n.ValueInt64()
	}
	if w, ok := a["weight_percent"].(types.Float64); ok {
		v.Weight = w.ValueFloat64()
	}
	v.NextAction, v.NextGate, v.NextReason, v.StepStartedRaw = str("next_action"), str("next_gate"), str("next_reason"), str("step_started_at")
	v.UnreadableSince = str("health_unreadable_since")
	if t, err := time.Parse(time.RFC3339Nano, str("step_started_at")); err == nil {
		v.StepStarted = t
	}
	v.Value, v.Threshold = floatPtr(a["value"]), floatPtr(a["threshold"])
	v.NextValue, v.NextThreshold = floatPtr(a["next_value"]), floatPtr(a["next_threshold"])
	if l, ok := a["gates"].(types.List); ok && !l.IsNull() && !l.IsUnknown() {
		v.Gates = l.Elements()
	}
	return v, true
}

// value renders a view; stepStarted and finished may be unknown in a plan.
func (v deploymentView) value(stepStarted, finished types.String, d *rollout.Decision) types.Object {
	gates := append([]attr.Value(nil), v.Gates...)
	gate, value, threshold := types.StringNull(), types.Float64Null(), types.Float64Null()
	if d != nil {
		gates = append(gates, types.ObjectValueMust(deploymentGateAttrTypes, map[string]attr.Value{
			"step": types.Int64Value(int64(d.Step + 1)), "weight_percent": types.Float64Value(d.Weight),
			"action": types.StringValue(string(d.Action)), "reason": types.StringValue(d.Reason)}))
		if d.Gate != "" {
			gate = types.StringValue(d.Gate)
		}
		if d.Gate == "error_rate" || d.Gate == "p99" || d.Gate == "insufficient_data" {
			value, threshold = types.Float64Value(d.Value), types.Float64Value(d.Threshold)
		}
	}
	return types.ObjectValueMust(deploymentAttrTypes, map[string]attr.Value{
		"status": types.StringValue(v.Status), "from_version": types.StringValue(v.From), "to_version": types.StringValue(v.To),
		"step": types.Int64Value(v.Step), "weight_percent": types.Float64Value(v.Weight), "gate": gate, "value": value,
		"threshold": threshold, "reason": types.StringValue(v.Reason), "started_at": types.StringValue(v.StartedAt),
		"finished_at": finished, "step_started_at": stepStarted,
		"next_action": nullIfEmpty(v.NextAction), "next_gate": nullIfEmpty(v.NextGate), "next_reason": nullIfEmpty(v.NextReason),
		"gates":                   types.ListValueMust(types.ObjectType{AttrTypes: deploymentGateAttrTypes}, gates),
		"health_unreadable_since": nullIfEmpty(v.UnreadableSince),
		"next_value":              types.Float64PointerValue(v.NextValue), "next_threshold": types.Float64PointerValue(v.NextThreshold),
	})
}

// planStepwise plans the next transition of a plan-driven rollout.
func (r *aliasResource) planStepwise(p rollout.Policy, plan *aliasModelV0, state aliasModelV0) {
	to := plan.FunctionVersion.ValueString()
	cur, ok := parseDeployment(state.Deployment)
	inProgress := ok && cur.Status == rollout.StatusInProgress && cur.To == to
	if !inProgress {
		if ok && cur.Status == rollout.StatusInProgress && to == cur.From && !plan.FunctionVersion.IsUnknown() {
			// The configuration went back to the stable version while a
			// rollout was in progress: the apply sends every request to it.
			next := cur
			next.Status, next.Gate, next.Value, next.Threshold = rollout.StatusAborted, gateSuperseded, nil, nil
			next.Reason = fmt.Sprintf("the configuration returned to version %s while the rollout to version %s was in progress", cur.From, cur.To)
			next.NextAction, next.NextGate, next.NextReason, next.NextValue, next.NextThreshold = "", "", "", nil, nil
			d := rollout.Decision{Action: rollout.Abort, Step: int(cur.Step - 1), Weight: cur.Weight, Gate: gateSuperseded, Reason: next.Reason}
			plan.Deployment = next.value(types.StringNull(), types.StringUnknown(), &d)
			plan.RevisionID = types.StringUnknown()
			return
		}
		if plan.FunctionVersion.Equal(state.FunctionVersion) || len(p.Steps) == 0 || inWindow(state.Promotions, to, p.RollbackWindow) {
			return
		}
		// A new rollout: the apply will set the first step, from the
		// stable version (never from an unpromoted target).
		next := deploymentView{Status: rollout.StatusInProgress, From: stableVersion(state), To: to, Step: 1,
			Weight: p.Steps[0].WeightPercent, StartedAt: "", Reason: fmt.Sprintf("rollout started: %s", rollout.Describe(p.Steps))}
		plan.Deployment = next.withStartedUnknown(types.StringUnknown(), types.StringNull(), nil)
		return
	}
	// The decision was taken at the refresh (Read), so that the plan made
	// again during apply finds exactly the same transition.
	d := rollout.Decision{Action: rollout.Action(cur.NextAction), Step: int(cur.Step - 1), Weight: cur.Weight, Gate: cur.NextGate, Reason: cur.NextReason}
	if cur.NextValue != nil && cur.NextThreshold != nil {
		d.Value, d.Threshold = *cur.NextValue, *cur.NextThreshold
	}
	next := cur
	next.Reason, next.NextAction, next.NextGate, next.NextReason = d.Reason, "", "", ""
	next.NextValue, next.NextThreshold = nil, nil
	switch d.Action {
	case rollout.Advance, rollout.Promote, rollout.RollBack, rollout.Abort:
	default:
		return // hold or pause: no change, the plan stays empty
	}
	switch d.Action {
	case rollout.Advance:
		next.Step, next.Weight = cur.Step+1, p.Steps[cur.Step].WeightPercent
		plan.Deployment = next.value(types.StringUnknown(), types.StringNull(), &d)
	case rollout.Promote:
		next.Status, next.Weight = rollout.StatusPromoted, 100
		plan.Deployment = next.value(types.StringNull(), types.StringUnknown(), &d)
		plan.Promotions = types.ListUnknown(types.ObjectType{AttrTypes: promotionAttrTypes})
	case rollout.RollBack, rollout.Abort:
		next.Status = rollout.StatusRolledBack
		if d.Action == rollout.Abort {
			next.Status = rollout.StatusAborted
		}
		plan.Deployment = next.value(types.StringNull(), types.StringUnknown(), &d)
	}
	plan.RevisionID = types.StringUnknown()
}

// gateSuperseded names the end of a plan-driven rollout whose
// configuration returned to the stable version: not a failure, and never
// remembered as a rejection.
const gateSuperseded = "superseded"

// stableVersion is the version every request goes to once no rollout is in
// progress: the primary the in-progress rollout started from, else the
// state's version. A new rollout starts from it, so a target that was never
// promoted never becomes a primary.
func stableVersion(state aliasModelV0) string {
	if cur, ok := parseDeployment(state.Deployment); ok && cur.Status == rollout.StatusInProgress && cur.From != "" {
		return cur.From
	}
	return state.FunctionVersion.ValueString()
}

func floatPtr(v attr.Value) *float64 {
	f, ok := v.(types.Float64)
	if !ok || f.IsNull() || f.IsUnknown() {
		return nil
	}
	x := f.ValueFloat64()
	return &x
}

func (v deploymentView) withStartedUnknown(stepStarted, finished types.String, d *rollout.Decision) types.Object {
	o := v.value(stepStarted, finished, d)
	attrs := o.Attributes()
	attrs["started_at"] = types.StringUnknown()
	return types.ObjectValueMust(deploymentAttrTypes, attrs)
}

// applyStepwise performs the transition the plan showed.
func (r *aliasResource) applyStepwise(ctx context.Context, c *lambda.Client, p rollout.Policy, plan, state aliasModelV0, resp *resource.UpdateResponse) {
	fn, name := plan.FunctionName.ValueString(), plan.Name.ValueString()
	next, _ := parseDeployment(plan.Deployment)
	cur, _ := parseDeployment(state.Deployment)
	now := r.data.Clock().Now()
	plan.Promotions = state.Promotions // only a promotion adds to them
	aliasTraffic := &health.Traffic{Lambda: c, Function: fn, Name: name, From: next.From, To: next.To, Revision: state.RevisionID.ValueString()}
	r.warmShifts(aliasTraffic, c, p, plan.ProvisionedConcurrentExecutions, now) // issue 16: each shift waits for READY provisioned concurrency
	ilc := plan.interlock(ctx)
	lock := ilc.lock(c, state.ARN.ValueString(), r.data.Clock())
	if lock != nil && resumedAfterRollback(ctx, plan, state) {
		lock.Adopt(stringList(ctx, state.PausedEventSources))
	}
	starting := next.Status == rollout.StatusInProgress && (cur.Status != rollout.StatusInProgress || cur.To != next.To)
	traffic := ilc.traffic(aliasTraffic, lock, !starting, &resp.Diagnostics)
	save := func(primary string, deployment types.Object) {
		plan.Deployment = deployment
		plan.recordPaused(lock)
		if out, err := lambdaops.FindAlias(ctx, c, fn, name); err == nil {
			rev := aws.ToString(out.RevisionId)
			plan.RevisionID, plan.ARN = types.StringValue(rev), types.StringValue(aws.ToString(out.AliasArn))
		}
		plan.FunctionVersion = types.StringValue(primary)
		plan.ID = types.StringValue(fn + "/" + name)
		resp.Diagnostics.Append(resp.State.Set(context.WithoutCancel(ctx), &plan)...)
	}
	switch {
	case next.Status == rollout.StatusInProgress && (cur.Status != rollout.StatusInProgress || cur.To != next.To):
		// Start: pre-existing alarms and the pre-traffic hook, then step 1.
		cw, err := r.data.client.CloudWatch(ctx)
		if err != nil {
			resp.Diagnostics.AddError("AWS Configuration Error", err.Error())
			return
		}
		src := &health.Sources{CloudWatch: cw, Lambda: c, Function: fn, Alias: name, To: next.To, Clock: r.data.Clock().Now}
		if fnOut, err := lambdaops.FindFunction(ctx, c, fn); err == nil {
			ov := health.NewScopedOverride(src, c, aws.ToString(fnOut.Configuration.FunctionArn), name, next.From, next.To, true)
			ov.Start(ctx, fnOut.Tags)
			addOverrideWarnings(ov, &resp.Diagnostics)
		}
		hooks := &health.Hooks{Lambda: c, Function: fn, Alias: name, From: next.From, To: next.To}
		if p.PreTrafficHook != "" {
			if err := rollout.RunHook(ctx, hooks, p, p.PreTrafficHook, "pre_traffic"); err != nil {
				r.failStepwise(ctx, c, p, fn, name, next, "hook:pre_traffic", fmt.Sprintf("pre-traffic hook %s failed: %v; no traffic was moved", p.PreTrafficHook, err), save, resp)
				return
			}
		}
		if _, stop, err := rollout.Start(ctx, p, health.Bound(src, p.Interval), now); err != nil || stop != nil {
			reason := "the alarms could not be read"
			if stop != nil {
				reason = stop.Reason
			}
			r.failStepwise(ctx, c, p, fn, name, next, "alarms", reason, save, resp)
			return
		}
		if err := traffic.SetCanary(ctx, next.Weight); err != nil {
			concurrentAlias(resp, fn, name, err)
			return
		}
		next.StartedAt = now.UTC().Format(time.RFC3339)
		save(next.To, next.value(types.StringValue(now.UTC().Format(time.RFC3339Nano)), types.StringNull(), nil))
		r.observeStepwise(ctx, c, p, fn, name, next, now, &resp.Diagnostics, rollout.EventStarted)
	case next.Status == rollout.StatusInProgress:
		if err := traffic.SetCanary(ctx, next.Weight); err != nil {
			concurrentAlias(resp, fn, name, err)
			return
		}
		save(next.To, withTimes(plan.Deployment, now, false))
		r.observeStepwise(ctx, c, p, fn, name, next, now, &resp.Diagnostics, rollout.EventStepAdvanced)
	case next.Status == rollout.StatusPromoted:
		if err := traffic.Promote(ctx); err != nil {
			concurrentAlias(resp, fn, name, err)
			return
		}
		if p.PostTrafficHook != "" {
			hooks := &health.Hooks{Lambda: c, Function: fn, Alias: name, From: next.From, To: next.To}
			if err := rollout.RunHook(ctx, hooks, p, p.PostTrafficHook, "post_traffic"); err != nil {
				reason := fmt.Sprintf("post-traffic hook %s failed: %v", p.PostTrafficHook, err)
				if rbErr := traffic.RollBack(context.WithoutCancel(ctx)); rbErr != nil {
					r.rollbackFailed(context.WithoutCancel(ctx), c, fn, name, next, rollout.Decision{Gate: "hook:post_traffic", Reason: reason}, rbErr, save, resp)
					return
				}
				r.failStepwise(ctx, c, p, fn, name, next, "hook:post_traffic", reason, save, resp)
				return
			}
		}
		plan.Promotions = promotionsWith(state.Promotions, next.To, now)
		save(next.To, withTimes(plan.Deployment, now, true))
		finishOverride(ctx, c, fn, name, next)
		r.observeStepwise(ctx, c, p, fn, name, next, now, &resp.Diagnostics, endKinds(next.Status, next.Gate)...)
		if plan.RetryRolledBack.ValueString() != "" {
			forgetRollback(ctx, c, fn, next.To)
		}
	default: // rolled_back or aborted, as planned
		if err := traffic.RollBack(context.WithoutCancel(ctx)); err != nil {
			concurrentAlias(resp, fn, name, err)
			return
		}
		save(next.From, withTimes(plan.Deployment, now, true))
		r.restoreLatest(context.WithoutCancel(ctx), c, fn, next.To, next.From, &resp.Diagnostics)
		finishOverride(ctx, c, fn, name, next)
		applied, _ := parseDeployment(plan.Deployment)
		end := rolloutEnd{function: fn, alias: name, from: next.From, to: next.To, status: next.Status, step: next.Step, weight: next.Weight,
			reason: next.Reason, gate: applied.Gate, value: applied.Value, threshold: applied.Threshold}
		d := rollout.Decision{Step: int(next.Step - 1), Gate: applied.Gate}
		if applied.Value != nil && applied.Threshold != nil {
			d.Value, d.Threshold = *applied.Value, *applied.Threshold
		}
		if remembersRollback(next.Status, d) {
			end.remembered = rememberRollback(ctx, c, fn, name, next.To, d, now, &resp.Diagnostics)
		}
		if applied.Gate == gateSuperseded {
			resp.Diagnostics.AddWarning("Rollout Abandoned",
				fmt.Sprintf("The rollout of %s:%s to version %s was abandoned because %s. Every request goes to version %s.", fn, name, next.To, next.Reason, next.From))
		} else {
			end.addError(&resp.Diagnostics)
		}
		r.observeStepwise(ctx, c, p, fn, name, applied, now, &resp.Diagnostics, endKinds(applied.Status, applied.Gate)...)
	}
}

// failStepwise records a rollout that could not start: traffic stays on A.
// A failed post-traffic hook comes after the promotion: it keeps its step,
// at 100%.
func (r *aliasResource) failStepwise(ctx context.Context, c *lambda.Client, p rollout.Policy, fn, name string, next deploymentView, gate, reason string, save func(string, types.Object), resp *resource.UpdateResponse) {
	at := r.data.Clock().Now()
	now := at.UTC().Format(time.RFC3339)
	d := &rollout.Decision{Action: rollout.RollBack, Step: -1, Gate: gate, Reason: reason}
	if gate == "hook:post_traffic" {
		next.Weight, d.Step, d.Weight = 100, int(next.Step-1), 100
	} else {
		next.Step, next.Weight = 0, 0
		next.StartedAt = now
	}
	next.Status, next.Reason = rollout.StatusRolledBack, reason
	save(next.From, next.value(types.StringNull(), types.StringValue(now), d))
	end := rolloutEnd{function: fn, alias: name, from: next.From, to: next.To, status: next.Status, step: next.Step, weight: next.Weight, reason: reason, gate: gate}
	if remembersRollback(next.Status, *d) {
		end.remembered = rememberRollback(ctx, c, fn, name, next.To, *d, at, &resp.Diagnostics)
	}
	end.addError(&resp.Diagnostics)
	next.Gate = gate
	r.observeStepwise(ctx, c, p, fn, name, next, at, &resp.Diagnostics, rollout.EventRolledBack)
}

// rollbackFailed records a rollback whose UpdateAlias failed: nothing
// moved back, so the state says what the alias reports (primary, the
// weight on to_version), deployment.status stays "in_progress" with the
// rollback as its next_action (the next plan shows it, the next apply
// retries it: Read keeps it), and nothing is remembered as rolled back.
// The error says what is live and what to do.
func (r *aliasResource) rollbackFailed(ctx context.Context, c *lambda.Client, fn, name string, next deploymentView, f rollout.Decision, rbErr error, save func(string, types.Object), resp *resource.UpdateResponse) {
	gate, reason := f.Gate, f.Reason
	live := fmt.Sprintf("version %s serves %g%% of the traffic (when the alias was last set; reading it failed too)", next.To, next.Weight)
	if a, err := lambdaops.FindAlias(ctx, c, fn, name); err == nil {
		next.Weight, live = liveWeight(a, next.From, next.To)
	}
	next.Status = rollout.StatusInProgress
	next.Reason = reason + "; moving the traffic back failed"
	next.NextAction, next.NextGate, next.NextReason = string(rollout.RollBack), gate, reason
	next.NextValue, next.NextThreshold = nil, nil
	if hasMeasure(gate) {
		// The retry records the measurement that decided, not zeros.
		v, th := f.Value, f.Threshold
		next.NextValue, next.NextThreshold = &v, &th
	}
	d := &rollout.Decision{Action: rollout.RollBack, Step: int(next.Step - 1), Weight: next.Weight, Gate: gate, Reason: next.Reason, Value: f.Value, Threshold: f.Threshold}
	// While a rollout is in progress function_version holds its target.
	save(next.To, next.value(types.StringNull(), types.StringNull(), d))
	resp.Diagnostics.AddError("Rollback Failed", apiErrorDetail(
		fmt.Sprintf("The rollout of %s:%s from version %s to version %s had to roll back (%s), but moving the traffic back to version %s failed: %s. "+
			"The rollback did not happen and is not recorded as done: the state says deployment.status = \"in_progress\" with next_action = \"roll_back\".",
			fn, name, next.From, next.To, reason, next.From, live),
		fmt.Sprintf("Run terraform apply again: its plan shows the rollback and the apply retries it. To move the traffic at once by hand: "+
			"aws lambda update-alias --function-name %s --name %s --function-version %s --routing-config AdditionalVersionWeights={}", fn, name, next.From), rbErr))
}

// liveWeight is the share of the traffic on to that the alias reports
// (in percent), and a sentence saying what is live.
func liveWeight(a *lambda.GetAliasOutput, from, to string) (float64, string) {
	primary := aws.ToString(a.FunctionVersion)
	v, w, split := lambdaops.Routing(a.RoutingConfig)
	switch {
	case primary == to && !split:
		return 100, fmt.Sprintf("version %s serves 100%% of the traffic", to)
	case primary == to:
		weight := math.Round((1-w)*100000) / 1000
		return weight, fmt.Sprintf("version %s serves %g%% of the traffic and version %s the rest", to, weight, v)
	case split && v == to:
		weight := math.Round(w*100000) / 1000
		return weight, fmt.Sprintf("version %s serves %g%% of the traffic and version %s the rest", to, weight, primary)
	case split:
		return 0, fmt.Sprintf("the alias serves version %s and version %s", primary, v)
	}
	if primary == from {
		return 0, fmt.Sprintf("all traffic is on version %s", from)
	}
	return 0, fmt.Sprintf("the alias serves version %s", primary)
}

// rollbackPending says whether the deployment records a rollback whose
// UpdateAlias failed (rollbackFailed): in progress, the rollback next, and
// the rollback as its last gate record (an ordinary rollout in progress
// records only the advances). Read keeps it, and the next plan shows it
// in both wait modes.
func (v deploymentView) rollbackPending() bool {
	if v.Status != rollout.StatusInProgress || v.NextAction != string(rollout.RollBack) || len(v.Gates) == 0 {
		return false
	}
	last, ok := v.Gates[len(v.Gates)-1].(types.Object)
	if !ok {
		return false
	}
	a, _ := last.Attributes()["action"].(types.String)
	return a.ValueString() == string(rollout.RollBack)
}

// finishOverride clears the override that steered a plan-driven rollout
// once it ended.
func finishOverride(ctx context.Context, c *lambda.Client, fn, name string, next deploymentView) {
	if fnOut, err := lambdaops.FindFunction(ctx, c, fn); err == nil {
		if _, ok := fnOut.Tags[lambdaops.OverrideTag]; ok {
			health.NewScopedOverride(nil, c, aws.ToString(fnOut.Configuration.FunctionArn), name, next.From, next.To, true).Finish(ctx)
		}
	}
}

// withTimes fills the times a plan left unknown.
func withTimes(o types.Object, now time.Time, finished bool) types.Object {
	attrs := o.Attributes()
	if finished {
		attrs["finished_at"], attrs["step_started_at"] = types.StringValue(now.UTC().Format(time.RFC3339)), types.StringNull()
	} else {
		attrs["step_started_at"] = types.StringValue(now.UTC().Format(time.RFC3339Nano))
	}
	return types.ObjectValueMust(deploymentAttrTypes, attrs)
}

func concurrentAlias(resp *resource.UpdateResponse, fn, name string, err error) {
	resp.Diagnostics.AddError("Alias Update Error", apiErrorDetail(
		fmt.Sprintf("Moving the traffic of %s:%s failed; the state is unchanged.", fn, name),
		"Run terraform plan to see the alias as it is, then apply again.", err))
}

// evaluateForRefresh reads the gates of a plan-driven rollout in progress
// and records the decision in the deployment, for the plan to show.
func (r *aliasResource) evaluateForRefresh(ctx context.Context, c *lambda.Client, p rollout.Policy, m aliasModelV0, cur deploymentView, diags *diag.Diagnostics) types.Object {
	keep := func(v deploymentView) types.Object {
		return v.value(nullIfEmpty(v.StepStartedRaw), types.StringNull(), nil)
	}
	cw, err := r.data.client.CloudWatch(ctx)
	if err != nil {
		return keep(cur)
	}
	fn, err := lambdaops.FindFunction(ctx, c, m.FunctionName.ValueString())
	if err != nil {
		return keep(cur)
	}
	src := &health.Sources{CloudWatch: cw, Lambda: c, Function: m.FunctionName.ValueString(), Alias: m.Name.ValueString(), To: cur.To,
		FunctionARN: aws.ToString(fn.Configuration.FunctionArn), Clock: r.data.Clock().Now}
	ov := health.NewScopedOverride(src, c, src.FunctionARN, m.Name.ValueString(), cur.From, cur.To, false)
	ilc := m.interlock(ctx)
	cur = r.decideAtRefresh(ctx, p, ilc.gate(health.Bound(ov, p.Interval), r, ctx, ilc.lock(c, m.ARN.ValueString(), r.data.Clock()), p.Interval), cur)
	addOverrideWarnings(ov, diags)
	return keep(cur)
}

// decideAtRefresh evaluates the gates of a plan-driven rollout at the
// provider's clock and records the decision in the deployment: the next
// transition, or since when the health is unreadable.
func (r *aliasResource) decideAtRefresh(ctx context.Context, p rollout.Policy, src rollout.Sources, cur deploymentView) deploymentView {
	now := r.data.Clock().Now()
	d, err := rollout.Evaluate(ctx, p, src, rollout.Progress{Step: int(cur.Step - 1), StepStarted: cur.StepStarted, Started: cur.started()}, now)
	if err != nil {
		return unreadableAtRefresh(p, cur, now, err)
	}
	cur.UnreadableSince = ""
	cur.NextAction, cur.NextGate, cur.NextReason = string(d.Action), d.Gate, d.Reason
	cur.NextValue, cur.NextThreshold = nil, nil
	if hasMeasure(d.Gate) {
		v, th := d.Value, d.Threshold
		cur.NextValue, cur.NextThreshold = &v, &th
	}
	if d.Action == rollout.Hold || d.Action == rollout.Pause {
		// Holding changes nothing, and records nothing that would change
		// from one refresh to the next.
		cur.NextAction, cur.NextGate, cur.NextReason = string(rollout.Hold), "", ""
		cur.NextValue, cur.NextThreshold = nil, nil
	}
	return cur
}

// addOverrideWarnings reports the overrides a rollout ignored.
func addOverrideWarnings(ov *health.ScopedOverride, diags *diag.Diagnostics) {
	for _, w := range ov.Warnings() {
		diags.AddWarning(health.OverrideIgnored, w)
	}
}
