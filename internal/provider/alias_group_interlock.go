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
			MarkdownDescription: "Event source mappings an interrupted apply paused and could not resume, as `<member>/<uuid>`. The next plan " +
				"shows them going to `[]`, and its apply resumes them before anything else.",
			Computed:    true,
			ElementType: types.StringType,
		},
	}
}

// interlockNeedsBlocking refuses event_source_interlock on a member of a
// plan-driven group (wait = false), which does not pause yet: a plan that
// accepted it would move traffic without the pauses it asks for.
func interlockNeedsBlocking(ctx context.Context, p *rollout.Policy, members map[string]groupMemberModelV0, diags *diag.Diagnostics) {
	if p == nil || p.Wait {
		return
	}
	for _, k := range sortedKeys(members) {
		if interlockFrom(ctx, members[k].EventSourceInterlock) == nil {
			continue
		}
		diags.AddAttributeError(path.Root("members").AtMapKey(k).AtName("event_source_interlock"), "Interlock Needs A Blocking Group",
			fmt.Sprintf("Member %q has an event_source_interlock, but the group's canary_policy has wait = false (plan-driven), whose transitions "+
				"do not pause event sources yet. Nothing was changed.\n\nUse a policy with wait = true for a group whose members have an interlock, "+
				"or release the worker with rollout_alias (its plan-driven rollout pauses), for example:\n\n"+
				"  resource \"rollout_canary_policy\" \"group\" {\n    wait = true\n    ...\n  }", k))
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
// policy (nil: moved at once).
func planGroupPauses(ctx context.Context, p *rollout.Policy, members, prior map[string]groupMemberModelV0, moves []groupMove) []string {
	canary := p != nil && len(p.Steps) > 0 && !allInWindow(prior, moves, p.RollbackWindow)
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
			if c.pauses(moment) {
				out = append(out, fmt.Sprintf("%s: %s: pause the event source mappings %s, resume after", who, moment, what))
			}
		}
		switch {
		case canary:
			add(health.MomentStart, fmt.Sprintf("before the first %g%% of the group's traffic moves to the new versions", p.Steps[0].WeightPercent))
			add(health.MomentPromotion, "before all of the group's traffic moves to the new versions")
			add(health.MomentRollback, fmt.Sprintf("first, if the canary rolls back, before any member's traffic goes back (this member's to version %s)", mv.from))
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

// modifyPlanGroupInterlock plans event_source_pauses and
// paused_event_sources; moves are the members whose version changes.
func modifyPlanGroupInterlock(ctx context.Context, plan *aliasGroupModelV0, state *aliasGroupModelV0, members, prior map[string]groupMemberModelV0,
	moves []groupMove, diags *diag.Diagnostics) {
	p, _ := policyFromSpec(ctx, plan.CanaryPolicy)
	interlockNeedsBlocking(ctx, p, members, diags)
	pauses := planGroupPauses(ctx, p, members, prior, moves)
	switch {
	case len(moves) > 0:
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
	if len(paused) > 0 {
		plan.PausedEventSources = stringsValue(nil)
		diags.AddAttributeWarning(path.Root("paused_event_sources"), "Resuming Paused Event Sources",
			fmt.Sprintf("An earlier apply was interrupted while it had paused the event source mappings %s and could not resume them. "+
				"This apply resumes them (Enabled = true) before anything else.", strings.Join(paused, ", ")))
	}
	if len(pauses) > 0 {
		// An interrupt may leave some paused: the apply says which.
		plan.PausedEventSources = types.ListUnknown(types.StringType)
	}
}

// resumeGroupLeftPaused enables the mappings an interrupted apply left
// paused (state.paused_event_sources); false when it could not.
func (r *aliasGroupResource) resumeGroupLeftPaused(ctx context.Context, c *lambda.Client, members, prior map[string]groupMemberModelV0, state aliasGroupModelV0, diags *diag.Diagnostics) bool {
	paused := stringList(ctx, state.PausedEventSources)
	if len(paused) == 0 {
		return true
	}
	byMember := map[string][]string{}
	for _, e := range paused {
		k, u, ok := health.SplitPaused(e)
		if !ok {
			continue
		}
		byMember[k] = append(byMember[k], u)
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
		return false
	}
	return true
}
