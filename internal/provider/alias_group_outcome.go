package provider

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/rollout-tf/terraform-provider-rollout/internal/rollout"
)

// The group's deployment record and the error of a release that was not
// promoted.

var groupGateAttrTypes = map[string]attr.Type{"step": types.Int64Type, "weight_percent": types.Float64Type, "action": types.StringType,
	"member": types.StringType, "reason": types.StringType}

var groupMoveAttrTypes = map[string]attr.Type{"from_version": types.StringType, "to_version": types.StringType}

var groupDeploymentAttrTypes = map[string]attr.Type{
	"status": types.StringType, "step": types.Int64Type, "weight_percent": types.Float64Type, "member": types.StringType,
	"gate": types.StringType, "value": types.Float64Type, "threshold": types.Float64Type, "reason": types.StringType,
	"started_at": types.StringType, "finished_at": types.StringType,
	"members": types.MapType{ElemType: types.ObjectType{AttrTypes: groupMoveAttrTypes}},
	"gates":   types.ListType{ElemType: types.ObjectType{AttrTypes: groupGateAttrTypes}},
	// Plan-driven groups (canary_policy.wait = false) only.
	"step_started_at": types.StringType, "next_action": types.StringType, "next_member": types.StringType, "next_gate": types.StringType,
	"next_reason": types.StringType, "next_value": types.Float64Type, "next_threshold": types.Float64Type, "health_unreadable_since": types.StringType,
}

func groupDeploymentSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "The group's last release: which members moved from which version to which, how it ended, where, and why.",
		Computed:            true,
		Attributes: map[string]schema.Attribute{
			"status":         schema.StringAttribute{MarkdownDescription: "`promoted`, `rolled_back` or `aborted`; `in_progress` while a plan-driven release (`wait = false`) goes step by step, or when a move failed mid-release (see the members' `routing`).", Computed: true},
			"step":           schema.Int64Attribute{MarkdownDescription: "The step (1-based) of the final decision; 0 before the first shift.", Computed: true},
			"weight_percent": schema.Float64Attribute{MarkdownDescription: "Every changed member's new version's weight at the final decision.", Computed: true},
			"member":         schema.StringAttribute{MarkdownDescription: "The member whose gates ended the release (null when every member passed).", Computed: true},
			"gate":           schema.StringAttribute{MarkdownDescription: "The gate that ended the release, if one did.", Computed: true},
			"value":          schema.Float64Attribute{MarkdownDescription: "The measured value of that gate, on that member.", Computed: true},
			"threshold":      schema.Float64Attribute{MarkdownDescription: "Its threshold.", Computed: true},
			"reason":         schema.StringAttribute{MarkdownDescription: "Why the release ended as it did.", Computed: true},
			"started_at":     schema.StringAttribute{MarkdownDescription: "When it started (RFC 3339).", Computed: true},
			"finished_at":    schema.StringAttribute{MarkdownDescription: "When it ended (RFC 3339).", Computed: true},
			"members": schema.MapNestedAttribute{
				MarkdownDescription: "The members the release moved, by key; unchanged members are not listed.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"from_version": schema.StringAttribute{MarkdownDescription: "The version the member moved from.", Computed: true},
					"to_version":   schema.StringAttribute{MarkdownDescription: "The version it moved to.", Computed: true},
				}},
			},
			"step_started_at":         schema.StringAttribute{MarkdownDescription: "Plan-driven groups (`wait = false`): when the current step's weight was set (RFC 3339); null once the release ended.", Computed: true},
			"next_action":             schema.StringAttribute{MarkdownDescription: "Plan-driven groups: the transition the last refresh decided (`advance`, `promote`, `roll_back`, `abort`, or `hold`: no change), which the next plan shows and the next apply performs.", Computed: true},
			"next_member":             schema.StringAttribute{MarkdownDescription: "Plan-driven groups: the member whose gates decided `next_action` (null when every member passed).", Computed: true},
			"next_gate":               schema.StringAttribute{MarkdownDescription: "Plan-driven groups: the gate behind `next_action`, if one.", Computed: true},
			"next_reason":             schema.StringAttribute{MarkdownDescription: "Plan-driven groups: why, with the measured values.", Computed: true},
			"next_value":              schema.Float64Attribute{MarkdownDescription: "Plan-driven groups: the measured value of `next_gate` on `next_member`.", Computed: true},
			"next_threshold":          schema.Float64Attribute{MarkdownDescription: "Plan-driven groups: its threshold.", Computed: true},
			"health_unreadable_since": schema.StringAttribute{MarkdownDescription: "Plan-driven groups: since when (RFC 3339) the refresh cannot read a member's health; the group holds, then rolls back, as one alias does.", Computed: true},
			"gates": schema.ListNestedAttribute{
				MarkdownDescription: "Per step: the decision that moved traffic or ended the release, with the member it names and its reason.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"step":           schema.Int64Attribute{MarkdownDescription: "Step (1-based).", Computed: true},
					"weight_percent": schema.Float64Attribute{MarkdownDescription: "The new versions' weight.", Computed: true},
					"action":         schema.StringAttribute{MarkdownDescription: "advance, promote, roll_back or abort.", Computed: true},
					"member":         schema.StringAttribute{MarkdownDescription: "The member whose gates decided, or null when every member passed.", Computed: true},
					"reason":         schema.StringAttribute{MarkdownDescription: "Why, with the measured values.", Computed: true},
				}},
			},
		},
	}
}

func groupDeploymentValue(moves []groupMove, started, finished time.Time, out rollout.Outcome) types.Object {
	gates := make([]attr.Value, 0, len(out.Decisions))
	for _, d := range out.Decisions {
		gates = append(gates, types.ObjectValueMust(groupGateAttrTypes, map[string]attr.Value{
			"step": types.Int64Value(int64(d.Step + 1)), "weight_percent": types.Float64Value(d.Weight),
			"action": types.StringValue(string(d.Action)), "member": nullIfEmpty(d.Member), "reason": types.StringValue(d.Reason)}))
	}
	moved := map[string]attr.Value{}
	for _, mv := range moves {
		if mv.from != mv.to {
			moved[mv.key] = types.ObjectValueMust(groupMoveAttrTypes, map[string]attr.Value{"from_version": types.StringValue(mv.from), "to_version": types.StringValue(mv.to)})
		}
	}
	f := out.Final
	value, threshold := types.Float64Null(), types.Float64Null()
	if hasMeasure(f.Gate) {
		value, threshold = types.Float64Value(f.Value), types.Float64Value(f.Threshold)
	}
	return types.ObjectValueMust(groupDeploymentAttrTypes, map[string]attr.Value{
		"status": types.StringValue(out.Status), "step": types.Int64Value(int64(f.Step + 1)), "weight_percent": types.Float64Value(f.Weight),
		"member": nullIfEmpty(f.Member), "gate": nullIfEmpty(f.Gate), "value": value, "threshold": threshold, "reason": types.StringValue(f.Reason),
		"started_at": types.StringValue(started.UTC().Format(time.RFC3339)), "finished_at": types.StringValue(finished.UTC().Format(time.RFC3339)),
		"members":         types.MapValueMust(types.ObjectType{AttrTypes: groupMoveAttrTypes}, moved),
		"gates":           types.ListValueMust(types.ObjectType{AttrTypes: groupGateAttrTypes}, gates),
		"step_started_at": types.StringNull(), "next_action": types.StringNull(), "next_member": types.StringNull(), "next_gate": types.StringNull(),
		"next_reason": types.StringNull(), "next_value": types.Float64Null(), "next_threshold": types.Float64Null(), "health_unreadable_since": types.StringNull(),
	})
}

// groupEnd is how a group release that was not promoted ended.
type groupEnd struct {
	group      string
	moves      []groupMove
	status     string
	final      rollout.Decision
	remembered []string // members whose release is remembered as rolled back
}

// addError names the member, the gate, the measured value and the
// threshold, and where every member's traffic is.
func (e groupEnd) addError(diags *diag.Diagnostics) {
	f := e.final
	where := fmt.Sprintf("at step %d with %g%% of each changed member's traffic on its new version", f.Step+1, f.Weight)
	if f.Step < 0 {
		where = "before any traffic moved"
	}
	reason := f.Reason
	var back, transitions []string
	for _, mv := range e.moves {
		if mv.key == f.Member {
			reason = strings.Replace(reason, "member "+mv.key+":", "member "+mv.label()+":", 1)
		}
		back = append(back, fmt.Sprintf("%s on %s", mv.key, mv.from))
		transitions = append(transitions, fmt.Sprintf("%s %s -> %s", mv.key, mv.from, mv.to))
	}
	var measure []float64
	if hasMeasure(f.Gate) {
		measure = []float64{f.Value, f.Threshold}
	}
	gate := ""
	if len(measure) == 2 {
		gate = gateMeasure(f.Gate, &measure[0], &measure[1])
	} else {
		gate = gateMeasure(f.Gate, nil, nil)
	}
	if f.Member != "" && gate != "" {
		gate = strings.Replace(gate, " (gate ", " (member "+f.Member+", gate ", 1)
	}
	summary, status := "Group Release Rolled Back", "rolled back"
	if e.status == rollout.StatusAborted {
		summary, status = "Group Release Aborted", "aborted"
	}
	next := fmt.Sprintf("the next plan shows %s again: fix forward, or revert the configuration.", strings.Join(transitions, ", "))
	if len(e.remembered) > 0 {
		next = fmt.Sprintf("the release of %s is remembered as rolled back (in the function's tags), so a plan that sends it traffic again stops before anything moves: "+
			"ship a fix, return the configuration to a known-good release, or retry it on purpose with members[\"<key>\"].retry_rolled_back.", strings.Join(e.remembered, ", "))
	}
	diags.AddError(summary, fmt.Sprintf("The release of group %s (%s) was %s %s: %s%s.\n\n"+
		"Every changed member is back on its previous version (one UpdateAlias per member, in parallel): %s. "+
		"The state records those versions and deployment.status = %q; %s",
		e.group, strings.Join(transitions, ", "), status, where, reason, gate, strings.Join(back, ", "), e.status, next))
}
