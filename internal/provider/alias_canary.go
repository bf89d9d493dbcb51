package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// The Terraform side of a canary rollout on an alias: the canary_policy
// object and the deployment and promotions attributes. The engine
// (internal/rollout) decides; the AWS adapters it reads and moves traffic
// through are in internal/health.

// policyFromSpec turns the alias's canary_policy object back into a policy:
// the typed rollout.Spec, with the engine's defaults.
func policyFromSpec(ctx context.Context, spec types.Object) (*rollout.Policy, error) {
	if spec.IsNull() || spec.IsUnknown() {
		return nil, nil
	}
	p, err := specFromObject(ctx, spec).Policy()
	if err != nil {
		return nil, fmt.Errorf("canary_policy.%w", err)
	}
	return p, nil
}

// specFromObject reads a spec object (rollout_canary_policy.spec, or the
// same object written inline) into a rollout.Spec; null is unset.
func specFromObject(ctx context.Context, spec types.Object) rollout.Spec {
	a := spec.Attributes()
	str := func(k string) string {
		if v, ok := a[k].(types.String); ok {
			return v.ValueString()
		}
		return ""
	}
	var s rollout.Spec
	s.Schedule, s.Interval, s.HookTimeout, s.Deadline = str("schedule"), str("interval"), str("hook_timeout"), str("deadline")
	if l, ok := a["steps"].(types.List); ok && !l.IsNull() {
		for _, el := range l.Elements() {
			o, _ := el.(types.Object)
			sa := o.Attributes()
			w, _ := sa["weight_percent"].(types.Float64)
			h, _ := sa["hold"].(types.String)
			s.Steps = append(s.Steps, rollout.SpecStep{WeightPercent: w.ValueFloat64(), Hold: h.ValueString()})
		}
	}
	if v, ok := a["max_error_rate"].(types.Float64); ok {
		s.MaxErrorRate = v.ValueFloat64Pointer()
	}
	if v, ok := a["max_p99_duration_ms"].(types.Float64); ok {
		s.MaxP99DurationMS = v.ValueFloat64Pointer()
	}
	if v, ok := a["min_invocations"].(types.Int64); ok {
		s.MinInvocations = v.ValueInt64Pointer()
	}
	s.OnInsufficientData, s.PreexistingAlarms = str("on_insufficient_data"), str("preexisting_alarms")
	if v, ok := a["alarms"].(types.List); ok {
		s.Alarms = stringList(ctx, v)
	}
	s.PreTrafficHook, s.PostTrafficHook = str("pre_traffic_hook"), str("post_traffic_hook")
	if v, ok := a["rollback_window"].(types.Int64); ok {
		s.RollbackWindow = v.ValueInt64Pointer()
	}
	if v, ok := a["wait"].(types.Bool); ok {
		s.Wait = v.ValueBoolPointer()
	}
	s.NotifyWebhookURL, s.NotifySNSTopicARN = str("notify_webhook_url"), str("notify_sns_topic_arn")
	return s
}

// ---- deployment state ----

var deploymentGateAttrTypes = map[string]attr.Type{"step": types.Int64Type, "weight_percent": types.Float64Type, "action": types.StringType, "reason": types.StringType}

var deploymentAttrTypes = map[string]attr.Type{
	"status": types.StringType, "from_version": types.StringType, "to_version": types.StringType,
	"step": types.Int64Type, "weight_percent": types.Float64Type, "gate": types.StringType, "value": types.Float64Type,
	"threshold": types.Float64Type, "reason": types.StringType, "started_at": types.StringType, "finished_at": types.StringType,
	"step_started_at": types.StringType, "next_action": types.StringType, "next_gate": types.StringType, "next_reason": types.StringType,
	"gates":                   types.ListType{ElemType: types.ObjectType{AttrTypes: deploymentGateAttrTypes}},
	"health_unreadable_since": types.StringType,
	"next_value":              types.Float64Type, "next_threshold": types.Float64Type,
}

var promotionAttrTypes = map[string]attr.Type{"version": types.StringType, "promoted_at": types.StringType}

func deploymentValue(from, to string, started, finished time.Time, out rollout.Outcome) types.Object {
	gates := make([]attr.Value, 0, len(out.Decisions))
	for _, d := range out.Decisions {
		gates = append(gates, types.ObjectValueMust(deploymentGateAttrTypes, map[string]attr.Value{
			"step": types.Int64Value(int64(d.Step + 1)), "weight_percent": types.Float64Value(d.Weight),
			"action": types.StringValue(string(d.Action)), "reason": types.StringValue(d.Reason)}))
	}
	f := out.Final
	opt := func(v float64, set bool) types.Float64 {
		if !set {
			return types.Float64Null()
		}
		return types.Float64Value(v)
	}
	isGate := f.Gate == "error_rate" || f.Gate == "p99" || f.Gate == "insufficient_data"
	return types.ObjectValueMust(deploymentAttrTypes, map[string]attr.Value{
		"status": types.StringValue(out.Status), "from_version": types.StringValue(from), "to_version": types.StringValue(to),
		"step": types.Int64Value(int64(f.Step + 1)), "weight_percent": types.Float64Value(f.Weight), "gate": nullIfEmpty(f.Gate),
		"value": opt(f.Value, isGate), "threshold": opt(f.Threshold, isGate), "reason": types.StringValue(f.Reason),
		"started_at": types.StringValue(started.UTC().Format(time.RFC3339)), "finished_at": types.StringValue(finished.UTC().Format(time.RFC3339)),
		"step_started_at": types.StringNull(), "next_action": types.StringNull(), "next_gate": types.StringNull(), "next_reason": types.StringNull(),
		"gates":                   types.ListValueMust(types.ObjectType{AttrTypes: deploymentGateAttrTypes}, gates),
		"health_unreadable_since": types.StringNull(),
		"next_value":              types.Float64Null(), "next_threshold": types.Float64Null(),
	})
}

// promotionsWith prepends a promotion and keeps the last 10.
func promotionsWith(prior types.List, version string, at time.Time) types.List {
	elems := []attr.Value{types.ObjectValueMust(promotionAttrTypes, map[string]attr.Value{
		"version": types.StringValue(version), "promoted_at": types.StringValue(at.UTC().Format(time.RFC3339))})}
	if !prior.IsNull() && !prior.IsUnknown() {
		for _, el := range prior.Elements() {
			if len(elems) >= 10 {
				break
			}
			elems = append(elems, el)
		}
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: promotionAttrTypes}, elems)
}

// inWindow reports whether version was among the last n promotions.
func inWindow(promotions types.List, version string, n int) bool {
	if promotions.IsNull() || promotions.IsUnknown() {
		return false
	}
	for i, el := range promotions.Elements() {
		if i >= n {
			break
		}
		o, _ := el.(types.Object)
		if v, ok := o.Attributes()["version"].(types.String); ok && v.ValueString() == version {
			return true
		}
	}
	return false
}

func deploymentSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "The last rollout: how it ended, where, and why.",
		Computed:            true,
		Attributes: map[string]schema.Attribute{
			"status":          schema.StringAttribute{MarkdownDescription: "`promoted`, `rolled_back`, `aborted` or `in_progress`.", Computed: true},
			"from_version":    schema.StringAttribute{MarkdownDescription: "The version traffic moved from.", Computed: true},
			"to_version":      schema.StringAttribute{MarkdownDescription: "The version traffic moved to.", Computed: true},
			"step":            schema.Int64Attribute{MarkdownDescription: "The step (1-based) of the final decision; 0 before the first shift.", Computed: true},
			"weight_percent":  schema.Float64Attribute{MarkdownDescription: "The new version's weight at the final decision.", Computed: true},
			"gate":            schema.StringAttribute{MarkdownDescription: "The gate that ended the rollout, if one did.", Computed: true},
			"value":           schema.Float64Attribute{MarkdownDescription: "The measured value of that gate.", Computed: true},
			"threshold":       schema.Float64Attribute{MarkdownDescription: "Its threshold.", Computed: true},
			"reason":          schema.StringAttribute{MarkdownDescription: "Why the rollout ended as it did.", Computed: true},
			"started_at":      schema.StringAttribute{MarkdownDescription: "When it started (RFC 3339).", Computed: true},
			"finished_at":     schema.StringAttribute{MarkdownDescription: "When it ended (RFC 3339).", Computed: true},
			"step_started_at": schema.StringAttribute{MarkdownDescription: "With `wait = false`, while the rollout is in progress: when the current step's weight was set (RFC 3339).", Computed: true},
			"next_action": schema.StringAttribute{MarkdownDescription: "With `wait = false`: what the gates, read at the last refresh, call for next (`hold`, `advance`, `promote`, " +
				"`roll_back`, `abort`); the plan shows that transition as a change. Null right after a transition (nothing is pending until the next refresh " +
				"reads the gates), so a plan reads `\"advance\" -> null`, never backwards. For a pipeline, `rolloutctl status --exit-code` tells hold from done from rolled back.", Computed: true},
			"next_value":     schema.Float64Attribute{MarkdownDescription: "With `wait = false`: the measured value of the gate behind a pending roll back (`next_gate`), as `value` records it once applied.", Computed: true},
			"next_threshold": schema.Float64Attribute{MarkdownDescription: "With `wait = false`: the threshold of that gate.", Computed: true},
			"next_gate":      schema.StringAttribute{MarkdownDescription: "With `wait = false`: the gate behind a pending roll back, if any.", Computed: true},
			"next_reason":    schema.StringAttribute{MarkdownDescription: "With `wait = false`: why, with the measured values.", Computed: true},
			"health_unreadable_since": schema.StringAttribute{
				MarkdownDescription: "With `wait = false`: when the refresh first failed to read the health (RFC 3339), while it keeps failing; " +
					"two `interval`s later the plan shows the roll back.",
				Computed: true,
			},
			"gates": schema.ListNestedAttribute{
				MarkdownDescription: "Per step: the decision that moved traffic or ended the rollout, with its reason and measurements.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"step":           schema.Int64Attribute{MarkdownDescription: "Step (1-based).", Computed: true},
					"weight_percent": schema.Float64Attribute{MarkdownDescription: "The new version's weight.", Computed: true},
					"action":         schema.StringAttribute{MarkdownDescription: "advance, promote, roll_back or abort.", Computed: true},
					"reason":         schema.StringAttribute{MarkdownDescription: "Why, with the measured values.", Computed: true},
				}},
			},
		},
	}
}

func promotionsSchema() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		MarkdownDescription: "The last 10 versions promoted on this alias, newest first; the rollback window counts from here.",
		Computed:            true,
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"version":     schema.StringAttribute{MarkdownDescription: "The promoted version.", Computed: true},
			"promoted_at": schema.StringAttribute{MarkdownDescription: "When all traffic moved to the version (RFC 3339), in both wait modes: for a canary, its `deployment.finished_at`; without one, the UpdateAlias.", Computed: true},
		}},
	}
}
