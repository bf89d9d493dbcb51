package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// Plan-driven groups (canary_policy.wait = false), as rollout_alias's
// alias_stepwise.go for one alias. While a release is in progress each
// changed member's function_version holds its target and `deployment`
// says where the group's traffic is (deployment.members: from -> to, with
// weight_percent on every "to"). The refresh (Read) reads every member's
// alias and gates and records the group's next transition in
// deployment.next_*; the plan shows it (every member's weight change, or
// the rollback of every changed member); the apply makes exactly that
// transition with rollout.MoveGroup (one conditional write per member, in
// parallel) and returns. A rollback ends the apply with an error, the
// state on the previous versions, and the release remembered as the
// blocking mode remembers it.

// groupView is the group's deployment, decoded.
type groupView struct {
	Status, Member, Gate, Reason                 string
	StartedAt, FinishedAt, StepStarted           types.String
	Step                                         int64
	Weight                                       float64
	Value, Threshold                             *float64
	Moves                                        map[string]fromTo
	Gates                                        []attr.Value
	NextAction, NextMember, NextGate, NextReason string
	NextValue, NextThreshold                     *float64
	UnreadableSince                              string
}

// fromTo is one member's move in a release.
type fromTo struct{ from, to string }

func parseGroupDeployment(o types.Object) (groupView, bool) {
	if o.IsNull() || o.IsUnknown() {
		return groupView{}, false
	}
	a := o.Attributes()
	str := func(k string) string {
		v, _ := a[k].(types.String)
		return v.ValueString()
	}
	tstr := func(k string) types.String {
		v, ok := a[k].(types.String)
		if !ok {
			return types.StringNull()
		}
		return v
	}
	v := groupView{Status: str("status"), Member: str("member"), Gate: str("gate"), Reason: str("reason"),
		StartedAt: tstr("started_at"), FinishedAt: tstr("finished_at"), StepStarted: tstr("step_started_at"),
		NextAction: str("next_action"), NextMember: str("next_member"), NextGate: str("next_gate"), NextReason: str("next_reason"),
		UnreadableSince: str("health_unreadable_since"), Moves: map[string]fromTo{}}
	if n, ok := a["step"].(types.Int64); ok {
		v.Step = n.ValueInt64()
	}
	if w, ok := a["weight_percent"].(types.Float64); ok {
		v.Weight = w.ValueFloat64()
	}
	v.Value, v.Threshold = floatPtr(a["value"]), floatPtr(a["threshold"])
	v.NextValue, v.NextThreshold = floatPtr(a["next_value"]), floatPtr(a["next_threshold"])
	if l, ok := a["gates"].(types.List); ok && !l.IsNull() && !l.IsUnknown() {
		v.Gates = l.Elements()
	}
	if m, ok := a["members"].(types.Map); ok && !m.IsNull() && !m.IsUnknown() {
		for k, e := range m.Elements() {
			if o, ok := e.(types.Object); ok {
				ma := o.Attributes()
				f, _ := ma["from_version"].(types.String)
				t, _ := ma["to_version"].(types.String)
				v.Moves[k] = fromTo{f.ValueString(), t.ValueString()}
			}
		}
	}
	return v, true
}

func (v groupView) value() types.Object {
	moves := map[string]attr.Value{}
	for k, mv := range v.Moves {
		moves[k] = types.ObjectValueMust(groupMoveAttrTypes, map[string]attr.Value{"from_version": types.StringValue(mv.from), "to_version": types.StringValue(mv.to)})
	}
	gates := v.Gates
	if gates == nil {
		gates = []attr.Value{}
	}
	return types.ObjectValueMust(groupDeploymentAttrTypes, map[string]attr.Value{
		"status": types.StringValue(v.Status), "step": types.Int64Value(v.Step), "weight_percent": types.Float64Value(v.Weight),
		"member": nullIfEmpty(v.Member), "gate": nullIfEmpty(v.Gate), "value": types.Float64PointerValue(v.Value),
		"threshold": types.Float64PointerValue(v.Threshold), "reason": types.StringValue(v.Reason),
		"started_at": v.StartedAt, "finished_at": v.FinishedAt, "step_started_at": v.StepStarted,
		"members":     types.MapValueMust(types.ObjectType{AttrTypes: groupMoveAttrTypes}, moves),
		"gates":       types.ListValueMust(types.ObjectType{AttrTypes: groupGateAttrTypes}, gates),
		"next_action": nullIfEmpty(v.NextAction), "next_member": nullIfEmpty(v.NextMember), "next_gate": nullIfEmpty(v.NextGate),
		"next_reason": nullIfEmpty(v.NextReason), "next_value": types.Float64PointerValue(v.NextValue),
		"next_threshold": types.Float64PointerValue(v.NextThreshold), "health_unreadable_since": nullIfEmpty(v.UnreadableSince),
	})
}

// inProgress says whether the view is a plan-driven release in progress
// (a blocking release whose write failed may also end "in_progress", but
// it records no step_started_at, and its members as AWS reports them).
func (v groupView) inProgress() bool {
	return v.Status == rollout.StatusInProgress && len(v.Moves) > 0 && !v.StepStarted.IsNull() && v.StepStarted.ValueString() != ""
}

// progress is the engine's view of the release: step, when it and the
// release started (zero when unknown: no deadline).
func (v groupView) progress() rollout.Progress {
	parse := func(s types.String) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s.ValueString())
		if err != nil {
			return time.Time{}
		}
		return t
	}
	return rollout.Progress{Step: int(v.Step - 1), StepStarted: parse(v.StepStarted), Started: parse(v.StartedAt)}
}

// rollbackPending says whether the view records a rollback (or an abort,
// which moves the traffic back too) whose writes failed: it is its last
// gate record and its next action (a release in progress records only its
// advances otherwise).
func (v groupView) rollbackPending() bool {
	back := func(a string) bool { return a == string(rollout.RollBack) || a == string(rollout.Abort) }
	if !v.inProgress() || !back(v.NextAction) || len(v.Gates) == 0 {
		return false
	}
	last, ok := v.Gates[len(v.Gates)-1].(types.Object)
	if !ok {
		return false
	}
	a, _ := last.Attributes()["action"].(types.String)
	return back(a.ValueString())
}

// decision is the transition the refresh recorded.
func (v groupView) decision() rollout.Decision {
	d := rollout.Decision{Action: rollout.Action(v.NextAction), Step: int(v.Step - 1), Weight: v.Weight, Member: v.NextMember, Gate: v.NextGate, Reason: v.NextReason}
	if v.NextValue != nil && v.NextThreshold != nil {
		d.Value, d.Threshold = *v.NextValue, *v.NextThreshold
	}
	return d
}

// withDecision records d as the next transition.
func (v groupView) withDecision(d rollout.Decision) groupView {
	v.UnreadableSince = ""
	v.NextAction, v.NextMember, v.NextGate, v.NextReason = string(d.Action), d.Member, d.Gate, d.Reason
	v.NextValue, v.NextThreshold = nil, nil
	if hasMeasure(d.Gate) {
		val, th := d.Value, d.Threshold
		v.NextValue, v.NextThreshold = &val, &th
	}
	if d.Action == rollout.Hold || d.Action == rollout.Pause {
		// Holding changes nothing, and records nothing that would change
		// from one refresh to the next.
		v.NextAction, v.NextMember, v.NextGate, v.NextReason = string(rollout.Hold), "", "", ""
		v.NextValue, v.NextThreshold = nil, nil
	}
	return v
}

// startView is the deployment of a release that starts: step 1 on every
// changed member. The times are unknown until the apply.
func startView(p rollout.Policy, moves []groupMove) groupView {
	v := groupView{Status: rollout.StatusInProgress, Step: 1, Weight: p.Steps[0].WeightPercent, Reason: "rollout started: " + rollout.Describe(p.Steps),
		StartedAt: types.StringUnknown(), StepStarted: types.StringUnknown(), FinishedAt: types.StringNull(), Moves: map[string]fromTo{}, Gates: []attr.Value{}}
	for _, mv := range moves {
		v.Moves[mv.key] = fromTo{mv.from, mv.to}
	}
	return v
}

// next is the deployment after the transition the refresh recorded, and
// that transition; false when it moves nothing (hold, pause).
func (v groupView) next(p rollout.Policy) (groupView, rollout.Decision, bool) {
	d := v.decision()
	n := v
	n.Gates = append(append([]attr.Value(nil), v.Gates...), types.ObjectValueMust(groupGateAttrTypes, map[string]attr.Value{
		"step": types.Int64Value(v.Step), "weight_percent": types.Float64Value(v.Weight), "action": types.StringValue(string(d.Action)),
		"member": nullIfEmpty(d.Member), "reason": types.StringValue(d.Reason)}))
	n.Reason, n.NextAction, n.NextMember, n.NextGate, n.NextReason = d.Reason, "", "", "", ""
	n.NextValue, n.NextThreshold, n.UnreadableSince = nil, nil, ""
	switch d.Action {
	case rollout.Advance:
		if int(v.Step) >= len(p.Steps) {
			return v, d, false
		}
		n.Step, n.Weight, n.StepStarted = v.Step+1, p.Steps[v.Step].WeightPercent, types.StringUnknown()
	case rollout.Promote:
		n.Status, n.Weight, n.StepStarted, n.FinishedAt = rollout.StatusPromoted, 100, types.StringNull(), types.StringUnknown()
	case rollout.RollBack, rollout.Abort:
		n.Status = rollout.StatusRolledBack
		if d.Action == rollout.Abort {
			n.Status = rollout.StatusAborted
		}
		n.StepStarted, n.FinishedAt = types.StringNull(), types.StringUnknown()
		n.Member, n.Gate = d.Member, d.Gate
		if hasMeasure(d.Gate) {
			val, th := d.Value, d.Threshold
			n.Value, n.Threshold = &val, &th
		}
	default:
		return v, d, false
	}
	return n, d, true
}

// continues says whether the plan's members are the release in progress
// (every member of it still targets its "to", and nothing else moves).
func (v groupView) continues(members, prior map[string]groupMemberModelV0) bool {
	if !v.inProgress() {
		return false
	}
	for k, mv := range v.Moves {
		m, ok := members[k]
		p, had := prior[k]
		if !ok || !had || !m.sameAlias(p) || m.FunctionVersion.ValueString() != mv.to || p.FunctionVersion.ValueString() != mv.to {
			return false
		}
	}
	for k, m := range members {
		if _, in := v.Moves[k]; in {
			continue
		}
		if p, had := prior[k]; had && p.sameAlias(m) && (!m.FunctionVersion.Equal(p.FunctionVersion) || !p.Routing.IsNull()) {
			return false
		}
	}
	return true
}

// stepwiseMoves are the moves a new plan-driven release makes: each
// member from the version most of its traffic is on (for a member of a
// release in progress, that release's "from") to its configured version.
func stepwiseMoves(members, prior map[string]groupMemberModelV0, cur groupView, keys []string) []groupMove {
	var out []groupMove
	for _, k := range keys {
		m, p := members[k], prior[k]
		from := p.FunctionVersion.ValueString()
		if mv, ok := cur.Moves[k]; ok && cur.inProgress() && from == mv.to {
			from = mv.from
		}
		out = append(out, groupMove{key: k, function: m.FunctionName.ValueString(), alias: m.Alias.ValueString(), from: from,
			to: m.FunctionVersion.ValueString(), revision: p.RevisionID.ValueString(), retry: m.RetryRolledBack.ValueString() != ""})
	}
	return out
}

// planStepwise plans a plan-driven group's next transition: the start of
// a release (step 1 on every changed member), or the transition the
// refresh recorded. It reports false when the plan is left as the
// blocking mode plans it (a known-good release, no steps, versions not
// known yet).
func (r *aliasGroupResource) planStepwise(p rollout.Policy, plan *aliasGroupModelV0, members, prior map[string]groupMemberModelV0, cur groupView) {
	if cur.continues(members, prior) {
		n, d, ok := cur.next(p)
		if !ok {
			return // hold: no change, the plan stays empty
		}
		plan.Deployment = n.value()
		for k := range cur.Moves {
			m := members[k]
			m.RevisionID = types.StringUnknown()
			if d.Action == rollout.Promote {
				m.Promotions = types.ListUnknown(types.ObjectType{AttrTypes: promotionAttrTypes})
			}
			members[k] = m
		}
		return
	}
	var keys []string
	for _, k := range sortedKeys(members) {
		m, pm := members[k], prior[k]
		if !pm.sameAlias(m) || m.FunctionVersion.IsUnknown() {
			if m.FunctionVersion.IsUnknown() {
				return // decided at apply time
			}
			continue
		}
		_, inRelease := cur.Moves[k]
		if !m.FunctionVersion.Equal(pm.FunctionVersion) || !pm.Routing.IsNull() || (inRelease && cur.inProgress()) {
			keys = append(keys, k) // as release() lists them
		}
	}
	moves := stepwiseMoves(members, prior, cur, keys)
	canaried := canariedMoves(moves)
	if len(canaried) == 0 || len(p.Steps) == 0 || allInWindow(prior, canaried, p.RollbackWindow) {
		return
	}
	plan.Deployment = startView(p, canaried).value()
	for _, mv := range moves {
		m := members[mv.key]
		m.RevisionID = types.StringUnknown() // every member of the start is written
		if mv.from != mv.to {
			m.Promotions = prior[mv.key].Promotions // a start promotes nothing
		}
		members[mv.key] = m
	}
}

func canariedMoves(moves []groupMove) []groupMove {
	var out []groupMove
	for _, mv := range moves {
		if mv.from != mv.to {
			out = append(out, mv)
		}
	}
	return out
}

// readInProgress reads, at refresh, the members of a plan-driven release
// in progress: a member whose alias is where the release put it keeps its
// target as function_version; one moved elsewhere is recorded as AWS
// reports it. Then the next transition: the rollback still pending, an
// abort (every member back) when the members are not at one step (an
// apply killed mid-write, or a change outside Terraform), or what the
// gates decide.
func (r *aliasGroupResource) readInProgress(ctx context.Context, c *lambda.Client, state *aliasGroupModelV0, cur groupView,
	members map[string]groupMemberModelV0, outs map[string]*lambda.GetAliasOutput, diags *diag.Diagnostics) {
	var uneven []string
	for _, k := range sortedKeys(cur.Moves) {
		mv := cur.Moves[k]
		m, ok := members[k]
		out := outs[k]
		if !ok || out == nil || m.FunctionVersion.ValueString() != mv.to {
			uneven = append(uneven, fmt.Sprintf("%s is no longer in the release", k))
			continue
		}
		w, in := liveShare(out, mv.from, mv.to)
		if !in {
			m.fill(out)
			members[k] = m
			uneven = append(uneven, fmt.Sprintf("%s serves %s", k, holding(m, nil)))
			continue
		}
		m.ARN, m.RevisionID, m.Routing = types.StringValue(aws.ToString(out.AliasArn)), types.StringValue(aws.ToString(out.RevisionId)), types.ObjectNull(routingAttrTypes)
		members[k] = m
		if math.Abs(w-cur.Weight) > 0.01 {
			uneven = append(uneven, fmt.Sprintf("%s has %g%% on version %s", k, w, mv.to))
		}
	}
	switch {
	case cur.rollbackPending():
	case len(uneven) > 0:
		// Aborted, as the blocking mode ends an interrupted release: not a
		// verdict on the release, so nothing is remembered.
		cur = cur.withDecision(rollout.Decision{Action: rollout.Abort, Step: int(cur.Step - 1), Weight: cur.Weight, Gate: "interrupted",
			Reason: fmt.Sprintf("the members are not where step %d (%g%%) put them, as an interrupted apply or a change outside Terraform leaves them (%s); every changed member goes back to its previous version",
				cur.Step, cur.Weight, strings.Join(uneven, "; "))})
	default:
		if p, err := policyFromSpec(ctx, state.CanaryPolicy); err == nil && p != nil {
			cur = r.decideAtRefresh(ctx, c, *p, state.Name.ValueString(), cur, members, diags)
		}
	}
	state.Deployment = cur.value()
}

// liveShare is the share (percent) of an alias's traffic on to, and
// whether the alias is within the release from -> to at all.
func liveShare(a *lambda.GetAliasOutput, from, to string) (float64, bool) {
	primary := aws.ToString(a.FunctionVersion)
	v, w, split := lambdaops.Routing(a.RoutingConfig)
	switch {
	case primary == from && !split:
		return 0, true
	case primary == from && v == to:
		return math.Round(w*100000) / 1000, true
	case primary == to && !split:
		return 100, true
	case primary == to && v == from:
		return math.Round((1-w)*100000) / 1000, true
	}
	return 0, false
}

// decideAtRefresh reads every changed member's gates once, at the
// provider's clock, and records the group's decision (EvaluateGroup).
func (r *aliasGroupResource) decideAtRefresh(ctx context.Context, c *lambda.Client, p rollout.Policy, group string, cur groupView, members map[string]groupMemberModelV0, diags *diag.Diagnostics) groupView {
	var moves []groupMove
	for _, k := range sortedKeys(cur.Moves) {
		mv, m := cur.Moves[k], members[k]
		moves = append(moves, groupMove{key: k, function: m.FunctionName.ValueString(), alias: m.Alias.ValueString(), from: mv.from, to: mv.to, revision: m.RevisionID.ValueString()})
	}
	// Each member's queue gates hold the promotion, as in the blocking mode.
	withInterlock(ctx, c, r.data.Clock(), moves, members, members)
	var found diag.Diagnostics
	engine, overrides, ok := r.canaryMembers(ctx, c, p, moves, &found, true)
	var unreadable error
	if !ok {
		unreadable = fmt.Errorf("%s", found[0].Detail())
	}
	cur = r.decideGroup(ctx, p, group, cur, engine, unreadable, diags)
	for _, ov := range overrides {
		addOverrideWarnings(ov, diags)
	}
	return cur
}

// decideGroup evaluates the members' gates at the provider's clock and
// records the group's decision; unreadable (or an error of a member's
// read) holds, then rolls back, as for one alias.
func (r *aliasGroupResource) decideGroup(ctx context.Context, p rollout.Policy, group string, cur groupView, engine []rollout.Member, unreadable error, diags *diag.Diagnostics) groupView {
	now := r.data.Clock().Now()
	var d rollout.Decision
	err := unreadable
	if err == nil {
		d, err = rollout.EvaluateGroup(ctx, p, engine, cur.progress(), now)
	}
	if err != nil {
		since := now.UTC().Truncate(time.Second)
		if t, perr := time.Parse(time.RFC3339, cur.UnreadableSince); perr == nil {
			since = t
		}
		d = rollout.HealthUnreadable(p, cur.progress(), since, now, err)
		var member *rollout.MemberError
		if errors.As(err, &member) {
			d.Member = member.Member
		}
		// Recorded even while it holds, as for one alias (unreadableAtRefresh).
		cur.NextAction, cur.NextMember, cur.NextGate, cur.NextReason = string(d.Action), d.Member, d.Gate, d.Reason
		cur.NextValue, cur.NextThreshold = nil, nil
		cur.UnreadableSince = since.Format(time.RFC3339)
		diags.AddWarning("Health Unreadable", fmt.Sprintf("The release of group %s (step %d, %g%% of each changed member's traffic on its new version) cannot read its health: %v.\n\n"+
			"The plan holds, then rolls every changed member back once the health stays unreadable (%s). Check that the provider can call CloudWatch GetMetricData and DescribeAlarms.",
			group, cur.Step, cur.Weight, err, d.Reason))
		return cur
	}
	return cur.withDecision(d)
}
