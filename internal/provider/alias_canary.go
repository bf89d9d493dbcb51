package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// The AWS side of a canary rollout on an alias: the engine decides, these
// adapters read CloudWatch, alarms, the override tag and hooks, and move
// traffic with UpdateAlias.

// OverrideTag is the function tag an operator sets to steer a running
// rollout: promote, pause or abort (defined once, in lambdaops).
const OverrideTag = lambdaops.OverrideTag

// policyFromSpec turns the alias's canary_policy object back into a policy.
func policyFromSpec(ctx context.Context, spec types.Object) (*rollout.Policy, error) {
	if spec.IsNull() || spec.IsUnknown() {
		return nil, nil
	}
	a := spec.Attributes()
	str := func(k string) string {
		if v, ok := a[k].(types.String); ok {
			return v.ValueString()
		}
		return ""
	}
	dur := func(k, def string) (time.Duration, error) {
		s := str(k)
		if s == "" {
			s = def
		}
		return time.ParseDuration(s)
	}
	p := &rollout.Policy{Wait: true, RollbackWindow: 3}
	var err error
	if p.Interval, err = dur("interval", "1m"); err != nil {
		return nil, fmt.Errorf("canary_policy.interval: %w", err)
	}
	if p.HookTimeout, err = dur("hook_timeout", "5m"); err != nil {
		return nil, fmt.Errorf("canary_policy.hook_timeout: %w", err)
	}
	if l, ok := a["steps"].(types.List); ok && !l.IsNull() {
		for i, el := range l.Elements() {
			o, _ := el.(types.Object)
			sa := o.Attributes()
			w, _ := sa["weight_percent"].(types.Float64)
			h, _ := sa["hold"].(types.String)
			hold, err := time.ParseDuration(h.ValueString())
			if err != nil {
				return nil, fmt.Errorf("canary_policy.steps[%d].hold: %w", i, err)
			}
			p.Steps = append(p.Steps, rollout.Step{WeightPercent: w.ValueFloat64(), Hold: hold})
		}
	}
	if err := rollout.ValidateSteps(p.Steps, p.Interval); err != nil {
		return nil, fmt.Errorf("canary_policy: %w", err)
	}
	if v, ok := a["max_error_rate"].(types.Float64); ok && !v.IsNull() {
		f := v.ValueFloat64()
		p.Health.MaxErrorRate = &f
	}
	if v, ok := a["max_p99_duration_ms"].(types.Float64); ok && !v.IsNull() {
		f := v.ValueFloat64()
		p.Health.MaxP99DurationMS = &f
	}
	if v, ok := a["min_invocations"].(types.Int64); ok {
		p.Health.MinInvocations = int(v.ValueInt64())
	}
	p.Health.OnInsufficientData = str("on_insufficient_data")
	if p.Health.OnInsufficientData == "" {
		p.Health.OnInsufficientData = rollout.InsufficientHold
	}
	p.Health.PreexistingAlarms = str("preexisting_alarms")
	if p.Health.PreexistingAlarms == "" {
		p.Health.PreexistingAlarms = "fail"
	}
	if v, ok := a["alarms"].(types.List); ok {
		p.Health.Alarms = stringList(ctx, v)
	}
	p.PreTrafficHook, p.PostTrafficHook = str("pre_traffic_hook"), str("post_traffic_hook")
	if v, ok := a["rollback_window"].(types.Int64); ok && !v.IsNull() {
		p.RollbackWindow = int(v.ValueInt64())
	}
	if v, ok := a["wait"].(types.Bool); ok && !v.IsNull() {
		p.Wait = v.ValueBool()
	}
	if err := specDeadline(p, str("deadline")); err != nil {
		return nil, err
	}
	return p, nil
}

// aliasTraffic moves an alias's traffic between from (A) and to (B),
// each update conditional on the RevisionId the previous one returned.
type aliasTraffic struct {
	c                  *lambda.Client
	function, name     string
	from, to, revision string
}

func (t *aliasTraffic) update(ctx context.Context, primary, extra string, weight float64) error {
	rc := &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}
	if extra != "" {
		rc.AdditionalVersionWeights[extra] = weight
	}
	out, err := t.c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(t.function), Name: aws.String(t.name),
		FunctionVersion: aws.String(primary), RoutingConfig: rc, RevisionId: aws.String(t.revision)})
	if err != nil {
		return err
	}
	t.revision = aws.ToString(out.RevisionId)
	tflog.Info(ctx, "canary traffic moved", map[string]any{"tf_rollout.alias": t.name, "tf_rollout.primary": primary, "tf_rollout.extra": extra, "tf_rollout.weight": weight})
	return nil
}

func (t *aliasTraffic) SetCanary(ctx context.Context, w float64) error {
	return t.update(ctx, t.from, t.to, math.Round(w*1000)/100000)
}
func (t *aliasTraffic) RollBack(ctx context.Context) error { return t.update(ctx, t.from, "", 0) }
func (t *aliasTraffic) Promote(ctx context.Context) error  { return t.update(ctx, t.to, "", 0) }

// awsSources feed the engine from CloudWatch, the alarms and the function's tags.
type awsSources struct {
	cw                  *cloudwatch.Client
	c                   *lambda.Client
	function, alias, to string
	functionARN         string
	clock               func() time.Time
}

func (s *awsSources) Canary(ctx context.Context, since time.Time) (rollout.Sample, error) {
	now := s.clock()
	window := now.Sub(since) + time.Second
	secs := int32(math.Ceil(window.Seconds()))
	if secs >= 60 {
		secs = (secs + 59) / 60 * 60
	}
	dims := []cwtypes.Dimension{
		{Name: aws.String("FunctionName"), Value: aws.String(s.function)},
		{Name: aws.String("Resource"), Value: aws.String(s.function + ":" + s.alias)},
		{Name: aws.String("ExecutedVersion"), Value: aws.String(s.to)},
	}
	q := func(id, metric, stat string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(secs), Stat: aws.String(stat),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: dims}}}
	}
	out, err := s.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(since), EndTime: aws.Time(now.Add(time.Second)),
		MetricDataQueries: []cwtypes.MetricDataQuery{q("inv", "Invocations", "Sum"), q("err", "Errors", "Sum"), q("p99", "Duration", "p99")}}, healthReadOptions(ctx))
	if err != nil {
		return rollout.Sample{}, err
	}
	var sample rollout.Sample
	for _, r := range out.MetricDataResults {
		total, maxV := 0.0, -1.0
		for _, v := range r.Values {
			total += v
			if v > maxV {
				maxV = v
			}
		}
		switch aws.ToString(r.Id) {
		case "inv":
			sample.Invocations = total
		case "err":
			sample.Errors = total
		case "p99":
			if len(r.Values) > 0 {
				sample.P99MS = &maxV
			}
		}
	}
	return sample, nil
}

func (s *awsSources) AlarmStates(ctx context.Context, names []string) (map[string]string, error) {
	out, err := s.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names}, healthReadOptions(ctx))
	if err != nil {
		return nil, err
	}
	states := map[string]string{}
	for _, a := range out.MetricAlarms {
		states[aws.ToString(a.AlarmName)] = string(a.StateValue)
	}
	return states, nil
}

func (s *awsSources) Override(ctx context.Context) (string, error) {
	out, err := s.c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(s.functionARN)})
	if err != nil {
		return "", err
	}
	switch v := out.Tags[OverrideTag]; v {
	case "", "promote", "pause", "abort":
		return v, nil
	default:
		return "", nil
	}
}

// lambdaHooks invokes hook functions with a documented payload.
type lambdaHooks struct {
	c                         *lambda.Client
	function, alias, from, to string
}

// HookPayload is the event a hook function receives.
type HookPayload struct {
	Phase      string `json:"phase"` // pre_traffic or post_traffic
	Deployment struct {
		Function    string `json:"function"`
		Alias       string `json:"alias"`
		FromVersion string `json:"from_version"`
		ToVersion   string `json:"to_version"`
	} `json:"deployment"`
}

func (h *lambdaHooks) Run(ctx context.Context, hook, phase string) error {
	var p HookPayload
	p.Phase = phase
	p.Deployment.Function, p.Deployment.Alias, p.Deployment.FromVersion, p.Deployment.ToVersion = h.function, h.alias, h.from, h.to
	b, _ := json.Marshal(p)
	out, err := h.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(hook), Payload: b})
	if err != nil {
		return err
	}
	if out.FunctionError != nil {
		return fmt.Errorf("function error: %s", strings.TrimSpace(string(out.Payload)))
	}
	var res struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(out.Payload, &res) == nil && strings.EqualFold(res.Status, "Failed") {
		return errors.New(`the hook answered "status": "Failed"`)
	}
	return nil
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
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

// canaryPolicyAttributes is spec's shape with settable attributes, so that
// rollout_alias.canary_policy takes rollout_canary_policy.<name>.spec or
// the same object written inline.
func canaryPolicyAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"schedule": schema.StringAttribute{MarkdownDescription: "The schedule in words (informational).", Optional: true},
		"steps": schema.ListNestedAttribute{
			MarkdownDescription: "Every step: `weight_percent` of the traffic to the new version for `hold`.", Optional: true,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"weight_percent": schema.Float64Attribute{MarkdownDescription: "Share of the traffic for the new version, in percent.", Required: true},
				"hold":           schema.StringAttribute{MarkdownDescription: "How long the step lasts, a Go duration.", Required: true},
			}},
		},
		"interval":             schema.StringAttribute{MarkdownDescription: "Gate evaluation interval, a Go duration.", Optional: true},
		"max_error_rate":       schema.Float64Attribute{MarkdownDescription: "Error-rate gate (0 to 1).", Optional: true},
		"max_p99_duration_ms":  schema.Float64Attribute{MarkdownDescription: "p99 gate in milliseconds.", Optional: true},
		"min_invocations":      schema.Int64Attribute{MarkdownDescription: "Invocations needed per step.", Optional: true},
		"on_insufficient_data": schema.StringAttribute{MarkdownDescription: "`hold`, `proceed` or `rollback`.", Optional: true},
		"alarms":               schema.ListAttribute{MarkdownDescription: "Alarm gates.", Optional: true, ElementType: types.StringType},
		"preexisting_alarms":   schema.StringAttribute{MarkdownDescription: "`fail` or `ignore`.", Optional: true},
		"pre_traffic_hook":     schema.StringAttribute{MarkdownDescription: "Pre-traffic hook function.", Optional: true},
		"post_traffic_hook":    schema.StringAttribute{MarkdownDescription: "Post-traffic hook function.", Optional: true},
		"hook_timeout":         schema.StringAttribute{MarkdownDescription: "Hook timeout, a Go duration.", Optional: true},
		"rollback_window":      schema.Int64Attribute{MarkdownDescription: "Promotions that count as known-good.", Optional: true},
		"wait":                 schema.BoolAttribute{MarkdownDescription: "Whether the apply runs the whole rollout.", Optional: true},
		"deadline":             schema.StringAttribute{MarkdownDescription: "The longest a rollout may run from its first shift, a Go duration; see `rollout_canary_policy.deadline`.", Optional: true},
	}
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
