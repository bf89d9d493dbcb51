package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// The data interlock of rollout_alias_group: each member may carry
// rollout_alias's event_source_interlock (interlockAttribute). Before a
// group move at a moment, the mappings of every changed member that
// pauses then are paused together (health.GroupInterlock), the group's
// traffic moves once all are Disabled, then they are resumed. The plan
// lists the pauses (event_source_pauses, one line per member and moment);
// mappings an interrupted apply left paused are recorded as
// "<member>/<uuid>" in paused_event_sources and resumed first by the next
// apply.

var interlockAttrType = interlockAttribute().GetType()

// interlockAttrTypes are the attributes of event_source_interlock.
var interlockAttrTypes = interlockAttrType.(types.ObjectType).AttrTypes //nolint:forcetypeassert // a SingleNestedAttribute's type is always an object

func groupInterlockComputedAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"event_source_pauses": schema.ListAttribute{
			MarkdownDescription: "The pauses of the members' event source mappings the planned (or last) release makes, one line per member and " +
				"moment, for example `\"worker: rollback: pause the event source mappings first, if the canary rolls back, before all traffic " +
				"returns to version 7, resume after\"`. Empty or null when it makes none.",
			Computed:    true,
			ElementType: types.StringType,
		},
		"paused_event_sources": schema.ListAttribute{
			MarkdownDescription: "Event source mappings an interrupted apply paused and could not resume, as `<member>/<uuid>`, including those " +
				"of an apply killed outright (recorded in the member function's `rollout:paused:<alias>` tag before any mapping is disabled, and " +
				"read back at refresh), or that a rollback kept paused because a member's write failed. The next plan shows them going to `[]`, and its " +
				"apply resumes them before anything else, or, after a failed rollback, once it has moved every member back.",
			Computed:    true,
			ElementType: types.StringType,
		},
	}
}

// withInterlock sets each move's interlock (nil without one) from its
// planned member and the ARN its alias has.
func withInterlock(ctx context.Context, c *lambda.Client, clock rollout.Clock, moves []groupMove, members, prior map[string]groupMemberModelV0) {
	for i, mv := range moves {
		moves[i].ilc = interlockFrom(ctx, members[mv.key].EventSourceInterlock)
		moves[i].lock = moves[i].ilc.lock(c, prior[mv.key].ARN.ValueString(), clock)
	}
}

// groupInterlock is the interlock of moves; nil when no member has one.
func groupInterlock(moves []groupMove) *health.GroupInterlock {
	var ms []health.MemberLock
	for _, mv := range moves {
		if mv.lock != nil {
			ms = append(ms, health.MemberLock{Member: mv.key, Lock: mv.lock, On: mv.ilc.On})
		}
	}
	if len(ms) == 0 {
		return nil
	}
	return &health.GroupInterlock{Members: ms}
}

// interlocked wraps the group's traffic with its interlock. moment, when
// set, is the moment a move without a canary is (its Promote pauses as
// that moment).
func interlocked(gl *health.GroupInterlock, moment string, diags *diag.Diagnostics) func(rollout.Traffic) rollout.Traffic {
	if gl == nil {
		return nil
	}
	warn := func(msg string) { diags.AddWarning("Event Source Interlock", msg) }
	return func(inner rollout.Traffic) rollout.Traffic {
		if moment == "" {
			return &health.InterlockedTraffic{Traffic: inner, Group: gl, Warn: warn}
		}
		it := &health.InterlockedTraffic{Traffic: directMove(inner.Promote), Group: gl, Started: true, Warn: warn}
		return atMoment{Traffic: inner, it: it, moment: moment}
	}
}

// atMoment is a move without a canary (only Promote) that pauses as
// moment: a group returning to versions it promoted before is a rollback.
type atMoment struct {
	rollout.Traffic
	it     *health.InterlockedTraffic
	moment string
}

func (m atMoment) Promote(ctx context.Context) error {
	if m.moment == health.MomentRollback {
		return m.it.RollBack(ctx)
	}
	return m.it.Promote(ctx)
}

// stepwiseInterlocked makes one transition of a plan-driven group (move)
// inside the members' interlock, as the moment the transition is (""
// for an advance: no pause).
func stepwiseInterlocked(ctx context.Context, gl *health.GroupInterlock, moment string, diags *diag.Diagnostics, move func(context.Context) error) error {
	if gl == nil || moment == "" {
		return move(ctx)
	}
	it := &health.InterlockedTraffic{Traffic: directMove(move), Group: gl, Started: moment != health.MomentStart,
		Warn: func(msg string) { diags.AddWarning("Event Source Interlock", msg) }}
	switch moment {
	case health.MomentRollback:
		return it.RollBack(ctx)
	case health.MomentPromotion:
		return it.Promote(ctx)
	}
	return it.SetCanary(ctx, 0)
}

// transitionMoment is the moment a plan-driven group's transition is.
func transitionMoment(a rollout.Action) string {
	switch a {
	case rollout.Promote:
		return health.MomentPromotion
	case rollout.RollBack, rollout.Abort:
		return health.MomentRollback
	}
	return ""
}

// groupDirectMoment is the moment a group move without a canary is: a
// rollback when every changed member returns to a version it promoted
// before (as directMoment for one alias), else a promotion.
func groupDirectMoment(prior map[string]groupMemberModelV0, moves []groupMove) string {
	for _, mv := range moves {
		if !inWindow(prior[mv.key].Promotions, mv.to, 10) {
			return health.MomentPromotion
		}
	}
	return health.MomentRollback
}

// planGroupPauses is event_source_pauses for a release of moves under
// policy (nil: moved at once); only, when set, keeps the lines of that
// moment (a plan-driven group's one transition).
func planGroupPauses(ctx context.Context, p *rollout.Policy, members, prior map[string]groupMemberModelV0, moves []groupMove, only string) []string {
	canary := p != nil && !allInWindow(prior, moves, p.RollbackWindow)
	direct := groupDirectMoment(prior, moves)
	var out []string
	for _, mv := range moves {
		c := interlockFrom(ctx, members[mv.key].EventSourceInterlock)
		if c == nil {
			continue
		}
		who := mv.key
		if len(c.UUIDs) > 0 {
			who += " (" + strings.Join(c.UUIDs, ", ") + ")"
		}
		add := func(moment, what string) {
			if c.pauses(moment) && (only == "" || only == moment) {
				out = append(out, fmt.Sprintf("%s: %s: pause the event source mappings %s, resume after", who, moment, what))
			}
		}
		switch {
		case canary:
			if len(p.Steps) > 0 {
				add(health.MomentStart, fmt.Sprintf("before the first %g%% of the group's traffic moves to the new versions", p.Steps[0].WeightPercent))
			}
			add(health.MomentPromotion, "before all of the group's traffic moves to the new versions")
			if only == "" {
				add(health.MomentRollback, fmt.Sprintf("first, if the canary rolls back, before any member's traffic goes back (this member's to version %s)", mv.from))
			} else {
				add(health.MomentRollback, fmt.Sprintf("first, before any member's traffic goes back (this member's to version %s)", mv.from))
			}
		case direct == health.MomentRollback:
			add(health.MomentRollback, fmt.Sprintf("before all traffic returns to version %s, which this member promoted before", mv.to))
		default:
			// The new version is named only through its role: its number
			// may be known only during apply, and the plan must not change then.
			add(health.MomentPromotion, "before all traffic moves to the new function_version")
		}
	}
	return out
}

// stepwisePauses is event_source_pauses for a plan-driven group: the
// pauses of the one transition this plan makes (cur: the state's release;
// next: the planned deployment).
func stepwisePauses(ctx context.Context, p *rollout.Policy, plan *aliasGroupModelV0, cur groupView, members, prior map[string]groupMemberModelV0, moves []groupMove) ([]string, bool) {
	if plan.Deployment.IsUnknown() {
		if len(moves) == 0 {
			return nil, false
		}
		// Known-good or without steps the apply moves at once; otherwise it
		// starts the release (versions published by this apply).
		if len(p.Steps) == 0 || allInWindow(prior, moves, p.RollbackWindow) {
			return planGroupPauses(ctx, nil, members, prior, moves, ""), true
		}
		return planGroupPauses(ctx, p, members, prior, moves, health.MomentStart), true
	}
	next, ok := parseGroupDeployment(plan.Deployment)
	if !ok || next.value().Equal(cur.value()) {
		return nil, false
	}
	var in []groupMove
	for _, k := range sortedKeys(next.Moves) {
		in = append(in, groupMove{key: k, from: next.Moves[k].from, to: next.Moves[k].to})
	}
	switch {
	case next.Status == rollout.StatusInProgress && next.StartedAt.IsUnknown(): // startView: a new release
		return planGroupPauses(ctx, p, members, prior, in, health.MomentStart), true
	case next.Status == rollout.StatusPromoted:
		return planGroupPauses(ctx, p, members, prior, in, health.MomentPromotion), true
	case next.Status == rollout.StatusRolledBack || next.Status == rollout.StatusAborted:
		return planGroupPauses(ctx, p, members, prior, in, health.MomentRollback), true
	}
	return []string{}, true // an advance: no pause
}

// modifyPlanGroupInterlock plans event_source_pauses and
// paused_event_sources; moves are the members whose version changes.
func modifyPlanGroupInterlock(ctx context.Context, plan *aliasGroupModelV0, state *aliasGroupModelV0, members, prior map[string]groupMemberModelV0,
	moves []groupMove, diags *diag.Diagnostics) {
	p, _ := policyFromSpec(ctx, plan.CanaryPolicy)
	pauses, moving := planGroupPauses(ctx, p, members, prior, moves, ""), len(moves) > 0
	var cur groupView
	if state != nil {
		cur, _ = parseGroupDeployment(state.Deployment)
	}
	if p != nil && (!p.Wait || cur.rollbackPending()) {
		// Plan-driven, or the retry of a rollback whose writes failed: the
		// planned deployment says which transition the apply makes.
		pauses, moving = stepwisePauses(ctx, p, plan, cur, members, prior, moves)
	}
	switch {
	case moving:
		plan.EventSourcePauses = stringsValue(pauses)
	case state != nil && !state.EventSourcePauses.IsUnknown():
		plan.EventSourcePauses = state.EventSourcePauses
	default:
		plan.EventSourcePauses = types.ListNull(types.StringType)
	}
	plan.PausedEventSources = types.ListNull(types.StringType)
	var paused []string
	if state != nil && !state.PausedEventSources.IsUnknown() {
		plan.PausedEventSources = state.PausedEventSources
		paused = stringList(ctx, state.PausedEventSources)
	}
	var now, after []string
	for _, e := range paused {
		if k, _, ok := health.SplitPaused(e); ok && state != nil && deferredToRollback(ctx, plan.CanaryPolicy, *state, members, prior, k) {
			after = append(after, e)
		} else {
			now = append(now, e)
		}
	}
	if len(paused) > 0 {
		plan.PausedEventSources = stringsValue(nil)
	}
	if len(now) > 0 {
		diags.AddAttributeWarning(path.Root("paused_event_sources"), "Resuming Paused Event Sources",
			fmt.Sprintf("An earlier apply was interrupted while it had paused the event source mappings %s and could not resume them. "+
				"This apply resumes them (Enabled = true) before anything else.", strings.Join(now, ", ")))
	}
	if len(after) > 0 {
		diags.AddAttributeWarning(path.Root("paused_event_sources"), "Resuming Paused Event Sources After The Rollback",
			fmt.Sprintf("An earlier rollback could not move every member's traffic back and kept the event source mappings %s paused, so that no batch reached a rejected version. "+
				"This apply moves the traffic back first and then resumes them (Enabled = true).", strings.Join(after, ", ")))
	}
	if len(pauses) > 0 {
		// An interrupt may leave some paused: the apply says which.
		plan.PausedEventSources = types.ListUnknown(types.StringType)
	}
}

// resumeGroupLeftPaused enables the mappings an interrupted apply left
// paused (state.paused_event_sources); false when it could not. Those of
// members that wait for a rollback whose writes failed (deferredToRollback)
// are not resumed here: it returns them, by member, for the retried
// rollback to adopt and resume once the traffic has moved back.
func (r *aliasGroupResource) resumeGroupLeftPaused(ctx context.Context, c *lambda.Client, policy types.Object, members, prior map[string]groupMemberModelV0, state aliasGroupModelV0, diags *diag.Diagnostics) (map[string][]string, bool) {
	paused := stringList(ctx, state.PausedEventSources)
	if len(paused) == 0 {
		return nil, true
	}
	deferred := map[string][]string{}
	byMember := map[string][]string{}
	for _, e := range paused {
		k, u, ok := health.SplitPaused(e)
		switch {
		case !ok:
			continue
		case deferredToRollback(ctx, policy, state, members, prior, k):
			deferred[k] = append(deferred[k], u)
		default:
			byMember[k] = append(byMember[k], u)
		}
	}
	if len(byMember) == 0 {
		return deferred, true
	}
	var ms []health.MemberLock
	for _, k := range sortedKeys(byMember) {
		cfg := interlockFrom(ctx, members[k].EventSourceInterlock)
		if cfg == nil {
			cfg = &interlockConfig{Drain: defaultDrainTimeout}
		}
		lock := cfg.lock(c, prior[k].ARN.ValueString(), r.data.Clock())
		lock.Adopt(byMember[k])
		ms = append(ms, health.MemberLock{Member: k, Lock: lock})
	}
	gl := &health.GroupInterlock{Members: ms}
	if err := gl.Resume(ctx); err != nil {
		diags.AddAttributeError(path.Root("paused_event_sources"), "Event Sources Not Resumed",
			fmt.Sprintf("Resuming the event source mappings %s, which an interrupted apply left paused, failed: %v. Nothing else was changed.\n\n"+
				"Apply again, or enable them by hand: aws lambda update-event-source-mapping --uuid <uuid> --enabled", strings.Join(paused, ", "), err))
		return nil, false
	}
	return deferred, true
}

// deferredToRollback says whether member's mappings, left paused, wait
// for the group's rollback: a rollback whose writes failed kept them
// paused (a member's traffic still reached the rejected version), and
// this apply retries it through the member's interlock, which adopts
// them and resumes them once the traffic has moved back. It holds only
// when the apply goes to that retry (stepGroup): a canary policy, and
// the release continuing as the state records it.
func deferredToRollback(ctx context.Context, policy types.Object, state aliasGroupModelV0, members, prior map[string]groupMemberModelV0, member string) bool {
	cur, _ := parseGroupDeployment(state.Deployment)
	_, moving := cur.Moves[member]
	m, ok := members[member]
	return ok && moving && !policy.IsNull() && cur.rollbackPending() && cur.continues(members, prior) &&
		interlockFrom(ctx, m.EventSourceInterlock).pauses(health.MomentRollback)
}

// groupPausedFromRecord adds to paused_event_sources, as "<member>/<uuid>",
// the mappings each member's function records as held paused for its
// alias (recordedPaused: a killed apply's pause), for the members with
// the interlock.
func groupPausedFromRecord(ctx context.Context, c tagAPI, state *aliasGroupModelV0, members map[string]groupMemberModelV0, diags *diag.Diagnostics) {
	if state.PausedEventSources.IsUnknown() {
		return
	}
	var add []string
	for _, k := range sortedKeys(members) {
		if interlockFrom(ctx, members[k].EventSourceInterlock) == nil {
			continue
		}
		for _, u := range recordedPaused(ctx, c, members[k].ARN, diags) {
			add = append(add, k+"/"+u)
		}
	}
	if len(add) > 0 {
		state.PausedEventSources = stringsValue(union(stringList(ctx, state.PausedEventSources), add...))
	}
}
