package provider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// ModifyPlan shows the group's whole transition: every member whose
// version changes gets an unknown revision_id (and the group an unknown
// deployment), a member left split by an interrupted release plans its
// routing back to null with a warning, and each member passes the
// alias's own checks against AWS (data-schema guard, rollback memory).
func (r *aliasGroupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan aliasGroupModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	members, ok := plan.members(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	prior := map[string]groupMemberModelV0{}
	plan.Deployment = types.ObjectNull(groupDeploymentAttrTypes)
	var cur groupView
	var state *aliasGroupModelV0
	if !req.State.Raw.IsNull() {
		state = &aliasGroupModelV0{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		if prior, ok = state.members(ctx, &resp.Diagnostics); !ok {
			return
		}
		plan.Deployment = state.Deployment
		cur, _ = parseGroupDeployment(state.Deployment)
	}
	moving := false
	for _, k := range sortedKeys(members) {
		m := members[k]
		p, had := prior[k]
		if !had || !p.sameAlias(m) {
			m.ARN, m.RevisionID, m.Routing = types.StringUnknown(), types.StringUnknown(), types.ObjectNull(routingAttrTypes)
			m.Promotions = types.ListUnknown(types.ObjectType{AttrTypes: promotionAttrTypes})
			members[k] = m
			continue
		}
		m.ARN, m.RevisionID, m.Promotions = p.ARN, p.RevisionID, p.Promotions
		if !m.FunctionVersion.Equal(p.FunctionVersion) {
			m.RevisionID, moving = types.StringUnknown(), true
			m.Promotions = types.ListUnknown(types.ObjectType{AttrTypes: promotionAttrTypes})
		}
		if !p.Routing.IsNull() {
			m.RevisionID = types.StringUnknown()
			resp.Diagnostics.AddAttributeWarning(path.Root("members").AtMapKey(k).AtName("routing"), "Group Member Split",
				fmt.Sprintf("Member %q (%s:%s) serves version %s%s, as an interrupted release left it. This plan moves all of its traffic to version %s.",
					k, m.FunctionName.ValueString(), m.Alias.ValueString(), p.FunctionVersion.ValueString(), splitNote(p.Routing), m.FunctionVersion.ValueString()))
		}
		m.Routing = types.ObjectNull(routingAttrTypes)
		members[k] = m
	}
	if moving {
		plan.Deployment = types.ObjectUnknown(groupDeploymentAttrTypes)
	}
	if p, err := policyFromSpec(ctx, plan.CanaryPolicy); err == nil && p != nil && (!p.Wait || cur.inProgress()) {
		// Plan-driven (alias_group_stepwise.go): the start of a release,
		// or the transition the refresh recorded.
		if cur.continues(members, prior) {
			plan.Deployment = cur.value()
		}
		r.planStepwise(*p, &plan, members, prior, cur)
	} else if cur.inProgress() && plan.CanaryPolicy.IsNull() {
		// The policy is gone mid-release: every member of it moves at once
		// to its version.
		for k := range cur.Moves {
			if m, ok := members[k]; ok && m.sameAlias(prior[k]) {
				m.RevisionID = types.StringUnknown()
				members[k] = m
			}
		}
		plan.Deployment = types.ObjectUnknown(groupDeploymentAttrTypes)
	}
	plan.ID = plan.Name
	modifyPlanGroupInterlock(ctx, &plan, state, members, prior, plannedMoves(members, prior), &resp.Diagnostics)
	plan.setMembers(ctx, members, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if r.data == nil || resp.Diagnostics.HasError() {
		return
	}
	c, err := r.data.client.Lambda(ctx)
	if err != nil {
		return
	}
	r.guardMembers(ctx, c, members, prior, plan.CanaryPolicy, &resp.Diagnostics, true)
}

// plannedMoves are the members of the plan whose version changes.
func plannedMoves(members, prior map[string]groupMemberModelV0) []groupMove {
	var out []groupMove
	for _, k := range sortedKeys(members) {
		m, p := members[k], prior[k]
		if !p.sameAlias(m) || m.FunctionVersion.Equal(p.FunctionVersion) {
			continue
		}
		out = append(out, groupMove{key: k, function: m.FunctionName.ValueString(), alias: m.Alias.ValueString(), from: p.FunctionVersion.ValueString(),
			to: m.FunctionVersion.ValueString()})
	}
	return out
}

// splitNote renders a member's routing: " with 20% of its traffic on version 4".
func splitNote(routing types.Object) string {
	a := routing.Attributes()
	v, _ := a["version"].(types.String)
	w, _ := a["weight"].(types.Float64)
	return fmt.Sprintf(" with %g%% of its traffic on version %s", w.ValueFloat64()*100, v.ValueString())
}

// guardMembers runs rollout_alias's checks for every member, at plan time
// (planning) or again at apply time for versions unknown when planning:
// the version exists, passes the data-schema guard, and is not a release
// that was rolled back. Diagnostics point at the member.
func (r *aliasGroupResource) guardMembers(ctx context.Context, c *lambda.Client, members, prior map[string]groupMemberModelV0, policy types.Object, diags *diag.Diagnostics, planning bool) {
	alias := &aliasResource{data: r.data}
	keys := sortedKeys(members)
	found := make([]diag.Diagnostics, len(keys))
	parallel(keys, func(i int, k string) {
		m := members[k]
		if m.FunctionName.IsUnknown() || m.Alias.IsUnknown() {
			return
		}
		view := m.aliasView()
		d := &found[i]
		if planning {
			view.checkPlannedVersion(ctx, d)
		}
		if !m.FunctionVersion.IsUnknown() {
			alias.checkVersion(ctx, c, view, target{m.FunctionVersion.ValueString(), path.Root("function_version"), "function_version"}, d, planning)
		}
		var pv *aliasModelV0
		if p, ok := prior[k]; ok && p.sameAlias(m) {
			v := p.aliasView()
			pv = &v
		}
		alias.refuseRolledBack(ctx, c, view, pv, d, planning)
		// Versioned events: the member's mappings against the versions it
		// would route to, and (under a canary) the one a rollback returns to.
		ev := view
		ev.CanaryPolicy = policy
		alias.checkEventSchemas(ctx, c, ev, pv, d)
	})
	for i, k := range keys {
		diags.Append(memberDiagnostics(k, found[i])...)
	}
}

// memberDiagnostics points diagnostics written for one alias at member k.
func memberDiagnostics(k string, in diag.Diagnostics) diag.Diagnostics {
	out := make(diag.Diagnostics, 0, len(in))
	for _, d := range in {
		detail := fmt.Sprintf("Member %q: %s", k, d.Detail())
		wp, ok := d.(diag.DiagnosticWithPath)
		if !ok {
			if d.Severity() == diag.SeverityError {
				out.AddError(d.Summary(), detail)
			} else {
				out.AddWarning(d.Summary(), detail)
			}
			continue
		}
		p := path.Root("members").AtMapKey(k)
		for _, step := range wp.Path().Steps() {
			switch s := step.(type) {
			case path.PathStepAttributeName:
				p = p.AtName(string(s))
			case path.PathStepElementKeyInt:
				p = p.AtListIndex(int(s))
			}
		}
		if d.Severity() == diag.SeverityError {
			out.AddAttributeError(p, d.Summary(), detail)
		} else {
			out.AddAttributeWarning(p, d.Summary(), detail)
		}
	}
	return out
}
