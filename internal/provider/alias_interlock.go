package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
	"github.com/rollout-tf/terraform-provider-rollout/internal/validate"
)

// rollout_alias.event_source_interlock: the event source mappings that
// feed the alias are paused before the traffic moves at the moments the
// user chose, and resumed after (health.Interlock). The plan lists the
// pauses an apply will make (event_source_pauses); mappings an
// interrupted apply could not resume are recorded in
// paused_event_sources, and the next apply resumes them first.

const (
	defaultDrainTimeout = 2 * time.Minute
	maxDrainTimeout     = 15 * time.Minute
	interlockExample    = `event_source_interlock = { pause_on = ["start", "promotion", "rollback"], drain_timeout = "2m" }`
)

var allMoments = []string{health.MomentStart, health.MomentPromotion, health.MomentRollback}

func interlockAttribute() schema.SingleNestedAttribute {
	duration := func(attr, example string, maxD time.Duration) validator.String {
		return validate.String("Invalid Duration", "a duration", example, func(v string) error {
			d, err := time.ParseDuration(v)
			switch {
			case err != nil:
				return fmt.Errorf("it must be a duration such as \"2m\" or \"90s\" (%s)", attr)
			case d <= 0:
				return fmt.Errorf("it must be greater than 0 (%s)", attr)
			case maxD > 0 && d > maxD:
				return fmt.Errorf("it must be at most %s (%s): an interlock never waits without end", maxD, attr)
			}
			return nil
		})
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "The data interlock: the Lambda event source mappings that feed this alias (an SQS queue, say) are paused before the " +
			"traffic moves at the moments listed in `pause_on`, and resumed after. A pause sets the mappings to `Enabled = false` and waits until " +
			"each reports `Disabled` (its poller stopped and its in-flight batch finished), at most `drain_timeout`; then the traffic moves; then the " +
			"mappings are enabled again and the apply waits until they report `Enabled`. On a rollback the mappings are paused first, so no batch " +
			"reaches the rejected version after the decision. The plan lists the pauses in `event_source_pauses`. An interrupted apply resumes the " +
			"mappings on its way out; any it could not resume are recorded in `paused_event_sources` and the next apply resumes them first. " +
			"Mappings that were already disabled before a pause are left alone.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"pause_on": schema.ListAttribute{
				MarkdownDescription: "When to pause: `start` (the first shift of traffic to the new version), `promotion` (all traffic to the new version; " +
					"a direct switch of `function_version` counts as one) and `rollback` (all traffic back, including a direct switch to a version " +
					"this alias promoted before). Default: all three.",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.List{
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(validate.Strings(validate.Msg{Summary: "Invalid Pause Moment",
						Problem: `it must be "start", "promotion" or "rollback"`, Example: `pause_on = ["start", "rollback"]`}, stringvalidator.OneOf(allMoments...))),
				},
			},
			"mappings": schema.ListNestedAttribute{
				MarkdownDescription: "The event source mappings to pause, by UUID (usually `aws_lambda_event_source_mapping.<name>.uuid`). Default: every " +
					"mapping Lambda lists for the alias's ARN (`ListEventSourceMappings`), read at each pause.",
				Optional: true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"uuid": schema.StringAttribute{
						MarkdownDescription: "UUID of the event source mapping.",
						Required:            true,
						Validators: []validator.String{validate.String("Invalid Mapping UUID", "an event source mapping UUID",
							`mappings = [{ uuid = aws_lambda_event_source_mapping.orders.uuid }]`, func(v string) error {
								if strings.TrimSpace(v) == "" {
									return fmt.Errorf("it must not be empty")
								}
								return nil
							})},
					},
					"event_schema_version": schema.Int64Attribute{
						MarkdownDescription: "The event schema version the messages of this mapping carry. When set, the plan refuses to send traffic " +
							"(including a canary's rollback target) to a version whose recorded `compatible_data_schemas` excludes it.",
						Optional:   true,
						Validators: []validator.Int64{validate.Int64AtLeast("Invalid Event Schema Version", 0, "mappings = [{ uuid = \"…\", event_schema_version = 2 }]")},
					},
				}},
			},
			"drain_timeout": schema.StringAttribute{
				MarkdownDescription: "How long a pause waits for the mappings to report `Disabled` (and a resume for `Enabled`), at most 15m. Default `2m`. " +
					"A start or a promotion whose pause times out moves no traffic and fails (a canary rolls back); a rollback moves the traffic back anyway and warns.",
				Optional:   true,
				Validators: []validator.String{duration("drain_timeout", `drain_timeout = "2m"`, maxDrainTimeout)},
			},
			"max_queue_depth": schema.Int64Attribute{
				MarkdownDescription: "A gate of a canary's promotion: while a mapped SQS queue reports more visible messages than this " +
					"(`AWS/SQS` `ApproximateNumberOfMessagesVisible`, the latest datapoint of the last 5 minutes), the rollout holds at its last step; " +
					"from the policy's `deadline` on it rolls back.",
				Optional:   true,
				Validators: []validator.Int64{validate.Int64AtLeast("Invalid Queue Depth", 0, "max_queue_depth = 1000")},
			},
			"max_oldest_message_age": schema.StringAttribute{
				MarkdownDescription: "A gate of a canary's promotion, like `max_queue_depth`: while the oldest message of a mapped SQS queue is older than " +
					"this (`AWS/SQS` `ApproximateAgeOfOldestMessage`), the rollout holds at its last step. A duration such as `\"5m\"`.",
				Optional:   true,
				Validators: []validator.String{duration("max_oldest_message_age", `max_oldest_message_age = "5m"`, 0)},
			},
		},
	}
}

func interlockComputedAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"event_source_pauses": schema.ListAttribute{
			MarkdownDescription: "The pauses of the event source mappings the planned (or last) traffic move makes, one line per moment, for example " +
				"`\"rollback: pause the event source mappings before all traffic returns to version 7, resume after\"`. Empty when it makes none.",
			Computed:    true,
			ElementType: types.StringType,
		},
		"paused_event_sources": schema.ListAttribute{
			MarkdownDescription: "UUIDs of event source mappings an interrupted apply paused and could not resume, including those of an apply " +
				"killed outright (the pause is recorded in the function's `rollout:paused:<alias>` tag before any mapping is disabled, and read " +
				"back at refresh), or that a rollback kept paused because its UpdateAlias failed (the traffic still reached the rejected version). " +
				"The next plan shows them going to `[]`, and its apply resumes them before anything else, or, after a failed rollback, once it has moved the traffic back.",
			Computed:    true,
			ElementType: types.StringType,
		},
	}
}

// interlockModelV0 is event_source_interlock, decoded.
type interlockModelV0 struct {
	PauseOn             types.List   `tfsdk:"pause_on"`
	Mappings            types.List   `tfsdk:"mappings"`
	DrainTimeout        types.String `tfsdk:"drain_timeout"`
	MaxQueueDepth       types.Int64  `tfsdk:"max_queue_depth"`
	MaxOldestMessageAge types.String `tfsdk:"max_oldest_message_age"`
}

type interlockMappingModelV0 struct {
	UUID               types.String `tfsdk:"uuid"`
	EventSchemaVersion types.Int64  `tfsdk:"event_schema_version"`
}

// interlockConfig is event_source_interlock with its defaults.
type interlockConfig struct {
	On       []string
	UUIDs    []string
	Versions []eventVersion // mappings that declare an event schema version
	Drain    time.Duration
	MaxDepth *int64
	MaxAge   *time.Duration
}

type eventVersion struct {
	index   int
	uuid    string
	version int64
}

// interlock decodes event_source_interlock; nil when unset or unknown.
func (m aliasModelV0) interlock(ctx context.Context) *interlockConfig {
	return interlockFrom(ctx, m.EventSourceInterlock)
}

// interlockFrom decodes an event_source_interlock value (an alias's or a
// group member's); nil when unset or unknown.
func interlockFrom(ctx context.Context, o types.Object) *interlockConfig {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	var im interlockModelV0
	if o.As(ctx, &im, basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true}).HasError() {
		return nil
	}
	c := &interlockConfig{On: allMoments, Drain: defaultDrainTimeout}
	if !im.PauseOn.IsNull() && !im.PauseOn.IsUnknown() {
		c.On = stringList(ctx, im.PauseOn)
	}
	if !im.Mappings.IsNull() && !im.Mappings.IsUnknown() {
		var ms []interlockMappingModelV0
		im.Mappings.ElementsAs(ctx, &ms, false)
		for i, mm := range ms {
			if !mm.UUID.IsUnknown() {
				c.UUIDs = append(c.UUIDs, mm.UUID.ValueString())
			}
			if !mm.EventSchemaVersion.IsNull() && !mm.EventSchemaVersion.IsUnknown() {
				c.Versions = append(c.Versions, eventVersion{index: i, uuid: mm.UUID.ValueString(), version: mm.EventSchemaVersion.ValueInt64()})
			}
		}
	}
	if d, err := time.ParseDuration(im.DrainTimeout.ValueString()); err == nil && d > 0 {
		c.Drain = d
	}
	if !im.MaxQueueDepth.IsNull() && !im.MaxQueueDepth.IsUnknown() {
		v := im.MaxQueueDepth.ValueInt64()
		c.MaxDepth = &v
	}
	if d, err := time.ParseDuration(im.MaxOldestMessageAge.ValueString()); err == nil && d > 0 {
		c.MaxAge = &d
	}
	return c
}

func (c *interlockConfig) pauses(moment string) bool {
	return c != nil && slices.Contains(c.On, moment)
}

// lock is the interlock over the alias's mappings; nil without one.
func (c *interlockConfig) lock(api health.MappingAPI, aliasARN string, clock rollout.Clock) *health.Interlock {
	if c == nil {
		return nil
	}
	l := &health.Interlock{API: api, AliasARN: aliasARN, UUIDs: c.UUIDs, DrainTimeout: c.Drain, Clock: clock}
	if t, ok := api.(tagAPI); ok {
		l.Record = pauseRecorder(t, aliasARN)
	}
	return l
}

// tagAPI is the part of the Lambda API the pause record uses.
type tagAPI interface {
	ListTags(ctx context.Context, in *lambda.ListTagsInput, opts ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
	TagResource(ctx context.Context, in *lambda.TagResourceInput, opts ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *lambda.UntagResourceInput, opts ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error)
}

// pauseRecorder keeps the record of the mappings the interlock holds
// paused for the alias at aliasARN in its function's tags
// (lambdaops.PausedTags): written, within AWS's 50 tags, before a pause;
// removed once nothing is held. The next refresh of the alias reads it
// (pausedFromRecord), so mappings a killed apply left paused are resumed
// by the next apply.
func pauseRecorder(c tagAPI, aliasARN string) func(context.Context, []string) error {
	fnARN := lambdaops.UnqualifiedFunctionARN(aliasARN)
	_, alias, _ := lambdaops.ParseFunctionARN(aliasARN)
	return func(ctx context.Context, paused []string) error {
		out, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(fnARN)})
		if err != nil {
			return err
		}
		add := lambdaops.PausedTags(alias, paused)
		var stale []string
		for _, k := range lambdaops.PausedTagKeys(out.Tags, alias) {
			if _, kept := add[k]; !kept {
				stale = append(stale, k)
			}
		}
		if len(add) > 0 {
			drop, err := lambdaops.MakeRoom(out.Tags, add)
			if err != nil {
				return err
			}
			stale = append(stale, drop...)
		}
		if len(stale) > 0 {
			if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(fnARN), TagKeys: stale}); err != nil {
				return err
			}
		}
		if len(add) > 0 {
			if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN), Tags: add}); err != nil {
				return err
			}
		}
		tflog.Info(ctx, "recorded the event source mappings held paused", map[string]any{"tf_rollout.alias": alias, "tf_rollout.paused": paused})
		return nil
	}
}

// pausedFromRecord adds to paused_event_sources the mappings the function's
// tags record as held paused for the alias (a killed apply's pause, which
// it could not save in state), so that the plan shows them and the apply
// resumes them first. Only an alias with the interlock reads the tags.
func pausedFromRecord(ctx context.Context, c tagAPI, m *aliasModelV0, diags *diag.Diagnostics) {
	if m.interlock(ctx) == nil || m.PausedEventSources.IsUnknown() {
		return
	}
	if add := recordedPaused(ctx, c, m.ARN, diags); len(add) > 0 {
		m.PausedEventSources = stringsValue(union(stringList(ctx, m.PausedEventSources), add...))
	}
}

// recordedPaused reads the mappings the function's tags record as held
// paused for the alias at arn (lambdaops.PausedTags); a failure to read
// them only warns.
func recordedPaused(ctx context.Context, c tagAPI, arn types.String, diags *diag.Diagnostics) []string {
	if arn.IsNull() || arn.IsUnknown() {
		return nil
	}
	out, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(lambdaops.UnqualifiedFunctionARN(arn.ValueString()))})
	if err != nil {
		diags.AddWarning("Pause Record Not Read", apiErrorDetail("Reading the function's tags, which record the event source mappings an interrupted apply left paused, failed.",
			"Run the plan again; until then mappings a killed apply paused may stay paused.", err))
		return nil
	}
	_, alias, _ := lambdaops.ParseFunctionARN(arn.ValueString())
	return lambdaops.PausedFromTags(out.Tags, alias)
}

// union is list with the items it does not hold yet appended, in order.
func union(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// traffic wraps a canary's traffic with the interlock; started says the
// first shift already happened.
func (c *interlockConfig) traffic(inner rollout.Traffic, lock *health.Interlock, started bool, diags *diag.Diagnostics) rollout.Traffic {
	if c == nil || lock == nil {
		return inner
	}
	return &health.InterlockedTraffic{Traffic: inner, Lock: lock, On: c.On, Started: started, Warn: func(msg string) {
		diags.AddAttributeWarning(path.Root("event_source_interlock"), "Event Source Interlock", msg)
	}}
}

// gate adds the queue gates to a canary's sources.
func (c *interlockConfig) gate(src rollout.Sources, r *aliasResource, ctx context.Context, lock *health.Interlock, interval time.Duration) rollout.Sources {
	if c == nil || lock == nil || (c.MaxDepth == nil && c.MaxAge == nil) {
		return src
	}
	cw, err := r.data.client.CloudWatch(ctx)
	if err != nil {
		return src
	}
	return health.QueueGate{Sources: src, CloudWatch: cw, Queues: lock.MappedQueues, MaxDepth: c.MaxDepth, MaxOldestAge: c.MaxAge,
		Clock: r.data.Clock().Now, Budget: interval / 3}
}

// directMoment is the moment a direct switch of function_version is: a
// rollback when the alias promoted that version before, else a promotion.
func directMoment(state aliasModelV0, to string) string {
	if inWindow(state.Promotions, to, 10) {
		return health.MomentRollback
	}
	return health.MomentPromotion
}

// planPauses is event_source_pauses for a plan that moves traffic from
// state to plan; policy is the canary's (nil without one).
func planPauses(c *interlockConfig, plan, state aliasModelV0, policy *rollout.Policy) []string {
	if c == nil {
		return nil
	}
	// The new version is named only through its role: its number may be
	// known only during apply, and the plan must not change then.
	to := plan.FunctionVersion.ValueString()
	var out []string
	add := func(moment, what string) {
		if c.pauses(moment) {
			out = append(out, fmt.Sprintf("%s: pause the event source mappings %s, resume after", moment, what))
		}
	}
	// A version within the policy's rollback_window moves at once, as a
	// direct switch does.
	known := policy != nil && !plan.FunctionVersion.IsUnknown() && !plan.FunctionVersion.Equal(state.FunctionVersion) &&
		inWindow(state.Promotions, to, policy.RollbackWindow)
	if policy == nil || !plan.Routing.IsNull() || known {
		if plan.FunctionVersion.Equal(state.FunctionVersion) {
			if !plan.Routing.Equal(state.Routing) {
				add(health.MomentStart, "before the routing changes")
			}
			return out
		}
		if directMoment(state, to) == health.MomentRollback {
			add(health.MomentRollback, "before all traffic returns to the version this alias promoted before")
		} else {
			add(health.MomentPromotion, "before all traffic moves to the new function_version")
		}
		return out
	}
	if cur, _ := parseDeployment(state.Deployment); !policy.Wait || cur.rollbackPending() {
		// Plan-driven, or the retry of a rollback whose write failed: the
		// planned deployment says which transition the apply makes.
		if plan.Deployment.IsUnknown() && !plan.FunctionVersion.Equal(state.FunctionVersion) && len(policy.Steps) > 0 {
			// The new version is published by this apply: its rollout starts then.
			add(health.MomentStart, fmt.Sprintf("before %g%% of the traffic moves to the new version", policy.Steps[0].WeightPercent))
			return out
		}
		next, ok := parseDeployment(plan.Deployment)
		if !ok || plan.Deployment.Equal(state.Deployment) {
			return out
		}
		switch {
		case next.Status == rollout.StatusInProgress && (cur.Status != rollout.StatusInProgress || cur.To != next.To):
			add(health.MomentStart, fmt.Sprintf("before %g%% of the traffic moves to the new version", next.Weight))
		case next.Status == rollout.StatusPromoted:
			add(health.MomentPromotion, fmt.Sprintf("before all traffic moves to version %s", next.To))
		case next.Status == rollout.StatusRolledBack || next.Status == rollout.StatusAborted:
			add(health.MomentRollback, fmt.Sprintf("first, before all traffic returns to version %s", next.From))
		}
		return out
	}
	if len(policy.Steps) > 0 {
		add(health.MomentStart, fmt.Sprintf("before the first %g%% of the traffic moves to the new version", policy.Steps[0].WeightPercent))
	}
	add(health.MomentPromotion, "before all traffic moves to the new version")
	add(health.MomentRollback, fmt.Sprintf("first, if the canary rolls back, before all traffic returns to version %s", stableVersion(state)))
	return out
}

func stringsValue(v []string) types.List {
	elems := make([]attr.Value, 0, len(v))
	for _, s := range v {
		elems = append(elems, types.StringValue(s))
	}
	return types.ListValueMust(types.StringType, elems)
}

// modifyPlanInterlock plans event_source_pauses and paused_event_sources.
func modifyPlanInterlock(ctx context.Context, plan *aliasModelV0, state aliasModelV0, diags *diag.Diagnostics) {
	c := plan.interlock(ctx)
	moving := !plan.FunctionVersion.Equal(state.FunctionVersion) || !plan.Routing.Equal(state.Routing) || !plan.Deployment.Equal(state.Deployment)
	switch {
	case c == nil:
		plan.EventSourcePauses = types.ListNull(types.StringType)
	case moving:
		policy, _ := policyFromSpec(ctx, plan.CanaryPolicy)
		plan.EventSourcePauses = stringsValue(planPauses(c, *plan, state, policy))
	default:
		plan.EventSourcePauses = state.EventSourcePauses
	}
	if plan.EventSourcePauses.IsUnknown() {
		plan.EventSourcePauses = types.ListNull(types.StringType)
	}
	paused := stringList(ctx, state.PausedEventSources)
	plan.PausedEventSources = state.PausedEventSources
	if plan.PausedEventSources.IsUnknown() {
		plan.PausedEventSources = types.ListNull(types.StringType)
	}
	switch {
	case len(paused) > 0 && resumedAfterRollback(ctx, *plan, state):
		plan.PausedEventSources = stringsValue(nil)
		plan.RevisionID = types.StringUnknown()
		diags.AddAttributeWarning(path.Root("paused_event_sources"), "Resuming Paused Event Sources After The Rollback",
			fmt.Sprintf("An earlier rollback could not move the traffic back and kept the event source mappings %s paused, so that no batch reached the rejected version. "+
				"This apply moves the traffic back first and then resumes them (Enabled = true).", strings.Join(paused, ", ")))
	case len(paused) > 0:
		plan.PausedEventSources = stringsValue(nil)
		plan.RevisionID = types.StringUnknown()
		diags.AddAttributeWarning(path.Root("paused_event_sources"), "Resuming Paused Event Sources",
			fmt.Sprintf("An earlier apply was interrupted while it had paused the event source mappings %s and could not resume them. "+
				"This apply resumes them (Enabled = true) before anything else.", strings.Join(paused, ", ")))
	}
	if pauses := stringList(ctx, plan.EventSourcePauses); moving && len(pauses) > 0 {
		// An interrupt may leave some paused: the apply says which.
		plan.PausedEventSources = types.ListUnknown(types.StringType)
	}
}

// resumeLeftPaused enables the mappings an interrupted apply left paused
// (state.paused_event_sources); false when it could not.
func (r *aliasResource) resumeLeftPaused(ctx context.Context, c *lambda.Client, plan, state aliasModelV0, diags *diag.Diagnostics) bool {
	paused := stringList(ctx, state.PausedEventSources)
	if len(paused) == 0 || resumedAfterRollback(ctx, plan, state) {
		return true
	}
	cfg := plan.interlock(ctx)
	if cfg == nil {
		cfg = &interlockConfig{Drain: defaultDrainTimeout}
	}
	lock := cfg.lock(c, state.ARN.ValueString(), r.data.Clock())
	lock.Adopt(paused)
	if err := lock.Resume(ctx); err != nil {
		diags.AddAttributeError(path.Root("paused_event_sources"), "Event Sources Not Resumed",
			fmt.Sprintf("Resuming the event source mappings %s, which an interrupted apply left paused, failed: %v. Nothing else was changed.\n\n"+
				"Apply again, or enable them by hand: aws lambda update-event-source-mapping --uuid <uuid> --enabled", strings.Join(paused, ", "), err))
		return false
	}
	return true
}

// resumedAfterRollback says whether the mappings an earlier apply left
// paused wait for this apply's rollback: a rollback whose write failed
// kept them paused (the traffic still reached the rejected version), and
// this apply retries it through the interlock, which adopts them and
// resumes them only once the traffic has moved back.
// It holds only when the apply goes to that retry (applyStepwise's
// rollback): the canary policy kept, no routing written, the same target,
// and the planned deployment the rollback.
func resumedAfterRollback(ctx context.Context, plan, state aliasModelV0) bool {
	cur, ok := parseDeployment(state.Deployment)
	next, planned := parseDeployment(plan.Deployment)
	c := plan.interlock(ctx)
	return ok && cur.rollbackPending() && c.pauses(health.MomentRollback) && !plan.CanaryPolicy.IsNull() && plan.Routing.IsNull() &&
		plan.FunctionVersion.Equal(state.FunctionVersion) && planned && (next.Status == rollout.StatusRolledBack || next.Status == rollout.StatusAborted)
}

// recordPaused sets paused_event_sources after an apply: the mappings the
// interlock left paused, or the planned value when it left none.
func (m *aliasModelV0) recordPaused(lock *health.Interlock) {
	if lock == nil {
		return
	}
	if paused := lock.Paused(); len(paused) > 0 || m.PausedEventSources.IsUnknown() {
		m.PausedEventSources = stringsValue(paused)
	}
}

// around runs a direct move of the alias (one UpdateAlias) inside the
// interlock when moment is one the user chose.
func (c *interlockConfig) around(ctx context.Context, lock *health.Interlock, moment string, diags *diag.Diagnostics, move func(context.Context) error) error {
	if c == nil || lock == nil {
		return move(ctx)
	}
	t := c.traffic(directMove(move), lock, moment != health.MomentStart, diags)
	switch moment {
	case health.MomentRollback:
		return t.RollBack(ctx)
	case health.MomentPromotion:
		return t.Promote(ctx)
	}
	return t.SetCanary(ctx, 0)
}

// directMove is one UpdateAlias seen as every kind of traffic move.
type directMove func(context.Context) error

func (m directMove) SetCanary(ctx context.Context, _ float64) error { return m(ctx) }
func (m directMove) RollBack(ctx context.Context) error             { return m(ctx) }
func (m directMove) Promote(ctx context.Context) error              { return m(ctx) }
