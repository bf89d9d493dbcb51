package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/rollout-tf/terraform-provider-rollout/internal/health"
	"github.com/rollout-tf/terraform-provider-rollout/internal/lambdaops"
	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// release applies a group's plan: members removed from the group lose
// their alias, new members get one, and the members whose version changes
// (or that an interrupted release left split) move together, under the
// canary policy when there is one. The state then records what each
// member's alias holds.
func (r *aliasGroupResource) release(ctx context.Context, c *lambda.Client, plan, state aliasGroupModelV0, resp *resource.UpdateResponse) {
	diags := &resp.Diagnostics
	members, ok := plan.members(ctx, diags)
	prior, ok2 := state.members(ctx, diags)
	if !ok || !ok2 {
		return
	}
	r.guardMembers(ctx, c, members, prior, plan.CanaryPolicy, diags, false)
	if diags.HasError() {
		return
	}
	deferred, ok := r.resumeGroupLeftPaused(ctx, c, plan.CanaryPolicy, members, prior, state, diags)
	if !ok {
		diags.Append(resp.State.Set(ctx, &state)...)
		return
	}
	var added, moved []string
	result := map[string]groupMemberModelV0{}
	cur, _ := parseGroupDeployment(state.Deployment)
	for _, k := range sortedKeys(members) {
		m, p := members[k], prior[k]
		_, inRelease := cur.Moves[k]
		switch {
		case !p.sameAlias(m):
			added = append(added, k)
		case !m.FunctionVersion.Equal(p.FunctionVersion) || !p.Routing.IsNull() || (inRelease && cur.inProgress()):
			moved = append(moved, k)
		default: // unchanged: not touched
			m.ARN, m.RevisionID, m.Routing, m.Promotions = p.ARN, p.RevisionID, p.Routing, p.Promotions
			result[k] = m
		}
	}
	var removed []string
	for _, k := range sortedKeys(prior) {
		if m, ok := members[k]; !ok || !m.sameAlias(prior[k]) {
			removed = append(removed, k)
		}
	}
	save := func() {
		if plan.PausedEventSources.IsUnknown() {
			plan.PausedEventSources = stringsValue(nil) // planned unknown: this apply paused, and left none paused
		}
		plan.ID = plan.Name
		plan.setMembers(ctx, result, diags)
		diags.Append(resp.State.Set(context.WithoutCancel(ctx), &plan)...)
	}
	plan.Deployment = state.Deployment
	if left := deleteMembers(ctx, c, prior, removed, diags); len(left) > 0 {
		// Nothing moved: keep the state as it was.
		diags.Append(resp.State.Set(ctx, &state)...)
		return
	}
	for k, m := range r.createMembers(ctx, c, members, added, diags) {
		result[k] = m
	}
	if len(moved) > 0 {
		policy, err := policyFromSpec(ctx, plan.CanaryPolicy)
		if err != nil {
			diags.AddError("Invalid Canary Policy", err.Error())
			return
		}
		var gl *health.GroupInterlock
		if policy != nil && (!policy.Wait || cur.inProgress()) {
			gl = r.moveStepwise(ctx, c, plan.Name.ValueString(), *policy, &plan.Deployment, members, prior, moved, cur, deferred, result, diags)
		} else {
			gl = r.move(ctx, c, plan.Name.ValueString(), policy, &plan.Deployment, members, prior, moved, result, diags)
		}
		if paused := gl.Paused(); len(paused) > 0 {
			// Recorded, even where the plan said none: the next plan resumes them.
			plan.PausedEventSources = stringsValue(paused)
		}
	}
	save()
}

// groupMove is one changed member: its alias goes from one version to another.
type groupMove struct {
	key, function, alias, from, to string
	revision                       string
	retry                          bool
	ilc                            *interlockConfig // the member's event_source_interlock; nil without one
	lock                           *health.Interlock
}

func (g groupMove) label() string {
	return fmt.Sprintf("%s (%s:%s, version %s -> %s)", g.key, g.function, g.alias, g.from, g.to)
}

// move drives the changed members (keys) of group together, under
// policy (nil: all at once), records what each holds in result and the
// release in deployment. It returns the members' data interlock (nil
// without one), whose Paused lists what it could not resume.
func (r *aliasGroupResource) move(ctx context.Context, c *lambda.Client, group string, p *rollout.Policy, deployment *types.Object,
	members, prior map[string]groupMemberModelV0, keys []string, result map[string]groupMemberModelV0, diags *diag.Diagnostics) *health.GroupInterlock {
	moves := make([]groupMove, len(keys))
	for i, k := range keys {
		m, p := members[k], prior[k]
		moves[i] = groupMove{key: k, function: m.FunctionName.ValueString(), alias: m.Alias.ValueString(), from: p.FunctionVersion.ValueString(),
			to: m.FunctionVersion.ValueString(), revision: p.RevisionID.ValueString(), retry: m.RetryRolledBack.ValueString() != ""}
	}
	// A member that only has to leave a split goes straight to its
	// version, before the release (a canary needs two versions).
	var direct, canaried []groupMove
	for _, mv := range moves {
		if mv.from == mv.to {
			direct = append(direct, mv)
		} else {
			canaried = append(canaried, mv)
		}
	}
	clock := r.data.Clock()
	withInterlock(ctx, c, clock, canaried, members, prior)
	gl := groupInterlock(canaried)
	var policy rollout.Policy
	engine := trafficOnly(c, canaried)
	var overrides []*health.ScopedOverride
	canary := p != nil && len(canaried) > 0
	knownGood := canary && allInWindow(prior, canaried, p.RollbackWindow)
	if knownGood {
		// Every changed member returns to one of its last promotions: a
		// known-good release, moved at once (one write per member).
		canary = false
	}
	if canary {
		policy = *p
		var ok bool
		if engine, overrides, ok = r.canaryMembers(ctx, c, policy, canaried, diags, false); !ok {
			for _, mv := range canaried {
				result[mv.key] = withConfig(prior[mv.key], members[mv.key])
			}
			for _, mv := range direct {
				result[mv.key] = withConfig(prior[mv.key], members[mv.key])
			}
			return nil
		}
	}
	directOut := rollout.DriveGroup(ctx, rollout.Policy{}, trafficOnly(c, direct), clock)
	started := clock.Now()
	tflog.Info(ctx, "group release starting", map[string]any{"tf_rollout.group": group, "tf_rollout.members": len(canaried), "tf_rollout.schedule": rollout.Describe(policy.Steps)})
	out := rollout.Outcome{Status: rollout.StatusPromoted}
	switch {
	case directOut.Err != nil:
		// A member's split could not be cleared: the release does not start.
		out = rollout.Outcome{Status: rollout.StatusAborted, Err: directOut.Err, Final: rollout.Decision{Action: rollout.Abort, Step: -1,
			Reason: "a member left split by an earlier release could not be moved back to its version; the release did not start"}}
	case len(canaried) > 0 && canary:
		events := r.startGroupEvents(ctx, c, policy, group, canaried, prior)
		out = rollout.DriveGroupThrough(ctx, policy, engine, clock, events.observer, interlocked(gl, "", diags))
		defer events.finish(diags)
	case len(canaried) > 0:
		out = rollout.DriveGroupThrough(ctx, policy, engine, clock, nil, interlocked(gl, groupDirectMoment(prior, canaried), diags))
	}
	if knownGood && out.Status == rollout.StatusPromoted {
		out.Final.Reason = fmt.Sprintf("every changed member returns to a version among its last %d promotions (rollback_window): a known-good release, steps skipped", p.RollbackWindow)
		out.Decisions = []rollout.Decision{out.Final}
	}
	finished := clock.Now()
	for _, ov := range overrides {
		ov.Finish(ctx)
		addOverrideWarnings(ov, diags)
	}
	// Record what each alias holds, whatever was intended.
	settleCtx := context.WithoutCancel(ctx)
	held := make([]*lambda.GetAliasOutput, len(moves))
	readErrs := make([]error, len(moves))
	parallel(keys, func(i int, _ string) {
		mv := moves[i]
		primary := mv.from
		if out.Status == rollout.StatusPromoted || mv.from == mv.to {
			primary = mv.to
		}
		if out.Err != nil {
			held[i], readErrs[i] = lambdaops.FindAlias(settleCtx, c, mv.function, mv.alias)
			return
		}
		held[i], readErrs[i] = lambdaops.WaitAliasSettled(settleCtx, c, mv.function, mv.alias, primary, "", 0, aliasSettleTimeout)
	})
	var split []string
	for i, mv := range moves {
		m := withConfig(prior[mv.key], members[mv.key])
		if held[i] != nil {
			m.fill(held[i])
		}
		if out.Status == rollout.StatusPromoted && mv.from != mv.to {
			// When all traffic moved: the canary's end, as for one alias.
			m.Promotions = promotionsWith(prior[mv.key].Promotions, mv.to, finished)
		}
		result[mv.key] = m
		want := mv.from
		if out.Status == rollout.StatusPromoted || mv.from == mv.to {
			want = mv.to
		}
		if held[i] == nil || aws.ToString(held[i].FunctionVersion) != want || !m.Routing.IsNull() {
			split = append(split, fmt.Sprintf("  - %s holds %s", mv.label(), holding(m, readErrs[i])))
		}
	}
	if len(canaried) > 0 {
		*deployment = groupDeploymentValue(canaried, started, finished, out)
	}
	if canary && out.Err != nil && out.Status == rollout.StatusInProgress && (out.Final.Action == rollout.RollBack || out.Final.Action == rollout.Abort) {
		// The rollback's writes failed: recorded as pending, as the
		// plan-driven mode records it, so that the next plan shows the
		// rollback and its apply retries it; never a new start towards the
		// rejected release.
		view, _ := parseGroupDeployment(*deployment)
		view.FinishedAt = types.StringNull()
		view.StepStarted = types.StringValue(finished.UTC().Format(time.RFC3339Nano)) // in progress, as the refresh reads it
		trs := make([]*health.Traffic, len(canaried))
		for i, mv := range canaried {
			trs[i] = &health.Traffic{Revision: mv.revision}
			if j := slices.Index(keys, mv.key); j >= 0 && held[j] != nil {
				trs[i].Revision = aws.ToString(held[j].RevisionId)
			}
		}
		r.groupRollbackFailed(group, deployment, view, view, out.Final, canaried, trs, members, prior, result, out.Err, diags)
		return gl
	}
	if out.Err != nil || len(split) > 0 {
		addSplitError(group, out, split, diags)
		return gl
	}
	switch out.Status {
	case rollout.StatusPromoted:
		for _, mv := range canaried {
			if mv.retry {
				forgetRollback(ctx, c, mv.function, mv.to)
			}
			if !canary {
				(&aliasResource{data: r.data}).restoreLatest(settleCtx, c, mv.function, mv.from, mv.to, diags)
			}
		}
	case rollout.StatusRolledBack, rollout.StatusAborted:
		end := groupEnd{group: group, moves: canaried, status: out.Status, final: out.Final}
		if remembersRollback(out.Status, out.Final) {
			end.remembered = r.remember(ctx, c, canaried, out.Final, finished, diags)
		}
		for _, mv := range canaried {
			(&aliasResource{data: r.data}).restoreLatest(settleCtx, c, mv.function, mv.to, mv.from, diags)
		}
		end.addError(diags)
	}
	return gl
}

// trafficOnly are members moved all at once (no gates to read).
func trafficOnly(c *lambda.Client, moves []groupMove) []rollout.Member {
	out := make([]rollout.Member, len(moves))
	for i, mv := range moves {
		out[i] = rollout.Member{Name: mv.key, Traffic: &health.Traffic{Lambda: c, Function: mv.function, Name: mv.alias, From: mv.from, To: mv.to, Revision: mv.revision}}
	}
	return out
}

// canaryMembers builds the engine's view of each member of a canary: its
// gates (CloudWatch for its new version, its scoped override), its
// traffic and its hooks. The overrides are started (at a refresh, only
// read); it reports false, with nothing moved, when a function cannot be
// read.
func (r *aliasGroupResource) canaryMembers(ctx context.Context, c *lambda.Client, p rollout.Policy, moves []groupMove, diags *diag.Diagnostics, refresh bool) ([]rollout.Member, []*health.ScopedOverride, bool) {
	cw, err := r.data.client.CloudWatch(ctx)
	if err != nil {
		diags.AddError("AWS Configuration Error", apiErrorDetail("The CloudWatch client could not be built.", "Check the provider configuration.", err))
		return nil, nil, false
	}
	clock := r.data.Clock()
	members := make([]rollout.Member, len(moves))
	overrides := make([]*health.ScopedOverride, len(moves))
	errs := make([]error, len(moves))
	tags := make([]map[string]string, len(moves))
	parallel(make([]string, len(moves)), func(i int, _ string) {
		mv := moves[i]
		fnOut, err := lambdaops.FindFunction(ctx, c, mv.function)
		if err != nil {
			errs[i] = err
			return
		}
		arn := aws.ToString(fnOut.Configuration.FunctionArn)
		src := &health.Sources{CloudWatch: cw, Lambda: c, Function: mv.function, Alias: mv.alias, To: mv.to, FunctionARN: arn, Clock: clock.Now}
		overrides[i], tags[i] = health.NewScopedOverride(src, c, arn, mv.alias, mv.from, mv.to, !refresh), fnOut.Tags
		traffic := &health.Traffic{Lambda: c, Function: mv.function, Name: mv.alias, From: mv.from, To: mv.to, Revision: mv.revision}
		if !refresh {
			r.warmMember(ctx, c, p, traffic, clock.Now()) // each shift waits for READY provisioned concurrency
		}
		// The member's queue gates (max_queue_depth, max_oldest_message_age) hold the promotion.
		gated := mv.ilc.gate(health.Bound(overrides[i], p.Interval), &aliasResource{data: r.data}, ctx, mv.lock, p.Interval)
		members[i] = rollout.Member{Name: mv.key, Sources: gated, Traffic: traffic,
			Hooks: &health.Hooks{Lambda: c, Function: mv.function, Alias: mv.alias, From: mv.from, To: mv.to}}
	})
	for i, err := range errs {
		if err != nil {
			diags.AddError("Rollout Error", apiErrorDetail(fmt.Sprintf("GetFunction %s (member %q) failed; no traffic was moved.", moves[i].function, moves[i].key), "Apply again.", err))
		}
	}
	if diags.HasError() {
		return nil, nil, false
	}
	for i, ov := range overrides {
		if !refresh {
			ov.Start(ctx, tags[i])
		}
	}
	return members, overrides, true
}

// remember records the rollback in the tags of the member whose own gate
// failed, or of every changed member when the gate names none (an alarm,
// the deadline, unreadable health, a hook). It returns the members
// remembered.
func (r *aliasGroupResource) remember(ctx context.Context, c *lambda.Client, moves []groupMove, d rollout.Decision, at time.Time, diags *diag.Diagnostics) []string {
	own := d.Member != "" && (hasMeasure(d.Gate) || d.Gate == "override")
	var done []string
	for _, mv := range moves {
		if own && mv.key != d.Member {
			continue
		}
		if rememberRollback(ctx, c, mv.function, mv.alias, mv.to, d, at, diags) {
			done = append(done, mv.key)
		}
	}
	return done
}

// withConfig is a prior member with the configuration of the planned one
// (its version left as AWS reports it).
func withConfig(prior, planned groupMemberModelV0) groupMemberModelV0 {
	m := planned
	m.FunctionVersion, m.ARN, m.RevisionID, m.Routing, m.Promotions = prior.FunctionVersion, prior.ARN, prior.RevisionID, prior.Routing, prior.Promotions
	return m
}

// allInWindow says whether every move returns its member to a version
// among its last window promotions.
func allInWindow(prior map[string]groupMemberModelV0, moves []groupMove, window int) bool {
	for _, mv := range moves {
		if !inWindow(prior[mv.key].Promotions, mv.to, window) {
			return false
		}
	}
	return len(moves) > 0
}

// holding renders what a member's alias holds.
func holding(m groupMemberModelV0, readErr error) string {
	if readErr != nil && m.FunctionVersion.IsNull() {
		return fmt.Sprintf("an unknown version (GetAlias failed: %v)", readErr)
	}
	s := "version " + m.FunctionVersion.ValueString()
	if !m.Routing.IsNull() {
		s += splitNote(m.Routing)
	}
	if readErr != nil {
		s += fmt.Sprintf(" (last read; it did not settle: %v)", readErr)
	}
	return s
}

// addSplitError reports a release whose members are not all where its
// outcome says: a write failed, or an alias did not settle.
func addSplitError(group string, out rollout.Outcome, split []string, diags *diag.Diagnostics) {
	var b strings.Builder
	status := out.Status
	if status == rollout.StatusInProgress {
		status = "unfinished" // a rollback write failed too
	}
	fmt.Fprintf(&b, "The release of group %s ended %s", group, status)
	if out.Err != nil {
		var failed []string
		for _, e := range memberErrors(out.Err) {
			if !slices.Contains(failed, e.Member) {
				failed = append(failed, e.Member)
			}
		}
		fmt.Fprintf(&b, " after a write failed (%v)", out.Err)
		if len(failed) > 0 {
			fmt.Fprintf(&b, "; failed member(s): %s", strings.Join(failed, ", "))
		}
	}
	b.WriteString(".")
	if len(split) > 0 {
		b.WriteString(" These members are not where the release left the others:\n" + strings.Join(split, "\n"))
	} else {
		b.WriteString(" Every other member was brought back; each member's alias holds its previous version.")
	}
	b.WriteString("\n\nThe state records what each member's alias holds. Run terraform plan: it shows every member still to move (and any split), and one apply converges.")
	diags.AddError("Group Release Incomplete", b.String())
}

// memberErrors unpacks the per-member errors of a group move.
func memberErrors(err error) []*rollout.MemberError {
	var out []*rollout.MemberError
	var walk func(error)
	walk = func(e error) {
		if me, ok := e.(*rollout.MemberError); ok {
			out = append(out, me)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if u := errors.Unwrap(e); u != nil {
			walk(u)
		}
	}
	walk(err)
	return out
}
