package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// The apply of a plan-driven group's transition (alias_group_stepwise.go
// plans it): the start of a release, one step, the promotion or the
// rollback, each one rollout.MoveGroup; what a failed write leaves.

// moveStepwise applies a plan-driven group's transition: the one the
// refresh recorded for the release in progress, or the start of a new
// release. A known-good release, a schedule without steps, or members
// that only leave a split move at once, as in the blocking mode. It
// returns the members' data interlock (nil without one).
func (r *aliasGroupResource) moveStepwise(ctx context.Context, c *lambda.Client, group string, p rollout.Policy, deployment *types.Object,
	members, prior map[string]groupMemberModelV0, keys []string, cur groupView, deferred map[string][]string, result map[string]groupMemberModelV0, diags *diag.Diagnostics) *health.GroupInterlock {
	if cur.continues(members, prior) {
		return r.stepGroup(ctx, c, group, p, deployment, members, prior, cur, deferred, result, diags)
	}
	moves := stepwiseMoves(members, prior, cur, keys)
	canaried := canariedMoves(moves)
	if len(canaried) == 0 || len(p.Steps) == 0 || allInWindow(prior, canaried, p.RollbackWindow) {
		from := map[string]groupMemberModelV0{}
		for k, m := range prior {
			from[k] = m
		}
		for _, mv := range moves {
			m := from[mv.key]
			m.FunctionVersion = types.StringValue(mv.from)
			from[mv.key] = m
		}
		return r.move(ctx, c, group, &p, deployment, members, from, keys, result, diags)
	}
	return r.startGroup(ctx, c, group, p, deployment, members, prior, moves, canaried, result, diags)
}

// groupTraffic is the traffic and hooks of moves, each write conditional
// on the member's RevisionId as last read.
func (r *aliasGroupResource) groupTraffic(ctx context.Context, c *lambda.Client, p rollout.Policy, moves []groupMove, started time.Time) ([]rollout.Member, []*health.Traffic) {
	ms, trs := make([]rollout.Member, len(moves)), make([]*health.Traffic, len(moves))
	parallel(make([]string, len(moves)), func(i int, _ string) {
		mv := moves[i]
		trs[i] = &health.Traffic{Lambda: c, Function: mv.function, Name: mv.alias, From: mv.from, To: mv.to, Revision: mv.revision}
		if len(p.Steps) > 0 {
			r.warmMember(ctx, c, p, trs[i], started)
		}
		ms[i] = rollout.Member{Name: mv.key, Traffic: trs[i], Hooks: &health.Hooks{Lambda: c, Function: mv.function, Alias: mv.alias, From: mv.from, To: mv.to}}
	})
	return ms, trs
}

// startGroup starts a plan-driven release: members that only return to
// their version go there first, then the pre-traffic hook and the
// policy's alarms, then step 1 on every changed member at once.
func (r *aliasGroupResource) startGroup(ctx context.Context, c *lambda.Client, group string, p rollout.Policy, deployment *types.Object,
	members, prior map[string]groupMemberModelV0, moves, canaried []groupMove, result map[string]groupMemberModelV0, diags *diag.Diagnostics) *health.GroupInterlock {
	now := r.data.Clock().Now()
	withInterlock(ctx, c, r.data.Clock(), canaried, members, prior)
	gl := groupInterlock(canaried)
	var direct []groupMove
	for _, mv := range moves {
		if mv.from == mv.to {
			direct = append(direct, mv)
		}
	}
	if len(direct) > 0 {
		ms, trs := r.groupTraffic(ctx, c, rollout.Policy{}, direct, now)
		if err := rollout.MoveGroup(ctx, rollout.Policy{}, ms, rollout.Decision{Action: rollout.Promote}); err != nil {
			r.failedMove(ctx, c, p, group, deployment, members, prior, direct, nil, err, now, result, diags)
			return gl
		}
		for i, mv := range direct {
			result[mv.key] = movedTo(prior[mv.key], members[mv.key], mv.to, trs[i].Revision)
		}
	}
	for _, mv := range canaried {
		result[mv.key] = withConfig(prior[mv.key], members[mv.key])
	}
	engine, overrides, ok := r.canaryMembers(ctx, c, p, canaried, diags, false)
	if !ok {
		return gl
	}
	for _, ov := range overrides {
		addOverrideWarnings(ov, diags)
	}
	view := startView(p, canaried)
	view.StartedAt = types.StringValue(now.UTC().Format(time.RFC3339))
	notStarted := func(d rollout.Decision) {
		view.Step, view.Weight, view.StepStarted, view.FinishedAt = 0, 0, types.StringNull(), types.StringValue(now.UTC().Format(time.RFC3339))
		view.Status, view.Reason, view.Member, view.Gate = rollout.StatusRolledBack, d.Reason, d.Member, d.Gate
		if d.Action == rollout.Abort {
			view.Status = rollout.StatusAborted
		}
		view.Gates = []attr.Value{types.ObjectValueMust(groupGateAttrTypes, map[string]attr.Value{"step": types.Int64Value(0), "weight_percent": types.Float64Value(0),
			"action": types.StringValue(string(d.Action)), "member": nullIfEmpty(d.Member), "reason": types.StringValue(d.Reason)})}
		*deployment = view.value()
		r.observeGroup(ctx, c, p, group, canaried, prior, groupEvent(view, d, now), diags, endKinds(view.Status, d.Gate)...)
		r.endGroup(ctx, c, group, p, canaried, view.Status, d, now, diags)
	}
	if p.PreTrafficHook != "" {
		if err := rollout.RunHook(ctx, rollout.GroupHooks(engine), p, p.PreTrafficHook, "pre_traffic"); err != nil {
			notStarted(rollout.Decision{Action: rollout.RollBack, Step: -1, Gate: "hook:pre_traffic", Reason: fmt.Sprintf("pre-traffic hook %s failed: %v; no traffic was moved", p.PreTrafficHook, err)})
			return gl
		}
	}
	if _, stop, err := rollout.StartGroup(ctx, p, engine, now); err != nil || stop != nil {
		d := rollout.Decision{Action: rollout.RollBack, Step: -1, Gate: "alarms", Reason: fmt.Sprintf("the alarms could not be read (%v); no traffic was moved", err)}
		if stop != nil {
			d = *stop
		}
		notStarted(d)
		return gl
	}
	trs := make([]*health.Traffic, len(engine))
	for i, m := range engine {
		trs[i], _ = m.Traffic.(*health.Traffic)
	}
	if err := stepwiseInterlocked(ctx, gl, health.MomentStart, diags, func(ctx context.Context) error {
		return rollout.MoveGroup(ctx, p, engine, rollout.Decision{Action: rollout.Advance, Step: -1})
	}); err != nil {
		r.failedMove(ctx, c, p, group, deployment, members, prior, canaried, engine, err, now, result, diags)
		return gl
	}
	for i, mv := range canaried {
		result[mv.key] = movedTo(prior[mv.key], members[mv.key], mv.to, trs[i].Revision)
	}
	view.StepStarted = types.StringValue(now.UTC().Format(time.RFC3339Nano))
	*deployment = view.value()
	r.observeGroup(ctx, c, p, group, canaried, prior, groupEvent(view, rollout.Decision{Reason: view.Reason}, now), diags, rollout.EventStarted)
	return gl
}

// stepGroup makes the transition the refresh recorded for the release in
// progress.
func (r *aliasGroupResource) stepGroup(ctx context.Context, c *lambda.Client, group string, p rollout.Policy, deployment *types.Object,
	members, prior map[string]groupMemberModelV0, cur groupView, deferred map[string][]string, result map[string]groupMemberModelV0, diags *diag.Diagnostics) *health.GroupInterlock {
	var moves []groupMove
	for _, k := range sortedKeys(cur.Moves) {
		mv, m := cur.Moves[k], members[k]
		moves = append(moves, groupMove{key: k, function: m.FunctionName.ValueString(), alias: m.Alias.ValueString(), from: mv.from, to: mv.to,
			revision: prior[k].RevisionID.ValueString(), retry: m.RetryRolledBack.ValueString() != ""})
		result[k] = withConfig(prior[k], m)
	}
	withInterlock(ctx, c, r.data.Clock(), moves, members, prior)
	for _, mv := range moves {
		if mv.lock != nil {
			mv.lock.Adopt(deferred[mv.key]) // resumed once the retried rollback moved the traffic
		}
	}
	gl := groupInterlock(moves)
	next, d, ok := cur.next(p)
	if !ok {
		*deployment = cur.value() // hold: nothing moves
		return gl
	}
	now := r.data.Clock().Now()
	ms, trs := r.groupTraffic(ctx, c, p, moves, cur.progress().Started)
	record := func(version func(groupMove) string) {
		for i, mv := range moves {
			result[mv.key] = movedTo(prior[mv.key], members[mv.key], version(mv), trs[i].Revision)
		}
	}
	target := func(mv groupMove) string { return mv.to }
	switch d.Action {
	case rollout.Advance, rollout.Promote:
		if err := stepwiseInterlocked(ctx, gl, transitionMoment(d.Action), diags, func(ctx context.Context) error { return rollout.MoveGroup(ctx, p, ms, d) }); err != nil {
			r.failedMove(ctx, c, p, group, deployment, members, prior, moves, ms, err, now, result, diags)
			return gl
		}
		if d.Action == rollout.Advance {
			record(target)
			next.StepStarted = types.StringValue(now.UTC().Format(time.RFC3339Nano))
			*deployment = next.value()
			r.observeGroup(ctx, c, p, group, moves, prior, groupEvent(next, d, now), diags, rollout.EventStepAdvanced)
			return gl
		}
		if p.PostTrafficHook != "" {
			if err := rollout.RunHook(ctx, rollout.GroupHooks(ms), p, p.PostTrafficHook, "post_traffic"); err != nil {
				// After the promotion: every member goes back, from 100%.
				at := cur
				at.Weight = 100
				at = at.withDecision(rollout.Decision{Action: rollout.RollBack, Step: int(cur.Step - 1), Weight: 100, Gate: "hook:post_traffic",
					Reason: fmt.Sprintf("post-traffic hook %s failed: %v", p.PostTrafficHook, err)})
				return r.stepGroup(ctx, c, group, p, deployment, members, withRevisions(prior, moves, trs), at, nil, result, diags)
			}
		}
		record(target)
		for _, mv := range moves {
			m := result[mv.key]
			m.Promotions = promotionsWith(prior[mv.key].Promotions, mv.to, now)
			result[mv.key] = m
			if mv.retry {
				forgetRollback(ctx, c, mv.function, mv.to)
			}
			finishOverride(ctx, c, mv.function, mv.alias, deploymentView{From: mv.from, To: mv.to})
		}
		next.FinishedAt = types.StringValue(now.UTC().Format(time.RFC3339))
		*deployment = next.value()
		r.observeGroup(ctx, c, p, group, moves, prior, groupEvent(next, d, now), diags, rollout.EventPromoted)
	default: // roll back or abort, as planned
		if err := stepwiseInterlocked(context.WithoutCancel(ctx), gl, transitionMoment(d.Action), diags, func(ctx context.Context) error { return rollout.MoveGroup(ctx, p, ms, d) }); err != nil {
			r.groupRollbackFailed(group, deployment, cur, next, d, moves, trs, members, prior, result, err, diags)
			return gl
		}
		record(func(mv groupMove) string { return mv.from })
		next.FinishedAt = types.StringValue(now.UTC().Format(time.RFC3339))
		*deployment = next.value()
		r.observeGroup(ctx, c, p, group, moves, prior, groupEvent(next, d, now), diags, endKinds(next.Status, d.Gate)...)
		r.endGroup(ctx, c, group, p, moves, next.Status, d, now, diags)
	}
	return gl
}

// endGroup finishes a release that was not promoted: the rollback is
// remembered (as the blocking mode remembers it), $LATEST restored, the
// overrides cleared, and the error names the member, gate, value and
// threshold.
func (r *aliasGroupResource) endGroup(ctx context.Context, c *lambda.Client, group string, _ rollout.Policy, moves []groupMove, status string, d rollout.Decision, at time.Time, diags *diag.Diagnostics) {
	end := groupEnd{group: group, moves: moves, status: status, final: d}
	if remembersRollback(status, d) {
		end.remembered = r.remember(ctx, c, moves, d, at, diags)
	}
	settle := context.WithoutCancel(ctx)
	for _, mv := range moves {
		(&aliasResource{data: r.data}).restoreLatest(settle, c, mv.function, mv.to, mv.from, diags)
		finishOverride(settle, c, mv.function, mv.alias, deploymentView{From: mv.from, To: mv.to})
	}
	end.addError(diags)
}

// failedMove handles a write of the release that failed on some member:
// every member of the move goes back (each write attempted whatever the
// others answer), the state records what each alias holds, and the error
// names the failed members and any member left split.
func (r *aliasGroupResource) failedMove(ctx context.Context, c *lambda.Client, p rollout.Policy, group string, deployment *types.Object,
	members, prior map[string]groupMemberModelV0, moves []groupMove, ms []rollout.Member, err error, now time.Time, result map[string]groupMemberModelV0, diags *diag.Diagnostics) {
	settle := context.WithoutCancel(ctx)
	if ms != nil {
		_ = rollout.MoveGroup(settle, rollout.Policy{}, ms, rollout.Decision{Action: rollout.RollBack})
	}
	var split []string
	for _, mv := range moves {
		m := withConfig(prior[mv.key], members[mv.key])
		a, rerr := lambdaops.FindAlias(settle, c, mv.function, mv.alias)
		if a != nil {
			m.fill(a)
		}
		result[mv.key] = m
		if a == nil || aws.ToString(a.FunctionVersion) != mv.from || !m.Routing.IsNull() {
			split = append(split, fmt.Sprintf("  - %s holds %s", mv.label(), holding(m, rerr)))
		}
	}
	out := rollout.Outcome{Status: rollout.StatusAborted, Err: err, Final: rollout.Decision{Action: rollout.Abort, Step: -1,
		Reason: fmt.Sprintf("a member's write failed (%v); every member of the move was sent back to its previous version", err)}}
	*deployment = groupDeploymentValue(moves, now, now, out)
	if len(p.Steps) > 0 {
		r.observeGroup(ctx, c, p, group, moves, prior, rollout.Event{Step: 0, Reason: out.Final.Reason, At: now, Started: now, StepStarted: now}, diags, rollout.EventAborted)
	}
	addSplitError(group, out, split, diags)
}

// groupRollbackFailed records a rollback whose writes failed on some
// member: the release stays in progress with the rollback as its next
// action (the next plan shows it, the next apply retries it: the refresh
// keeps it), nothing is remembered as rolled back, and the error says
// which member holds what.
func (r *aliasGroupResource) groupRollbackFailed(group string, deployment *types.Object, cur, next groupView, d rollout.Decision, moves []groupMove,
	trs []*health.Traffic, members, prior map[string]groupMemberModelV0, result map[string]groupMemberModelV0, err error, diags *diag.Diagnostics) {
	pending := cur
	pending.Gates = next.Gates // the rollback is the last gate record
	pending.Reason = d.Reason + "; moving the traffic back failed"
	pending = pending.withDecision(d)
	var lines []string
	for i, mv := range moves {
		// While the release is in progress function_version holds its target.
		result[mv.key] = movedTo(prior[mv.key], members[mv.key], mv.to, trs[i].Revision)
		state := "moved back to version " + mv.from
		for _, e := range memberErrors(err) {
			if e.Member == mv.key {
				state = fmt.Sprintf("NOT moved back (%v)", e.Err)
			}
		}
		lines = append(lines, fmt.Sprintf("  - %s: %s", mv.label(), state))
	}
	*deployment = pending.value()
	diags.AddError("Group Rollback Failed", fmt.Sprintf("The release of group %s had to roll back (%s), but moving some members' traffic back failed:\n%s\n\n"+
		"The rollback is not recorded as done: the state says deployment.status = \"in_progress\" with next_action = \"roll_back\". "+
		"Run terraform apply again: its plan shows the rollback of every changed member and the apply retries it.", group, d.Reason, strings.Join(lines, "\n")))
}

// movedTo is a member after a write of the release put it on version
// (no split), with the RevisionId the write returned.
func movedTo(prior, planned groupMemberModelV0, version, revision string) groupMemberModelV0 {
	m := withConfig(prior, planned)
	m.FunctionVersion, m.Routing = types.StringValue(version), types.ObjectNull(routingAttrTypes)
	if revision != "" {
		m.RevisionID = types.StringValue(revision)
	}
	return m
}

// withRevisions is prior with each moved member's RevisionId as its
// last write returned.
func withRevisions(prior map[string]groupMemberModelV0, moves []groupMove, trs []*health.Traffic) map[string]groupMemberModelV0 {
	out := map[string]groupMemberModelV0{}
	for k, m := range prior {
		out[k] = m
	}
	for i, mv := range moves {
		m := out[mv.key]
		m.RevisionID = types.StringValue(trs[i].Revision)
		out[mv.key] = m
	}
	return out
}

// warmMember makes each shift of a member's traffic wait for its alias's
// provisioned concurrency to be READY (as rollout_alias does), when the
// alias has provisioned concurrency.
func (r *aliasGroupResource) warmMember(ctx context.Context, c *lambda.Client, p rollout.Policy, tr *health.Traffic, started time.Time) {
	_, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(tr.Function), Qualifier: aws.String(tr.Name)})
	var none *lambdatypes.ProvisionedConcurrencyConfigNotFoundException
	if errors.As(err, &none) {
		return
	}
	// With provisioned concurrency (or when it cannot be read: the wait
	// reads it again, and its error stops the shift).
	limit := p.Deadline
	if limit <= 0 {
		limit = provisionedWaitDefault
	}
	clock := r.data.Clock()
	if started.IsZero() {
		started = clock.Now()
	}
	until := started.Add(limit)
	tr.BeforeShift = func(ctx context.Context) error {
		return health.ProvisionedReady(ctx, c, clock, tr.Function, tr.Name, until)
	}
}
