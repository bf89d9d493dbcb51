package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

var (
	_ resource.Resource                   = (*canaryPolicyResource)(nil)
	_ resource.ResourceWithValidateConfig = (*canaryPolicyResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*canaryPolicyResource)(nil)
)

func newCanaryPolicyResource() resource.Resource { return &canaryPolicyResource{} }

// canaryPolicyResource is a local-only, validated and normalised canary
// policy: it creates nothing in AWS and exports the explicit schedule as
// spec, for rollout_alias to run and for plans to show.
type canaryPolicyResource struct{}

func (r *canaryPolicyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_canary_policy"
}

func (r *canaryPolicyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A canary policy: how traffic moves from one version to the next and which health gates it must pass. " +
			"Local only: it creates nothing in AWS. Its `spec` is the explicit schedule (every step, weight and hold), so the plan of " +
			"a `rollout_alias` that uses it shows the whole rollout. Give either `preset` (the nine CodeDeploy configurations) or `steps`.",
		Attributes: map[string]schema.Attribute{
			"preset": schema.StringAttribute{
				MarkdownDescription: "One of the CodeDeploy Lambda configurations: `" + strings.Join(rollout.PresetNames(), "`, `") + "`.",
				Optional:            true,
			},
			"steps": schema.ListNestedAttribute{
				MarkdownDescription: "A custom schedule: each step sends `weight_percent` of the traffic to the new version for `hold`; " +
					"after the last step the new version gets 100%. Weights increase and stay below 100; each hold is at least one `interval`.",
				Optional: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"weight_percent": schema.Float64Attribute{MarkdownDescription: "Share of the traffic for the new version, in percent (0 < w < 100).", Required: true},
					"hold":           schema.StringAttribute{MarkdownDescription: "How long the step lasts, a Go duration such as `5m` or `30s`.", Required: true},
				}},
			},
			"interval": schema.StringAttribute{
				MarkdownDescription: "How often the gates are evaluated, a Go duration. Defaults to `1m`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(rollout.ShortDuration(rollout.DefaultInterval)),
			},
			"health": schema.SingleNestedAttribute{
				MarkdownDescription: "The gates, evaluated every interval on the new version alone (CloudWatch `AWS/Lambda` metrics with the `ExecutedVersion` dimension).",
				Optional:            true,
				Attributes: map[string]schema.Attribute{
					"max_error_rate":      schema.Float64Attribute{MarkdownDescription: "Highest tolerated error rate, 0 to 1 (`0.05` is 5%).", Optional: true},
					"max_p99_duration_ms": schema.Float64Attribute{MarkdownDescription: "Highest tolerated p99 duration in milliseconds.", Optional: true},
					"min_invocations":     schema.Int64Attribute{MarkdownDescription: "Invocations of the new version needed in a step before the metric gates count. Defaults to 0.", Optional: true},
					"on_insufficient_data": schema.StringAttribute{
						MarkdownDescription: "When a step's hold ends with fewer than `min_invocations`: `hold` (the default: wait for data until `deadline`, then roll back), `proceed` or `rollback`.",
						Optional:            true,
					},
					"alarms": schema.ListAttribute{MarkdownDescription: "CloudWatch alarms; any in ALARM rolls the rollout back.", Optional: true, ElementType: types.StringType},
					"preexisting_alarms": schema.StringAttribute{
						MarkdownDescription: "An alarm already in ALARM when the rollout starts: `fail` (the default: no traffic moves) or `ignore` (it is left out, so a fix can ship while an old alarm fires).",
						Optional:            true,
					},
				},
			},
			"hooks": schema.SingleNestedAttribute{
				MarkdownDescription: "Lambda functions invoked before the first shift (`pre_traffic`) and after the promotion (`post_traffic`) " +
					"with `{\"deployment\": {...}, \"phase\": \"pre_traffic\"}`. A hook fails when it returns a function error or `\"status\": \"Failed\"`.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"pre_traffic":  schema.StringAttribute{MarkdownDescription: "Function name or ARN of the pre-traffic hook.", Optional: true},
					"post_traffic": schema.StringAttribute{MarkdownDescription: "Function name or ARN of the post-traffic hook.", Optional: true},
					"timeout":      schema.StringAttribute{MarkdownDescription: "How long a hook may run, a Go duration. Defaults to `5m`.", Optional: true},
				},
			},
			"deadline": schema.StringAttribute{
				MarkdownDescription: "The longest a rollout may run, counted from the first shift of traffic, a Go duration such as `30m`. " +
					"At the deadline a rollout that is not promoted rolls back, whatever holds it: waiting for data under " +
					"`on_insufficient_data = \"hold\"`, a `pause` override, or unreadable health (gates that call for an advance or the promotion " +
					"still act, so a healthy plan-driven rollout that a pipeline applies late is not cut short). It must be at least the total hold " +
					"plus one `interval` per step. Defaults to twice the schedule's total hold, and at least the total hold plus 5 intervals " +
					"(`Canary10Percent5Minutes` with a 1m interval: `10m`); `spec.deadline` shows the value in force.",
				Optional: true,
			},
			"notifications": schema.SingleNestedAttribute{
				MarkdownDescription: "Where the rollout's events go (started, step_advanced, held, overridden, deadline_reached, rolled_back, " +
					"promoted, aborted): a webhook that receives a JSON body Slack and similar incoming webhooks accept as is (a top-level `text` " +
					"plus the event's fields), and/or an SNS topic (the same JSON as the message). Delivery is queued off the rollout's path and " +
					"retried with backoff, so it never delays or blocks a rollback; a delivery that fails is a warning in the apply, not an error.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"webhook_url": schema.StringAttribute{
						MarkdownDescription: "An `https://` (or, for a local receiver, `http://`) URL, for example a Slack incoming webhook.",
						Optional:            true,
						Sensitive:           true,
					},
					"sns_topic_arn": schema.StringAttribute{
						MarkdownDescription: "ARN of an SNS topic, for example `arn:aws:sns:us-east-1:123456789012:deploys`.",
						Optional:            true,
					},
				},
			},
			"rollback_window": schema.Int64Attribute{
				MarkdownDescription: "Moving to a version that was among the last `rollback_window` promotions (a known-good version) skips the steps: one UpdateAlias. Defaults to 3.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(rollout.DefaultRollbackWindow),
			},
			"wait": schema.BoolAttribute{
				MarkdownDescription: "`true` (the default): the apply runs the whole rollout. `false`: the apply sets the first step and returns; each later plan evaluates the gates and shows the next transition.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
			"spec": schema.SingleNestedAttribute{
				MarkdownDescription: "The normalised policy with the explicit schedule, for `rollout_alias.canary_policy`.",
				Computed:            true,
				Attributes:          specAttributes(specComputed),
			},
		},
	}
}

// specMode says whose spec attributes are built: rollout_canary_policy's
// spec (computed) or rollout_alias.canary_policy (optional).
type specMode bool

const (
	specComputed specMode = false
	specSettable specMode = true
)

// specAttributes is the one schema of a canary policy spec (a
// rollout.Spec): computed in rollout_canary_policy.spec, settable in
// rollout_alias.canary_policy, which takes rollout_canary_policy.<name>.spec
// or the same object written inline.
func specAttributes(mode specMode) map[string]schema.Attribute {
	settable := bool(mode)
	opt, comp := settable, !settable
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Optional: opt, Computed: comp}
	}
	f64 := func(desc string) schema.Float64Attribute {
		return schema.Float64Attribute{MarkdownDescription: desc, Optional: opt, Computed: comp}
	}
	i64 := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{MarkdownDescription: desc, Optional: opt, Computed: comp}
	}
	// A step's fields are required when the policy is written inline.
	stepF64 := schema.Float64Attribute{MarkdownDescription: "Share of the traffic for the new version, in percent.", Required: settable, Computed: comp}
	stepStr := schema.StringAttribute{MarkdownDescription: "How long the step lasts, a Go duration.", Required: settable, Computed: comp}
	return map[string]schema.Attribute{
		"schedule": str("The schedule in words, e.g. `10% for 5m0s, then 100%` (informational)."),
		"steps": schema.ListNestedAttribute{
			MarkdownDescription: "Every step: `weight_percent` of the traffic to the new version for `hold`.", Optional: opt, Computed: comp,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{"weight_percent": stepF64, "hold": stepStr}},
		},
		"interval":             str("Gate evaluation interval, a Go duration."),
		"max_error_rate":       f64("Error-rate gate (0 to 1), if any."),
		"max_p99_duration_ms":  f64("p99 gate in milliseconds, if any."),
		"min_invocations":      i64("Invocations needed per step."),
		"on_insufficient_data": str("`hold`, `proceed` or `rollback`."),
		"alarms":               schema.ListAttribute{MarkdownDescription: "Alarm gates.", Optional: opt, Computed: comp, ElementType: types.StringType},
		"preexisting_alarms":   str("`fail` or `ignore`."),
		"pre_traffic_hook":     str("Pre-traffic hook function, if any."),
		"post_traffic_hook":    str("Post-traffic hook function, if any."),
		"hook_timeout":         str("Hook timeout, a Go duration."),
		"rollback_window":      i64("Promotions that count as known-good."),
		"wait":                 schema.BoolAttribute{MarkdownDescription: "Whether the apply runs the whole rollout.", Optional: opt, Computed: comp},
		"deadline": str("The longest a rollout may run from its first shift, a Go duration (in `spec`, the default applied); " +
			"see `rollout_canary_policy.deadline`."),
		"notify_webhook_url": schema.StringAttribute{MarkdownDescription: "Webhook that receives the rollout's events, if any; see `rollout_canary_policy.notifications`.",
			Optional: opt, Computed: comp, Sensitive: true},
		"notify_sns_topic_arn": str("SNS topic that receives the rollout's events, if any; see `rollout_canary_policy.notifications`."),
	}
}

var specStepAttrTypes = map[string]attr.Type{"weight_percent": types.Float64Type, "hold": types.StringType}

var specAttrTypes = map[string]attr.Type{
	"schedule": types.StringType, "steps": types.ListType{ElemType: types.ObjectType{AttrTypes: specStepAttrTypes}},
	"interval": types.StringType, "max_error_rate": types.Float64Type, "max_p99_duration_ms": types.Float64Type,
	"min_invocations": types.Int64Type, "on_insufficient_data": types.StringType, "alarms": types.ListType{ElemType: types.StringType},
	"preexisting_alarms": types.StringType, "pre_traffic_hook": types.StringType, "post_traffic_hook": types.StringType,
	"hook_timeout": types.StringType, "rollback_window": types.Int64Type, "wait": types.BoolType,
	"deadline": types.StringType, "notify_webhook_url": types.StringType, "notify_sns_topic_arn": types.StringType,
}

func (r *canaryPolicyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m canaryPolicyModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, diags := m.policy(ctx)
	resp.Diagnostics.Append(diags...)
}

// ModifyPlan computes spec at plan time, so that everything downstream
// (the alias's plan) shows the explicit schedule.
func (r *canaryPolicyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var m canaryPolicyModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	p, diags := m.policy(ctx)
	if diags.HasError() || p == nil {
		return
	}
	m.Spec = specValue(*p)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &m)...)
}

func (r *canaryPolicyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.save(ctx, req.Plan.Get, resp.State.Set, &resp.Diagnostics)
}

// Read has nothing to refresh: the policy lives only in state.
func (r *canaryPolicyResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *canaryPolicyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.save(ctx, req.Plan.Get, resp.State.Set, &resp.Diagnostics)
}

// Delete has nothing to remove in AWS.
func (r *canaryPolicyResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

func (r *canaryPolicyResource) save(ctx context.Context, get func(context.Context, any) diag.Diagnostics, set func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) {
	var m canaryPolicyModelV0
	diags.Append(get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	p, d := m.policy(ctx)
	diags.Append(d...)
	if diags.HasError() || p == nil {
		return
	}
	m.Spec = specValue(*p)
	diags.Append(set(ctx, &m)...)
}

// policy validates and normalises the model; nil without error when a
// value is not known yet.
func (m canaryPolicyModelV0) policy(ctx context.Context) (*rollout.Policy, diag.Diagnostics) {
	var diags diag.Diagnostics
	if m.Preset.IsUnknown() || m.Steps.IsUnknown() || m.Interval.IsUnknown() || m.Health.IsUnknown() || m.Hooks.IsUnknown() || m.Deadline.IsUnknown() || m.Notifications.IsUnknown() {
		return nil, diags
	}
	defaults := rollout.Defaults()
	p := &defaults
	if !m.RollbackWindow.IsNull() {
		p.RollbackWindow = int(m.RollbackWindow.ValueInt64())
	}
	if !m.Wait.IsNull() {
		p.Wait = m.Wait.ValueBool()
	}
	if !m.Interval.IsNull() {
		interval := m.Interval.ValueString()
		d, err := time.ParseDuration(interval)
		if err != nil || d < time.Second {
			diags.AddAttributeError(path.Root("interval"), "Invalid Interval",
				validate.Detail("interval", fmt.Sprintf("%q", interval), "it must be a Go duration of at least 1s", `interval = "1m"`))
			return nil, diags
		}
		p.Interval = d
	}
	hasPreset, hasSteps := !m.Preset.IsNull(), !m.Steps.IsNull()
	switch {
	case hasPreset == hasSteps:
		diags.AddAttributeError(path.Root("preset"), "Missing Or Conflicting Schedule",
			validate.Detail("preset / steps", map[bool]string{true: "(both set)", false: "(neither set)"}[hasPreset], "give exactly one of preset or steps",
				`preset = "Canary10Percent5Minutes"`))
		return nil, diags
	case hasPreset:
		steps, ok := rollout.Presets[m.Preset.ValueString()]
		if !ok {
			diags.AddAttributeError(path.Root("preset"), "Unknown Preset",
				validate.Detail("preset", fmt.Sprintf("%q", m.Preset.ValueString()), "it must be one of "+strings.Join(rollout.PresetNames(), ", "), `preset = "Canary10Percent5Minutes"`))
			return nil, diags
		}
		p.Steps = append([]rollout.Step(nil), steps...)
	default:
		var steps []canaryStepModelV0
		diags.Append(m.Steps.ElementsAs(ctx, &steps, false)...)
		for i, s := range steps {
			if s.WeightPercent.IsUnknown() || s.Hold.IsUnknown() {
				return nil, diags
			}
			hold, err := time.ParseDuration(s.Hold.ValueString())
			if err != nil {
				diags.AddAttributeError(path.Root("steps").AtListIndex(i).AtName("hold"), "Invalid Step Hold",
					validate.Detail(fmt.Sprintf("steps[%d].hold", i), fmt.Sprintf("%q", s.Hold.ValueString()), "it must be a Go duration", `{ weight_percent = 10, hold = "5m" }`))
				return nil, diags
			}
			p.Steps = append(p.Steps, rollout.Step{WeightPercent: s.WeightPercent.ValueFloat64(), Hold: hold})
		}
		if len(steps) == 0 && !m.Steps.IsUnknown() {
			diags.AddAttributeError(path.Root("steps"), "Empty Canary Steps",
				validate.Detail("steps", "[]", emptyStepsProblem, `steps = [{ weight_percent = 10, hold = "5m" }]`))
			return nil, diags
		}
		if err := rollout.ValidateSteps(p.Steps, p.Interval); err != nil {
			diags.AddAttributeError(path.Root("steps"), "Invalid Canary Steps", err.Error()+".\n\nA valid example: steps = [{ weight_percent = 10, hold = \"5m\" }, { weight_percent = 50, hold = \"5m\" }]")
			return nil, diags
		}
	}
	if !m.Health.IsNull() {
		var h canaryHealthModelV0
		diags.Append(m.Health.As(ctx, &h, basetypes.ObjectAsOptions{})...)
		if !h.MaxErrorRate.IsNull() {
			v := h.MaxErrorRate.ValueFloat64()
			if v < 0 || v > 1 {
				diags.AddAttributeError(path.Root("health").AtName("max_error_rate"), "Invalid Error Rate",
					validate.Detail("health.max_error_rate", fmt.Sprint(v), "it is a fraction from 0 to 1", "max_error_rate = 0.05"))
			}
			p.Health.MaxErrorRate = &v
		}
		if !h.MaxP99DurationMS.IsNull() {
			v := h.MaxP99DurationMS.ValueFloat64()
			if v <= 0 {
				diags.AddAttributeError(path.Root("health").AtName("max_p99_duration_ms"), "Invalid p99 Threshold",
					validate.Detail("health.max_p99_duration_ms", fmt.Sprint(v), "it must be positive (milliseconds)", "max_p99_duration_ms = 800"))
			}
			p.Health.MaxP99DurationMS = &v
		}
		if !h.MinInvocations.IsNull() {
			if h.MinInvocations.ValueInt64() < 0 {
				diags.AddAttributeError(path.Root("health").AtName("min_invocations"), "Invalid Minimum",
					validate.Detail("health.min_invocations", fmt.Sprint(h.MinInvocations.ValueInt64()), "it must be at least 0", "min_invocations = 20"))
			}
			p.Health.MinInvocations = int(h.MinInvocations.ValueInt64())
		}
		if v := h.OnInsufficientData.ValueString(); v != "" {
			if v != rollout.InsufficientHold && v != rollout.InsufficientProceed && v != rollout.InsufficientRollback {
				diags.AddAttributeError(path.Root("health").AtName("on_insufficient_data"), "Invalid Insufficient-Data Policy",
					validate.Detail("health.on_insufficient_data", fmt.Sprintf("%q", v), `it must be "hold", "proceed" or "rollback"`, `on_insufficient_data = "hold"`))
			}
			p.Health.OnInsufficientData = v
		}
		if v := h.PreexistingAlarms.ValueString(); v != "" {
			if v != "fail" && v != "ignore" {
				diags.AddAttributeError(path.Root("health").AtName("preexisting_alarms"), "Invalid Pre-existing Alarm Policy",
					validate.Detail("health.preexisting_alarms", fmt.Sprintf("%q", v), `it must be "fail" or "ignore"`, `preexisting_alarms = "ignore"`))
			}
			p.Health.PreexistingAlarms = v
		}
		p.Health.Alarms = stringList(ctx, h.Alarms)
	}
	if !m.Hooks.IsNull() {
		var h canaryHooksModelV0
		diags.Append(m.Hooks.As(ctx, &h, basetypes.ObjectAsOptions{})...)
		p.PreTrafficHook, p.PostTrafficHook = h.PreTraffic.ValueString(), h.PostTraffic.ValueString()
		if t := h.Timeout.ValueString(); t != "" {
			d, err := time.ParseDuration(t)
			if err != nil || d <= 0 {
				diags.AddAttributeError(path.Root("hooks").AtName("timeout"), "Invalid Hook Timeout",
					validate.Detail("hooks.timeout", fmt.Sprintf("%q", t), "it must be a positive Go duration", `timeout = "5m"`))
			}
			p.HookTimeout = d
		}
	}
	diags.Append(m.deadline(p)...)
	if !m.Notifications.IsNull() && !m.Notifications.IsUnknown() {
		a := m.Notifications.Attributes()
		str := func(k string) (string, bool) {
			v, _ := a[k].(types.String)
			return v.ValueString(), v.IsUnknown()
		}
		webhook, u1 := str("webhook_url")
		topic, u2 := str("sns_topic_arn")
		p.Notify = rollout.Notify{WebhookURL: webhook, SNSTopicARN: topic}
		if attr, problem, example := rollout.NotifyProblem(p.Notify); attr != "" {
			value := fmt.Sprintf("%q", topic)
			if attr == "webhook_url" {
				value = "(the configured URL, not shown: it is sensitive)"
			}
			diags.AddAttributeError(path.Root("notifications").AtName(attr), "Invalid Notification Target",
				validate.Detail("notifications."+attr, value, problem, example))
		} else if webhook == "" && topic == "" && !u1 && !u2 {
			diags.AddAttributeError(path.Root("notifications"), "Empty Notifications",
				validate.Detail("notifications", "{}", "give webhook_url, sns_topic_arn or both, or leave notifications out",
					`notifications = { sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:deploys" }`))
		}
	}
	if m.RollbackWindow.ValueInt64() < 0 {
		diags.AddAttributeError(path.Root("rollback_window"), "Invalid Rollback Window",
			validate.Detail("rollback_window", fmt.Sprint(m.RollbackWindow.ValueInt64()), "it must be at least 0", "rollback_window = 3"))
	}
	if diags.HasError() {
		return nil, diags
	}
	return p, diags
}

// deadline sets the policy's deadline: the configured one, validated
// against the schedule, or the default derived from it.
func (m canaryPolicyModelV0) deadline(p *rollout.Policy) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.Deadline.IsUnknown() {
		p.Deadline = rollout.DefaultDeadline(p.Steps, p.Interval)
		return diags
	}
	d, problem, example := rollout.ParseDeadline(m.Deadline.ValueString(), p.Steps, p.Interval)
	if !m.Deadline.IsNull() && m.Deadline.ValueString() == "" {
		problem = rollout.DeadlineNotDuration // set, but empty
	}
	if problem != "" {
		diags.AddAttributeError(path.Root("deadline"), "Invalid Deadline",
			validate.Detail("deadline", fmt.Sprintf("%q", m.Deadline.ValueString()), problem, example))
	}
	p.Deadline = d
	return diags
}

// emptyStepsProblem is why a schedule without steps is refused: it would
// mean all traffic at once with no gate, which only preset = "AllAtOnce"
// may say.
const emptyStepsProblem = `a canary needs at least one step below 100% (an empty list would send all traffic at once with no gate; preset = "AllAtOnce" says that on purpose)`

// specValue renders a policy as the spec object.
func specValue(p rollout.Policy) types.Object {
	s := p.Spec()
	steps := make([]attr.Value, 0, len(s.Steps))
	for _, st := range s.Steps {
		steps = append(steps, types.ObjectValueMust(specStepAttrTypes, map[string]attr.Value{
			"weight_percent": types.Float64Value(st.WeightPercent), "hold": types.StringValue(st.Hold)}))
	}
	alarms := make([]attr.Value, 0, len(s.Alarms))
	for _, a := range s.Alarms {
		alarms = append(alarms, types.StringValue(a))
	}
	return types.ObjectValueMust(specAttrTypes, map[string]attr.Value{
		"schedule": types.StringValue(s.Schedule),
		"steps":    types.ListValueMust(types.ObjectType{AttrTypes: specStepAttrTypes}, steps),
		"interval": types.StringValue(s.Interval), "max_error_rate": types.Float64PointerValue(s.MaxErrorRate),
		"max_p99_duration_ms": types.Float64PointerValue(s.MaxP99DurationMS), "min_invocations": types.Int64PointerValue(s.MinInvocations),
		"on_insufficient_data": types.StringValue(s.OnInsufficientData), "alarms": types.ListValueMust(types.StringType, alarms),
		"preexisting_alarms": types.StringValue(s.PreexistingAlarms), "pre_traffic_hook": nullIfEmpty(s.PreTrafficHook),
		"post_traffic_hook": nullIfEmpty(s.PostTrafficHook), "hook_timeout": types.StringValue(s.HookTimeout),
		"rollback_window": types.Int64PointerValue(s.RollbackWindow), "wait": types.BoolPointerValue(s.Wait),
		"deadline": types.StringValue(s.Deadline), "notify_webhook_url": nullIfEmpty(s.NotifyWebhookURL),
		"notify_sns_topic_arn": nullIfEmpty(s.NotifySNSTopicARN),
	})
}

type canaryPolicyModelV0 struct {
	Preset         types.String `tfsdk:"preset"`
	Steps          types.List   `tfsdk:"steps"`
	Interval       types.String `tfsdk:"interval"`
	Health         types.Object `tfsdk:"health"`
	Hooks          types.Object `tfsdk:"hooks"`
	RollbackWindow types.Int64  `tfsdk:"rollback_window"`
	Wait           types.Bool   `tfsdk:"wait"`
	Deadline       types.String `tfsdk:"deadline"`
	Notifications  types.Object `tfsdk:"notifications"`
	Spec           types.Object `tfsdk:"spec"`
}

type canaryStepModelV0 struct {
	WeightPercent types.Float64 `tfsdk:"weight_percent"`
	Hold          types.String  `tfsdk:"hold"`
}

type canaryHealthModelV0 struct {
	MaxErrorRate       types.Float64 `tfsdk:"max_error_rate"`
	MaxP99DurationMS   types.Float64 `tfsdk:"max_p99_duration_ms"`
	MinInvocations     types.Int64   `tfsdk:"min_invocations"`
	OnInsufficientData types.String  `tfsdk:"on_insufficient_data"`
	Alarms             types.List    `tfsdk:"alarms"`
	PreexistingAlarms  types.String  `tfsdk:"preexisting_alarms"`
}

type canaryHooksModelV0 struct {
	PreTraffic  types.String `tfsdk:"pre_traffic"`
	PostTraffic types.String `tfsdk:"post_traffic"`
	Timeout     types.String `tfsdk:"timeout"`
}
